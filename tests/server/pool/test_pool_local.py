"""``retouch pool serve --address local`` as a user runs it: a private Ray in the foreground, one
job from ``retouch serve --pool`` (the weight-free classical fill), ``retouch pool status`` from
another process, then Ctrl-C: the pool stops, Ray with it, exit 0.

Run by test_netns.py inside ``unshare -n`` after test_pool.py (whose Ray is gone by then); here it
skips unless the namespace has only loopback, so Ray can never reach another address."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from mcp import Client
from PIL import Image
from retouch.server.mcp.schemas import PlanEditOutput, RunEditOutput

from tests.server.pool.support import (
    ROOT,
    serve_params,
    skip_unless_ray_may_run,
    write_photo_and_mask,
)

pytestmark = [pytest.mark.ray, pytest.mark.anyio]
skip_unless_ray_may_run()

POOL_YAML = """\
executor: {min_replicas: 1, max_replicas: 1, num_gpus: 0, num_cpus: 0.5}
segmenter: {num_cpus: 0.25}
"""
SERVING = re.compile(r"running on a private Ray at (\S+) .*serving until interrupted")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "retouch.server.cli", *args]


def lines_of(stream) -> queue.Queue[str]:  # type: ignore[no-untyped-def]
    """Every line ``stream`` writes, as it comes (a thread drains it, so the pipe never fills)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def wait_for(lines: queue.Queue[str], pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
    seen: list[str] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            seen.append(lines.get(timeout=end - time.monotonic()))
        except queue.Empty:
            break
        if m := pattern.search(seen[-1]):
            return m
    raise AssertionError(f"no line matched {pattern.pattern!r} in {timeout} s:\n{''.join(seen)}")


async def one_edit(work: Path, address: str) -> RunEditOutput:
    """One classical fill through ``retouch serve --pool ADDRESS`` (a real MCP client, stdio)."""
    params = serve_params(address, work, "--out", "out")
    async with Client(params) as client:
        planned = await client.call_tool(
            "plan_edit", {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}
        )
        assert not planned.is_error, planned.content[0].text
        pid = PlanEditOutput.model_validate(planned.structured_content).plan_id
        ran = await client.call_tool("run_edit", {"plan": pid, "executor": "classical"})
        assert not ran.is_error, ran.content[0].text
        return RunEditOutput.model_validate(ran.structured_content)


async def test_serve_local_serves_a_job_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    write_photo_and_mask(tmp_path, astronaut, box=(20, 20, 36, 36))
    (tmp_path / "pool.yaml").write_text(POOL_YAML)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAY_ADDRESS", None)
    serve = subprocess.Popen(
        cli("pool", "serve", "--address", "local", "--config", str(tmp_path / "pool.yaml")),
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
    )
    try:
        # 1. it says where its private Ray is, once the application runs
        lines = lines_of(serve.stderr)
        address = wait_for(lines, SERVING, timeout=120)[1]
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1"
        # 2. a job from another process goes through it, and `pool status` counts it
        out = await one_edit(tmp_path, address)
        assert out.provenance.executor["executor"] == "classical"
        assert Path(out.result.path).is_file()
        status = subprocess.run(
            cli("pool", "status", "--address", address, "--json"),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr[-3000:]
        st = json.loads(status.stdout)
        assert st["status"] == "RUNNING" and set(st["deployments"]) == {
            "Executor",
            "Segmenter",
            "Pool",
        }
        assert [r["jobs"] for r in st["replicas"] if r["kind"] == "executor"] == [1], st
        # 3. Ctrl-C: the application is deleted, Ray shuts down, exit 0
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=60) == 0
        wait_for(lines, re.compile(r"retouch: pool 'retouch' stopped"), timeout=5)
        with pytest.raises(OSError):  # the private Ray's GCS is gone with it
            socket.create_connection((host, int(port)), timeout=2).close()
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
