"""Private sessions over HTTP (issue 31, item 5): a token file gives each token its principal; a
history session belongs to the principal that first named it, version prefixes resolve only
within the caller's sessions, ``history``, ``revert`` and ``retouch://version/...`` refuse another
principal's versions, and no error names another principal's session. A real `retouch serve
--http` on loopback, two clients with two tokens."""

from __future__ import annotations

import os
from pathlib import Path

import httpx2
import numpy as np
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from PIL import Image
from retouch.planner.contract.errors import InputError
from retouch.server.mcp.auth import read_token_file

from .test_transports import http_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.anyio
ALICE, BOB = "alice-" + "a" * 24, "bob-" + "b" * 24
SECRET = "private-chat-1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    astronaut.resize((64, 64)).save(tmp_path / "photo.png")
    mask = np.zeros((64, 64), np.uint8)
    mask[4:24, 36:60] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    (tmp_path / "tokens").write_text(f"# who may call\nalice {ALICE}\nbob {BOB}  # the other\n")
    os.chmod(tmp_path / "tokens", 0o600)
    return tmp_path


def client(url: str, token: str) -> tuple[httpx2.AsyncClient, Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120)
    return http, Client(streamable_http_client(url, http_client=http))


async def call(c: Client, tool: str, args: dict) -> tuple[bool, str, dict | None]:
    r = await c.call_tool(tool, args)
    return r.is_error, " ".join(getattr(x, "text", "") for x in r.content), r.structured_content


async def test_two_tokens_two_private_histories(http_server, work: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url = http_server("--token-file", str(work / "tokens"), "--data-dir", str(work / "data"))
    edit = {"image": "photo.png", "edit": "remove the object", "mask": "mask.png"}
    a_http, alice = client(url, ALICE)
    async with a_http, alice:
        err, text, out = await call(
            alice, "run_edit", {"request": edit, "executor": "classical", "session": SECRET}
        )
        assert not err, text
        vid = out["version"]
        err, text, _ = await call(alice, "plan_edit", {**edit, "image": "@" + vid[:4]})
        assert not err, text  # the owner's own prefix resolves without a session
        assert not (await call(alice, "history", {"session": SECRET}))[0]
        own = await alice.read_resource(f"retouch://version/{vid}.png")
        assert own.contents[0].blob
    b_http, bob = client(url, BOB)
    async with b_http, bob:
        answers = [
            await call(bob, "plan_edit", {**edit, "image": "@" + vid[:4]}),
            await call(bob, "plan_edit", {**edit, "image": "@" + vid, "session": "bobs"}),
            await call(bob, "history", {"session": SECRET}),
            await call(bob, "revert", {"session": SECRET, "version": "@" + vid}),
            await call(
                bob, "run_edit", {"request": edit, "executor": "classical", "session": SECRET}
            ),
        ]
        with pytest.raises(Exception) as denied:
            await bob.read_resource(f"retouch://version/{vid}.png")
        err, text, out = await call(
            bob, "run_edit", {"request": edit, "executor": "classical", "session": "bobs"}
        )
        assert not err, text  # bob's own session works
    for failed, text, _ in answers:
        assert failed, text
    assert all(SECRET not in t for _, t, _ in answers[:2]), answers[:2]  # never named
    assert "no version '@" in answers[0][1] and "no version" in answers[1][1]
    assert "no session 'private-chat-1' of yours" in answers[2][1]
    assert "no session 'private-chat-1' of yours" in answers[3][1]
    assert "taken by another user" in answers[4][1]
    assert "no version" in str(denied.value) and SECRET not in str(denied.value)


def test_a_token_file_is_checked_line_by_line(tmp_path: Path) -> None:
    p = tmp_path / "tokens"
    p.write_text(f"alice {ALICE}\n\n# c\nbob {BOB}\n")
    assert read_token_file(p) == {ALICE: "alice", BOB: "bob"}
    for text, needle in [
        (f"alice {ALICE}\nalice {BOB}\n", "line 2: 'alice' or its token appears twice"),
        ("alice short\n", "line 1: the token of 'alice' is 5 characters"),
        (f"al ice {ALICE}\n", "line 1: expected 'NAME TOKEN'"),
        ("# nobody\n", "names no principal"),
    ]:
        p.write_text(text)
        with pytest.raises(InputError, match=needle):
            read_token_file(p)
