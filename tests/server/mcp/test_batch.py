"""run_batch through a real MCP client: a folder with a broken image completes with summary.json
and the contact sheet (retouch batch's semantics), per-image progress, and as a task for a client
with the Tasks extension."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig

from .tasks_client import TasksClient, ask

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    """shots/: two photos and a broken PNG; masks/: a mask per photo, named by its stem."""
    from skimage import data

    shots, masks = tmp_path / "shots", tmp_path / "masks"
    shots.mkdir()
    masks.mkdir()
    astronaut.resize((96, 96)).convert("RGB").save(shots / "astronaut.png")
    Image.fromarray(data.coffee()).resize((96, 64)).save(shots / "coffee.png")
    (shots / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    (shots / "notes.txt").write_text("not an image")
    for name, size in (("astronaut", (96, 96)), ("coffee", (96, 64))):
        mask = np.zeros(size[::-1], dtype=np.uint8)
        mask[10:30, 50:80] = 255
        Image.fromarray(mask, "L").save(masks / f"{name}.png")
    return tmp_path


@pytest.fixture
def cfg(work: Path, tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    data = tmp_path_factory.mktemp("data")
    return ServerConfig.create(out=work / "out", base=work, data_dir=str(data))


ARGS = {"folder": "shots", "edit": "remove the object", "mask_dir": "masks"}


async def test_a_broken_image_never_stops_the_batch(cfg: ServerConfig) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(build_server(cfg)) as client:
        result = await client.call_tool("run_batch", ARGS, progress_callback=on_progress)
    assert not result.is_error, result.content[0].text
    out = result.structured_content
    # 1. one entry per image, in name order; the broken one an error that says so
    by_name = {e["image"]: e for e in out["images"]}
    assert list(by_name) == ["astronaut.png", "broken.png", "coffee.png"]
    assert by_name["broken.png"]["status"] == "error" and by_name["broken.png"]["result"] is None
    assert "broken.png" in by_name["broken.png"]["error"]
    for name in ("astronaut.png", "coffee.png"):
        entry = by_name[name]
        assert entry["status"] in ("ok", "qa-failed") and entry["error"] is None
        made = Image.open(entry["result"])
        assert made.size == Image.open(cfg.roots.base / "shots" / name).size
    assert out["counts"]["error"] == 1 and sum(out["counts"].values()) == 3
    # 2. summary.json (retouch batch's format) and the contact sheet, one row per image
    summary = json.loads(Path(out["summary"]["path"]).read_text())
    assert summary["edit"] == "remove the object"
    assert [e["status"] for e in summary["images"]] == [by_name[n]["status"] for n in by_name]
    sheet = Image.open(out["contact_sheet"]["path"])
    assert sheet.size[1] == 3 * (160 + 4)
    assert any(c.type == "image" for c in result.content)
    assert {c.uri for c in result.content if c.type == "resource_link"} == {
        out["summary"]["uri"],
        out["contact_sheet"]["uri"],
    }
    # 3. progress per image, in order, ending at the total
    messages = [m for _, _, m in seen]
    for n, name in enumerate(by_name, start=1):
        assert f"image {n}/3 ({name})" in messages
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen) and seen[-1][:2] == (3, 3)


async def test_run_batch_is_a_task_for_a_client_with_the_extension(cfg: ServerConfig) -> None:
    ext = TasksClient()
    async with Client(build_server(cfg), extensions=[ext]) as client:
        result = await client.call_tool("run_batch", ARGS)
    assert not result.is_error and len(ext.created) == 1
    assert ext.seen[-1]["status"] == "completed"
    assert result.structured_content["counts"]["error"] == 1


async def test_a_folder_outside_the_roots_or_without_images_is_refused(
    cfg: ServerConfig, work: Path
) -> None:
    (work / "empty").mkdir()
    async with Client(build_server(cfg)) as client:
        outside = await client.call_tool("run_batch", {**ARGS, "folder": "/etc"})
        empty = await client.call_tool("run_batch", {**ARGS, "folder": "empty"})
        both = await client.call_tool("run_batch", {**ARGS, "text": "the cup"})
    assert outside.is_error and "outside" in outside.content[0].text
    assert empty.is_error and "no images in empty" in empty.content[0].text
    assert both.is_error and "not both" in both.content[0].text


async def test_cancelling_a_batch_task_stops_it_between_steps(
    cfg: ServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_plan made slow (5 steps of 0.05 s, a cancel check before each): cancelled during the
    second photo, the batch stops there; the first photo keeps its folder and summary.json lists
    the two images done, no contact sheet."""
    from retouch.executors import run as run_mod
    from retouch.planner.contract.errors import ExecutorError

    real, ran = run_mod.run_plan, []

    def slow_run(plan, *, progress=None, cancel=None, **kw):  # type: ignore[no-untyped-def]
        for step in range(1, 6):
            if cancel is not None and cancel.is_set():
                raise ExecutorError("cancelled")
            time.sleep(0.05)
            ran.append(step)
            if progress is not None:
                progress(step, 5)
        return real(plan, progress=None, cancel=cancel, **kw)

    monkeypatch.setattr(run_mod, "run_plan", slow_run)

    async def cancel_in_the_second(task: dict, session: object) -> None:
        if "image 3/3 (coffee.png): denoising step 2/5" in task.get("statusMessage", ""):
            await ask(session, "tasks/cancel", {"taskId": task["taskId"]})

    ext = TasksClient(on_poll=cancel_in_the_second)
    async with Client(build_server(cfg), extensions=[ext]) as client:
        result = await client.call_tool("run_batch", ARGS)
        await cfg.worker.run(lambda cancel, progress: None)  # the cancelled job has ended
    assert result.is_error and ext.seen[-1]["status"] == "cancelled"
    (batch,) = (cfg.out_dir / "batches").iterdir()
    assert (batch / "astronaut" / "result.png").is_file()  # done before the cancel: kept
    assert not (batch / "coffee" / "result.png").exists()
    assert not (batch / "contact-sheet.png").exists()
    summary = json.loads((batch / "summary.json").read_text())  # what it finished
    assert [(Path(e["image"]).name, e["status"]) for e in summary["images"]][1] == (
        "broken.png",
        "error",
    )
    assert len(summary["images"]) == 2
    assert len(ran) < 10  # the second photo never reached its last step
