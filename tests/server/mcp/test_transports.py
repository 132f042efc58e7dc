"""`retouch serve` as a real process: stdio with the SDK's client (and nothing but protocol on
stdout), and streamable HTTP on loopback with and without a bearer token, DNS-rebinding protection
on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

pytestmark = pytest.mark.anyio
HEAVY = ("torch", "diffusers", "transformers", "cv2", "segment_anything")
REPORT = """\
import atexit, sys
def report():
    open(sys.argv[1], "w").write(",".join(m for m in {heavy!r} if m in sys.modules))
atexit.register(report)
from retouch.server.cli.app import main
main(["serve", *sys.argv[2:]])
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    astronaut.resize((64, 64)).save(tmp_path / "photo.png")
    return tmp_path


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RETOUCH_MCP_TOKEN", None)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    return env


async def test_stdio_session_with_the_sdk_client_loads_no_torch(work: Path) -> None:
    report = work / "modules.txt"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", REPORT.format(heavy=HEAVY), str(report)],
        cwd=str(work),
        env=server_env(),
    )
    async with Client(params) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"plan_edit", "run_edit", "make_mask"} <= tools
        assert "io.modelcontextprotocol/skills" in (client.server_capabilities.extensions or {})
        result = await client.call_tool(
            "plan_edit", {"image": "photo.png", "edit": "make it sunset"}
        )
        assert not result.is_error, result.content[0].text
        assert result.structured_content["plan"]["mode"] == "instruct"
        refused = await client.call_tool("plan_edit", {"image": "/etc/passwd", "edit": "x"})
        assert refused.is_error and "outside the folders" in refused.content[0].text
    for _ in range(100):  # the server writes the report as it exits after stdin closes
        if report.exists():
            break
        time.sleep(0.05)
    assert report.read_text() == ""  # initialize, tools/list and planning load none of them
    assert (work / "outputs" / "plans").is_dir()


def test_stdout_carries_only_protocol_messages(work: Path) -> None:
    lines = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {
                "name": "plan_edit",
                "arguments": {"image": "photo.png", "edit": "make it sunset"},
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "run_edit", "arguments": {"plan": "nope.json"}},
        },
        {"jsonrpc": "2.0", "id": 5, "method": "skills/list"},
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "retouch.server.cli", "serve"],
        cwd=work,
        env=server_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    replies = []
    try:
        for message in lines:
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
            if "id" in message:  # one request at a time: the reply must come before the next
                replies.append(json.loads(proc.stdout.readline()))  # every line is JSON-RPC
        proc.stdin.close()
        rest = proc.stdout.read()
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert rest == ""
    assert [r["id"] for r in replies] == [1, 2, 3, 4, 5]
    caps = replies[0]["result"]["capabilities"]
    assert caps["extensions"] == {"io.modelcontextprotocol/skills": {}}  # legacy handshake too
    assert replies[3]["result"]["isError"] is True
    assert "not found" in replies[3]["result"]["content"][0]["text"]
    assert replies[4]["result"]["skills"][0]["uri"] == "skill://retouch-editing/SKILL.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_http(work: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "retouch.server.cli",
            "serve",
            "--http",
            "--port",
            str(port),
            *extra,
        ],
        cwd=work,
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/mcp"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start listening")


@pytest.fixture
def http_server(work: Path):  # type: ignore[no-untyped-def]
    procs: list[subprocess.Popen] = []

    def start(*extra: str) -> str:
        proc, url = start_http(work, *extra)
        procs.append(proc)
        return url

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def test_http_with_a_token_refuses_requests_without_it(http_server, work: Path) -> None:  # type: ignore[no-untyped-def]
    url = http_server("--token", "s3cret-token")
    async with httpx2.AsyncClient(timeout=30) as http:
        bare = await http.post(url, json=INIT, headers=ACCEPT)
        wrong = await http.post(url, json=INIT, headers={**ACCEPT, "Authorization": "Bearer nope"})
        rebind = await http.post(
            url,
            json=INIT,
            headers={**ACCEPT, "Authorization": "Bearer s3cret-token", "Host": "evil.example:80"},
        )
    assert bare.status_code == 401 and wrong.status_code == 401
    assert rebind.status_code == 421  # DNS-rebinding protection: unknown Host header
    authed = httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"}, timeout=60)
    async with authed, Client(streamable_http_client(url, http_client=authed)) as client:
        assert "check_edit" in {t.name for t in (await client.list_tools()).tools}
        result = await client.call_tool(
            "plan_edit", {"image": "photo.png", "edit": "make it sunset"}
        )
        assert not result.is_error, result.content[0].text


async def test_http_without_a_token_serves_loopback_clients(http_server) -> None:  # type: ignore[no-untyped-def]
    url = http_server()
    async with Client(url) as client:
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert prompts == {"edit-image"}
    async with httpx2.AsyncClient(timeout=30) as http:
        evil = await http.post(url, json=INIT, headers={**ACCEPT, "Origin": "http://evil.example"})
    assert evil.status_code == 403  # a browser page elsewhere cannot drive the server


def test_exposing_http_beyond_loopback_needs_a_token(work: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "retouch.server.cli", "serve", "--http", "--host", "0.0.0.0"],
        cwd=work,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: --host 0.0.0.0 exposes the server")
