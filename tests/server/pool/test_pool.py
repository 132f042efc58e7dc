"""The Ray Serve pool end to end on a private loopback-only Ray (2 CPUs, tiny random SD-inpaint):
results through the pool equal the local worker's byte for byte, 8 concurrent edits through a real
MCP client against ``retouch serve --pool``, a replica killed mid-job (the job finishes once, one
version is recorded) and multiplexing (a family loads once per replica).

Run by test_netns.py inside ``unshare -n``; here every test skips unless the namespace has only
loopback, so Ray can never reach another address."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio
import numpy as np
import pytest
from mcp import Client, StdioServerParameters
from PIL import Image

from server.mcp.app import build_server
from server.mcp.config import ServerConfig
from server.mcp.schemas import PlanEditOutput, RunEditOutput
from tests.server.pool.support import ROOT, have_ray, loopback_only

pytestmark = [pytest.mark.ray, pytest.mark.anyio]
if not have_ray():
    pytest.skip(
        "the pool tests need the ray extra: pip install -e '.[ray]'", allow_module_level=True
    )
if not loopback_only():
    pytest.skip(
        "Ray may only run in a loopback-only network namespace; test_netns.py runs this module "
        "in one (unshare -n, as root)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, astronaut: Image.Image) -> Path:
    import torch

    from executors.testing import save_sd

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("pool")
    astronaut.resize((64, 64)).save(root / "photo.png")
    mask = np.zeros((64, 64), dtype=np.uint8)
    mask[8:40, 24:56] = 255
    Image.fromarray(mask, "L").save(root / "mask.png")
    save_sd(root / "sd-inpaint", "inpaint")
    return root


@pytest.fixture(scope="module")
def pool(work: Path):  # type: ignore[no-untyped-def]
    """A private Ray with the pool deployed: 2 Executor replicas, 1 Segmenter. Yields the address."""
    from server.pool import ops
    from server.pool.config import PoolConfig

    ray = ops.connect("local", num_cpus=2)
    cfg = PoolConfig.model_validate(
        {
            "executor": {"min_replicas": 2, "max_replicas": 2, "num_gpus": 0, "num_cpus": 0.5},
            "segmenter": {"num_cpus": 0.25},
        }
    )
    ops.deploy(cfg)
    yield ray.get_runtime_context().gcs_address
    ops.stop(cfg.app)
    ray.shutdown()


def config(work: Path, pool: str | None) -> ServerConfig:
    from server.pool.client import PoolClient

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

    from server.pool.replicas import NAMESPACE, STATE_ACTOR

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


async def test_eight_concurrent_edits_through_retouch_serve_pool(work: Path, pool: str) -> None:
    async with Client(build_server(config(work, None))) as client:
        local = await edit(client, await plan_id(client), work)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "server.cli",
            "serve",
            "--pool",
            pool,
            "--root",
            str(work),
            "--out",
            "out2",
            "--data-dir",
            str(work / "history2"),
        ],
        cwd=str(work),
        env=env,
    )
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
