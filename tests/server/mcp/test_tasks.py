"""The Tasks extension (io.modelcontextprotocol/tasks) through a real MCP client that advertises it
(tasks_client.TasksClient: a ResultClaim for "task" polling tasks/get): a slow fake executor's
run_edit as a task, status messages per step, the same result as the synchronous call; cancelling
mid-run; tasks scoped to their client; the TTL; clients without the extension as before."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from PIL import Image
from retouch.server.mcp import tasks as tasks_mod
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import RunEditOutput
from retouch.server.mcp.tasks import TASKS_EXTENSION

from .tasks_client import CreateTaskResult, TasksClient, ask

pytestmark = pytest.mark.anyio
STEPS = 6


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    astronaut.resize((96, 96)).convert("RGB").save(tmp_path / "photo.png")
    mask = np.zeros((96, 96), dtype=np.uint8)
    mask[8:40, 56:88] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return tmp_path


@pytest.fixture
def cfg(work: Path, tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    data = tmp_path_factory.mktemp("data")
    return ServerConfig.create(out=work / "out", base=work, data_dir=str(data))


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """run_plan made slow: STEPS steps of 0.05 s with progress and a cancel check between them,
    then the real (classical) run. ``state["gate"]`` holds the run at step 2 until set."""
    from retouch.executors import run as run_mod
    from retouch.planner.contract.errors import ExecutorError

    real = run_mod.run_plan
    state: dict[str, Any] = {"steps": 0, "gate": None}

    def slow_run(plan, *, progress=None, cancel=None, **kw):  # type: ignore[no-untyped-def]
        for step in range(1, STEPS + 1):
            if cancel is not None and cancel.is_set():
                raise ExecutorError("cancelled")
            time.sleep(0.05)
            state["steps"] = step
            if progress is not None:
                progress(step, STEPS)
            if step == 2 and state["gate"] is not None:
                state["gate"].wait(10)
        return real(plan, progress=None, cancel=cancel, **kw)

    monkeypatch.setattr(run_mod, "run_plan", slow_run)
    return state


REQUEST = {"request": {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}}


TIMES = ("created", "timings", "seconds")  # when and how long: all that two runs may differ in


def leaves(result: Any) -> dict[str, Any]:
    """Every leaf of a CallToolResult (its JSON text block parsed too), the run id (time + random)
    replaced and the provenance's times left out."""
    run_id = result.structured_content["run_id"]
    out: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, str) and node.startswith("{"):
            node = json.loads(node)
        if isinstance(node, dict):
            for k, v in node.items():
                if k not in TIMES:
                    walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for n, v in enumerate(node):
                walk(v, f"{path}[{n}]")
        else:
            out[path] = node.replace(run_id, "RUN") if isinstance(node, str) else node

    walk(result.model_dump(mode="json", exclude={"meta"}), "")
    return out


async def test_run_edit_is_a_task_whose_result_equals_the_synchronous_one(
    cfg: ServerConfig, slow: dict[str, Any]
) -> None:
    ext = TasksClient()
    server = build_server(cfg)
    async with Client(server, extensions=[ext]) as client:
        assert TASKS_EXTENSION in client.server_capabilities.extensions
        started = time.perf_counter()
        as_task = await client.call_tool("run_edit", REQUEST)
        assert not as_task.is_error, as_task.content[0].text
    async with Client(server) as plain:
        sync = await plain.call_tool("run_edit", REQUEST)
        assert not sync.is_error
    # 1. an immediate task, then status messages that move with the steps, then completed
    (created,) = ext.created
    assert isinstance(created, CreateTaskResult) and created.status == "working"
    assert created.ttl_ms >= tasks_mod.KEEP_MS and created.poll_interval_ms == tasks_mod.POLL_MS
    assert created.status_message.startswith("run_edit: started")
    messages = [t.get("statusMessage") for t in ext.seen if t["status"] == "working"]
    steps = [m for m in messages if "denoising step" in m]
    assert steps and steps[0] != steps[-1], messages  # the status moved
    assert all(m.startswith("run_edit: denoising step ") for m in steps)
    last = f"run_edit: denoising step {STEPS}/{STEPS}; then the QA check and the files"
    assert last in messages  # the stage after the last step
    assert ext.seen[-1]["status"] == "completed" and time.perf_counter() - started > 0.25
    # 2. the result: what the synchronous call returns, the same image bytes
    a = RunEditOutput.model_validate(as_task.structured_content)
    b = RunEditOutput.model_validate(sync.structured_content)
    assert Path(a.result.path).read_bytes() == Path(b.result.path).read_bytes()
    assert len(leaves(sync)) > 50 and leaves(as_task) == leaves(sync)  # inline images included
    assert ext.seen[-1]["result"]["structuredContent"] == as_task.structured_content


async def test_cancel_mid_run_stops_it_records_nothing_and_leaves_no_files(
    cfg: ServerConfig, slow: dict[str, Any]
) -> None:
    slow["gate"] = threading.Event()
    cancelled: list[str] = []

    async def cancel_at_two(task: dict[str, Any], session: Any) -> None:
        if task["status"] == "working" and "step 2/" in task["statusMessage"] and not cancelled:
            cancelled.append(task["taskId"])
            ack = await ask(session, "tasks/cancel", {"taskId": task["taskId"]})
            assert ack["resultType"] == "complete"
            slow["gate"].set()  # the run goes on to its next step, where it sees the cancel

    ext = TasksClient(on_poll=cancel_at_two)
    args = {**REQUEST, "session": "chat-1"}
    async with Client(build_server(cfg), extensions=[ext]) as client:
        result = await client.call_tool("run_edit", args)
        await cfg.worker.run(lambda cancel, progress: None)  # the cancelled job has ended
    assert cancelled and ext.seen[-1]["status"] == "cancelled"
    assert "cancelled" in ext.seen[-1]["statusMessage"] and "result" not in ext.seen[-1]
    assert result.is_error and result.meta == {"cancelled": True}
    assert 2 <= slow["steps"] < STEPS  # stopped between steps, never reached the end
    runs = cfg.out_dir / "runs"
    assert not runs.exists() or not any(runs.iterdir())  # no partial files
    assert "chat-1" not in {s.name for s in cfg.store.sessions()}  # no version recorded


async def test_a_task_is_unknown_to_another_client_and_after_its_ttl(
    cfg: ServerConfig, slow: dict[str, Any]
) -> None:
    server = build_server(cfg)
    ext = TasksClient()
    async with (
        Client(server, extensions=[ext]) as mine,
        Client(server, extensions=[TasksClient()]) as other,
    ):
        await mine.call_tool("run_edit", REQUEST)
        task_id = ext.created[0].task_id
        assert (await ask(mine.session, "tasks/get", {"taskId": task_id}))["status"] == "completed"
        for method in ("tasks/get", "tasks/cancel"):
            with pytest.raises(MCPError) as err:
                await ask(other.session, method, {"taskId": task_id})
            assert err.value.error.code == -32602 and "unknown task" in err.value.error.message
        with pytest.raises(MCPError) as err:
            await ask(mine.session, "tasks/get", {"taskId": "not-a-task"})
        assert err.value.error.code == -32602
        # the TTL: a finished task is dropped keep_ms after it ended
        (tasks,) = [e for e in server._extensions if isinstance(e, tasks_mod.TasksExtension)]
        tasks.tasks[task_id].ended -= tasks.keep_ms / 1000 + 1
        with pytest.raises(MCPError) as err:
            await ask(mine.session, "tasks/get", {"taskId": task_id})
        assert err.value.error.code == -32602 and task_id not in tasks.tasks


async def test_a_client_without_the_extension_sees_the_old_behaviour(
    cfg: ServerConfig, slow: dict[str, Any]
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(build_server(cfg)) as client:
        result = await client.call_tool("run_edit", REQUEST, progress_callback=on_progress)
        assert not result.is_error and result.structured_content["run_id"]
        assert [p for p, _, _ in seen] == list(range(1, STEPS + 1))
        names = [t.name for t in (await client.list_tools()).tools]
        with pytest.raises(MCPError) as err:
            await ask(client.session, "tasks/get", {"taskId": "x"})
        assert err.value.error.code == -32021
    assert names.count("run_batch") == 1


async def test_plan_edit_stays_synchronous_for_a_client_with_tasks(cfg: ServerConfig) -> None:
    ext = TasksClient()
    async with Client(build_server(cfg), extensions=[ext]) as client:
        result = await client.call_tool("plan_edit", {"image": "photo.png", "edit": "sunset"})
    assert not result.is_error and ext.created == []


def test_make_mask_is_a_task_only_while_no_segmenter_is_loaded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys
    import types

    fake = types.ModuleType("retouch.executors.segment.sam3")
    fake._MODELS = {}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "retouch.executors.segment.sam3", fake)
    for name in tasks_mod.SEGMENTER_CACHES[:2]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert tasks_mod.TASK_TOOLS["make_mask"]() is True
    fake._MODELS["folder"] = object()  # type: ignore[attr-defined]
    assert tasks_mod.TASK_TOOLS["make_mask"]() is False


async def test_make_mask_is_a_task_when_its_model_must_load(
    cfg: ServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(90, 160, (128, 128, 3), dtype=np.uint8)
    noise[40:80, 44:84] = (230, 20, 20)  # an object for GrabCut to find
    Image.fromarray(noise).save(cfg.roots.base / "block.png")
    box = {"image": "block.png", "sam": {"box": [34, 30, 94, 90]}}
    for warm, as_task in ((False, True), (True, False)):
        monkeypatch.setattr(tasks_mod, "segmenter_warm", lambda warm=warm: warm)
        ext = TasksClient()
        async with Client(build_server(cfg), extensions=[ext]) as client:
            result = await client.call_tool("make_mask", box)
        assert not result.is_error, result.content[0].text
        assert result.structured_content["mask"]["path"].endswith(".png")
        assert bool(ext.created) == as_task
