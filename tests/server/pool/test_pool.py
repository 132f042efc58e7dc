"""The Ray Serve pool end to end on a private loopback-only Ray (2 CPUs, tiny random SD-inpaint):
results through the pool equal the local worker's byte for byte, 8 concurrent edits through a real
MCP client against ``retouch serve --pool``, a replica killed mid-job (the job finishes once, one
version is recorded) and multiplexing (a family loads once per replica).

Run by test_netns.py inside ``unshare -n``; here every test skips unless the namespace has only
loopback, so Ray can never reach another address."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client
from retouch.server.cli.app import get_app
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import PlanEditOutput, RunEditOutput
from typer.testing import CliRunner

from tests.server.pool.support import serve_params, skip_unless_ray_may_run

pytestmark = [pytest.mark.ray, pytest.mark.anyio]
skip_unless_ray_may_run()


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


REPLICA_ROW = (
    r"  (?P<kind>executor|segmenter) \w+: models (?P<models>.+); "
    r"ongoing (?P<ongoing>\d+), finished (?P<finished>\d+); (?P<gpu>no GPU|GPU .+ GiB)"
)


def config(work: Path, pool: str | None) -> ServerConfig:
    from retouch.server.pool.client import PoolClient

    cfg = ServerConfig.create(
        roots=[str(work)], out=work / "out", base=work, data_dir=work / "history"
    )
    cfg.pool = PoolClient(pool) if pool else None
    return cfg


def overrides(work: Path, steps: int) -> list[dict]:
    return [
        {"field": "model.id", "op": "set", "value": str(work / "sd-inpaint")},
        {"field": "steps", "op": "set", "value": steps},
        {"field": "crop.enabled", "op": "set", "value": False},
    ]


async def plan_id(client: Client) -> str:
    result = await client.call_tool(
        "plan_edit",
        {"image": "photo.png", "mask": "mask.png", "edit": "replace the sky with a sunset"},
    )
    assert not result.is_error, result.content[0].text
    return PlanEditOutput.model_validate(result.structured_content).plan_id


async def edit(client: Client, pid: str, work: Path, steps: int = 3, **extra: object):  # type: ignore[no-untyped-def]
    result = await client.call_tool(
        "run_edit", {"plan": pid, "overrides": overrides(work, steps), **extra}
    )
    assert not result.is_error, result.content[0].text
    return RunEditOutput.model_validate(result.structured_content)


def files(out: RunEditOutput) -> tuple[bytes, bytes]:
    assert out.mask is not None
    return Path(out.result.path).read_bytes(), Path(out.mask.path).read_bytes()


def replicas() -> list[dict]:
    import ray
    from retouch.server.pool.replicas import NAMESPACE, STATE_ACTOR

    state = ray.get_actor(STATE_ACTOR, namespace=NAMESPACE)
    return [r for r in ray.get(state.all.remote()) if r["kind"] == "executor"]


async def test_pool_equals_local_and_loads_a_family_once_per_replica(work: Path, pool: str) -> None:
    async with Client(build_server(config(work, None))) as client:
        local = await edit(client, await plan_id(client), work)
    assert local.provenance.executor["executor"] == "diffusers"
    async with Client(build_server(config(work, pool))) as client:
        pid = await plan_id(client)
        outs: list[RunEditOutput] = []

        async def one() -> None:
            outs.append(await edit(client, pid, work))

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(one)
    for out in outs:
        assert files(out) == files(local)
        assert out.qa.model_dump() == local.qa.model_dump()
    loads = [r["loads"] for r in replicas() if r["loads"]]
    assert loads and all(v == 1 for r in loads for v in r.values()), loads


def pool_status(pool: str, *args: str, code: int = 0) -> str:
    """What ``retouch pool status --address POOL ARGS`` prints (stdout and stderr), through the CLI."""
    result = CliRunner().invoke(get_app(), ["pool", "status", "--address", pool, *args])
    assert result.exit_code == code, result.output
    return result.output


def finished_and_ongoing(pool: str) -> tuple[int, int]:
    """Executor jobs finished and ongoing, summed over the replicas, as ``status --json`` says."""
    executors = [
        r for r in json.loads(pool_status(pool, "--json"))["replicas"] if r["kind"] == "executor"
    ]
    return sum(r["jobs"] for r in executors), sum(r["ongoing"] for r in executors)


async def test_pool_status_shows_replicas_models_and_the_job_that_ran(
    work: Path, pool: str
) -> None:
    before, _ = finished_and_ongoing(pool)
    async with Client(build_server(config(work, pool))) as client:
        await edit(client, await plan_id(client), work)
    deadline = time.monotonic() + 10  # replicas report when a job ends and every 2 s
    while finished_and_ongoing(pool) != (before + 1, 0) and time.monotonic() < deadline:
        time.sleep(0.5)
    text = pool_status(pool)
    lines = text.splitlines()
    assert lines[0] == "pool retouch: RUNNING", text
    for name, n in (("Executor", 2), ("Segmenter", 1), ("Pool", 1)):
        assert f"  {name}: HEALTHY, replicas {n} RUNNING" in lines, text
    rows = [re.fullmatch(REPLICA_ROW, line) for line in lines[4:]]
    assert all(rows), text
    executors = [m for m in rows if m and m["kind"] == "executor"]
    assert len(executors) == 2 and sum(m["kind"] == "segmenter" for m in rows if m) == 1, text
    assert sum(int(m["finished"]) for m in executors) == before + 1, text
    assert all(m["ongoing"] == "0" for m in rows if m), text
    model = str(work / "sd-inpaint")
    assert any(model in m["models"].split(", ") for m in executors), text
    assert all(m["gpu"] == "no GPU" for m in rows if m), text  # num_gpus 0, no CUDA


def test_pool_status_of_an_app_not_deployed_is_one_error_line(pool: str) -> None:
    assert pool_status(pool, "--app", "nope", code=5) == (
        "error: no pool application 'nope' on this cluster; run retouch pool serve\n"
    )


async def test_eight_concurrent_edits_through_retouch_serve_pool(work: Path, pool: str) -> None:
    async with Client(build_server(config(work, None))) as client:
        local = await edit(client, await plan_id(client), work)
    params = serve_params(pool, work, "--out", "out2", "--data-dir", str(work / "history2"))
    outs: list[RunEditOutput] = []
    async with Client(params) as client:
        pid = await plan_id(client)

        async def one(i: int) -> None:
            outs.append(await edit(client, pid, work, session=f"chat-{i}"))

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(one, i)
    assert len(outs) == 8 and all(files(o) == files(local) for o in outs)
    assert len({o.version for o in outs}) == 8


async def test_a_replica_killed_mid_job_is_sent_again_and_recorded_once(
    work: Path, pool: str
) -> None:
    cfg = config(work, pool)
    killed: list[int] = []

    async def kill_at_two(progress: float, total: float | None, message: str | None) -> None:
        if progress >= 2 and not killed:
            busy = [r for r in replicas() if r["ongoing"]]
            assert len(busy) == 1, busy
            os.kill(busy[0]["pid"], signal.SIGKILL)
            killed.append(busy[0]["pid"])

    async with Client(build_server(cfg)) as client:
        pid = await plan_id(client)
        result = await client.call_tool(
            "run_edit",
            {"plan": pid, "overrides": overrides(work, 12), "session": "crash"},
            progress_callback=kill_at_two,
        )
    assert not result.is_error, result.content[0].text
    assert killed and max(cfg.pool.attempts.values()) >= 2
    tree = cfg.store.tree("crash")
    assert len(tree.versions) == 2  # the original and exactly one edit
