"""Tasks over real transports against `retouch serve`: over streamable HTTP a task belongs to the
client that made it (its Mcp-Session-Id), another session's tasks/get and tasks/cancel are refused;
over stdio the process is the scope, and a restarted server says its old task is unknown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import numpy as np
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from PIL import Image

from .tasks_client import TasksClient, ask

pytestmark = pytest.mark.anyio
EDIT = {"request": {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}}


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


def server_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RETOUCH_MCP_TOKEN", None)
    env["RETOUCH_DATA_DIR"] = str(work / "data")
    return env


@pytest.fixture
def http_url(work: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "retouch.server.cli", "serve", "--http", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=work, env=server_env(work), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def over_http(url: str, session_id: str, ext: TasksClient) -> tuple[httpx2.AsyncClient, Client]:
    http = httpx2.AsyncClient(headers={"Mcp-Session-Id": session_id}, timeout=60)
    return http, Client(streamable_http_client(url, http_client=http), extensions=[ext])


async def test_over_http_another_session_cannot_read_or_cancel_a_task(http_url: str) -> None:
    ext = TasksClient()
    http, client = over_http(http_url, "session-a", ext)
    async with http, client:
        assert client.session.protocol_version == "2026-07-28"
        result = await client.call_tool("run_edit", EDIT)
        assert not result.is_error, result.content[0].text
        task_id = ext.created[0].task_id
    assert ext.seen[-1]["status"] == "completed"
    http, other = over_http(http_url, "session-b", TasksClient())
    async with http, other:
        for method in ("tasks/get", "tasks/cancel"):
            with pytest.raises(MCPError) as err:
                await ask(other.session, method, {"taskId": task_id})
            assert err.value.error.code == -32602 and "unknown task" in err.value.error.message
    http, again = over_http(http_url, "session-a", TasksClient())
    async with http, again:  # the same session, on a new connection, still reads it
        task = await ask(again.session, "tasks/get", {"taskId": task_id})
    assert task["status"] == "completed"
    assert task["result"]["structuredContent"] == result.structured_content


async def test_over_stdio_a_restarted_server_says_its_old_task_is_unknown(work: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "retouch.server.cli", "serve"],
        cwd=str(work),
        env=server_env(work),
    )
    ext = TasksClient()
    async with Client(params, extensions=[ext]) as client:
        result = await client.call_tool("run_edit", EDIT)
        assert not result.is_error, result.content[0].text
        task_id = ext.created[0].task_id
        assert (await ask(client.session, "tasks/get", {"taskId": task_id}))["status"] == (
            "completed"
        )
    async with Client(params, extensions=[TasksClient()]) as restarted:
        with pytest.raises(MCPError) as err:
            await ask(restarted.session, "tasks/get", {"taskId": task_id})
    assert err.value.error.code == -32602 and "restarted" in err.value.error.message
