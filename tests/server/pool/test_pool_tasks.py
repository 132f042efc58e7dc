"""MCP tasks on the Ray Serve pool (a private loopback-only Ray, 2 CPU Executor replicas, a tiny
random SD-inpaint): two tasks from one client run at once, one on each replica, with the
replicas' denoising steps in their status; tasks/cancel reaches the replica, which stops its job.

Run by test_netns.py inside ``unshare -n``; every test skips unless the namespace has only
loopback, so Ray can never reach another address."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from retouch.server.cli.app import get_app
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from typer.testing import CliRunner

from tests.server.mcp.tasks_client import TasksClient, ask
from tests.server.pool.support import skip_unless_ray_may_run

pytestmark = [pytest.mark.ray, pytest.mark.anyio]
skip_unless_ray_may_run()


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def edit_args(work: Path, steps: int) -> dict[str, Any]:
    overrides = [
        {"field": "model.id", "op": "set", "value": str(work / "sd-inpaint")},
        {"field": "steps", "op": "set", "value": steps},
        {"field": "crop.enabled", "op": "set", "value": False},
    ]
    request = {"image": "photo.png", "mask": "mask.png", "edit": "replace the sky with a sunset"}
    return {"request": request, "overrides": overrides}


def server(work: Path, pool: str) -> Any:
    from retouch.server.pool.client import PoolClient

    cfg = ServerConfig.create(roots=[str(work)], out=work / "out", base=work, data_dir=work / "h")
    cfg.pool = PoolClient(pool)
    return build_server(cfg)


def ongoing(pool: str) -> int:
    result = CliRunner().invoke(get_app(), ["pool", "status", "--address", pool, "--json"])
    assert result.exit_code == 0, result.output
    return sum(
        r["ongoing"] for r in json.loads(result.output)["replicas"] if r["kind"] == "executor"
    )


def when(task: dict[str, Any]) -> float:
    return datetime.fromisoformat(task["lastUpdatedAt"].replace("Z", "+00:00")).timestamp()


async def test_two_tasks_run_at_once_and_a_cancel_reaches_the_replica(
    work: Path, pool: str
) -> None:
    latest: dict[str, dict[str, Any]] = {}
    at_once: list[int] = []

    async def note(task: dict[str, Any], session: Any) -> None:
        latest[task["taskId"]] = task
        denoising = [t for t in latest.values() if "denoising step" in t.get("statusMessage", "")]
        at_once.append(sum(t["status"] == "working" for t in denoising))

    ext = TasksClient(on_poll=note)
    async with Client(server(work, pool), extensions=[ext]) as client:
        # 1. two tasks from one client: both denoising at the same time (one per replica)
        results: list[Any] = []

        async def one() -> None:
            # enough steps that both replicas are denoising together even when one loads late
            results.append(await client.call_tool("run_edit", edit_args(work, 40)))

        async with anyio.create_task_group() as tg:
            tg.start_soon(one)
            tg.start_soon(one)
    assert [r.is_error for r in results] == [False, False], results[0].content[0].text
    assert max(at_once) == 2, at_once
    steps = [t for t in ext.seen if "denoising step" in t.get("statusMessage", "")]
    per_step = (max(map(when, steps)) - min(map(when, steps))) / 2 / 39  # a lower bound, s
    # 2. a long task cancelled at step 3: the replica stops its job between steps
    cancelled: list[float] = []

    async def cancel_at_three(task: dict[str, Any], session: Any) -> None:
        # at the first poll past step 3 (a poll under load may skip step 3 itself)
        step = re.search(r"denoising step (\d+)/", task.get("statusMessage", ""))
        if step and int(step.group(1)) >= 3 and not cancelled:
            cancelled.append(time.monotonic())
            await ask(session, "tasks/cancel", {"taskId": task["taskId"]})

    ext = TasksClient(on_poll=cancel_at_three)
    async with Client(server(work, pool), extensions=[ext]) as client:
        result = await client.call_tool("run_edit", edit_args(work, 400))
    assert cancelled and result.is_error and ext.seen[-1]["status"] == "cancelled"
    left = 397 * per_step  # what the job would still have run, at the least
    while ongoing(pool) and time.monotonic() - cancelled[0] < left:
        time.sleep(0.5)
    assert ongoing(pool) == 0, f"the replica still runs the job {left:.0f} s after the cancel"
    assert time.monotonic() - cancelled[0] < max(left, 10)
