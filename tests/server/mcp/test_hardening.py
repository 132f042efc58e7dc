"""Issue 31's smaller items and safe default roots: a resource URI the OS cannot take is a clean
error; tokens that are short or visible in ps; the store and the output folder private to their
user whatever the umask; the quota on base64 uploads; no default root of /, ~ or a system folder."""

from __future__ import annotations

import base64
import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from PIL import Image
from retouch.planner.contract.errors import InputError
from retouch.server.history.store import Store
from retouch.server.mcp.app import build_server
from retouch.server.mcp.auth import http_auth
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.roots import check_default_root
from retouch.server.mcp.uploads import prune

LONG = "a" * 30


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _png(seed: int, size: int = 64) -> str:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.anyio
async def test_a_resource_uri_over_255_bytes_is_a_clean_error(tmp_path: Path) -> None:
    cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path)
    async with Client(build_server(cfg)) as client:
        with pytest.raises(MCPError) as err:
            await client.read_resource("retouch://out/" + "n" * 300 + ".png")
    assert "255-byte limit" in str(err.value)  # not an OSError, not an internal error


def test_short_or_visible_tokens(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(
        InputError, match="the token is 5 characters; beyond loopback give at least 16"
    ):
        http_auth(False, "short", None, ["retouch", "serve"])
    assert http_auth(True, "short", None, []) is None  # loopback: any token
    with caplog.at_level(logging.WARNING, logger="retouch"):
        http_auth(False, LONG, None, ["retouch", "serve", "--token", LONG])
    assert "visible to every user in ps" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="retouch"):
        http_auth(False, LONG, None, ["retouch", "serve"])  # from RETOUCH_MCP_TOKEN: no warning
    assert "ps" not in caplog.text


def test_the_store_and_outputs_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = Store(tmp_path / "deep" / "data")
        rgb = np.full((8, 8, 3), 7, np.uint8)
        v = store.add_version("chat", parent=None, edit="e", image=Image.fromarray(rgb))
        cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "deep" / "data") == 0o700 and _mode(tmp_path / "deep") == 0o700
    assert _mode(store.objects) == 0o700 and _mode(store.db_path) == 0o600
    obj = store.object_path(v.image_sha256)
    assert _mode(obj) == 0o600 and _mode(obj.parent) == 0o700
    assert _mode(cfg.out_dir) == 0o700


def test_uploads_are_kept_to_the_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path)
    one = len(base64.b64decode(_png(0)))
    monkeypatch.setenv("RETOUCH_UPLOAD_QUOTA_MB", str(2.5 * one / 1e6))  # room for two
    paths = [cfg.image_file(None, _png(seed)) for seed in range(4)]
    left = sorted((cfg.out_dir / "inputs").iterdir())
    assert sorted(paths[2:]) == left  # the two oldest went, the newest stayed
    again = cfg.image_file(None, _png(2))  # the same bytes again: kept, now the newest
    assert again == paths[2] and again.exists()
    assert prune(cfg.out_dir / "inputs", keep=paths[3], limit=0) == [paths[2]]
    monkeypatch.setenv("RETOUCH_UPLOAD_QUOTA_MB", "lots")
    with pytest.raises(InputError, match="not a size in MB"):
        cfg.image_file(None, _png(9))


@pytest.mark.parametrize("where", ["/", "/usr/share", "/etc", "HOME"])
def test_a_wide_working_directory_is_no_default_root(where: str) -> None:
    cwd = str(Path.home()) if where == "HOME" else where
    with pytest.raises(InputError, match="too wide to serve by default; pass --root DIR"):
        check_default_root(cwd)


def test_serve_in_the_root_folder_refuses_to_start(tmp_path: Path) -> None:
    check_default_root(tmp_path)  # an ordinary folder is fine
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    env.pop("RETOUCH_MCP_TOKEN", None)
    env["RETOUCH_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run(
        [sys.executable, "-m", "retouch.server.cli", "serve", "--out", str(tmp_path / "o")],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the working directory / is a system")
    assert not (tmp_path / "o").exists()
    tiny = subprocess.run(
        [sys.executable, "-m", "retouch.server.cli", "serve", "--http", "--host", "0.0.0.0",
         "--token", "x", "--out", str(tmp_path / "o")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert tiny.returncode == 2 and "at least 16" in tiny.stderr, tiny.stderr
