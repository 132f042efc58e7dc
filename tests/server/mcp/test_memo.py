"""FileMemo: a decoded image or hash is reused only while its file is unchanged and settled; a
rewritten file (even of the same size) is read again; a just-written file is never kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.server.mcp import config
from retouch.server.mcp.config import FileMemo, ServerConfig, Stopwatch


def _age(path: Path, seconds: float) -> None:
    """Make ``path`` look written ``seconds`` ago (its mtime; its ctime is now, so memoising
    also needs the ctime settled: the tests lower SETTLED_S instead of waiting)."""
    t = time.time() - seconds
    os.utime(path, (t, t))


@pytest.fixture
def settled_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "SETTLED_S", 0.0)


def test_unchanged_file_is_computed_once(tmp_path: Path, settled_now: None) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"one")
    memo, calls = FileMemo(2), []
    for _ in range(3):
        assert memo.get(f, lambda: calls.append(1) or f.read_bytes()) == b"one"
    assert len(calls) == 1


def test_a_rewritten_file_of_the_same_size_is_read_again(tmp_path: Path, settled_now: None) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"one")
    _age(f, 10)
    memo = FileMemo(2)
    assert memo.get(f, f.read_bytes) == b"one"
    f.write_bytes(b"two")  # same size; a new mtime and ctime
    _age(f, 5)
    assert memo.get(f, f.read_bytes) == b"two"


def test_a_just_written_file_is_not_kept(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"one")  # ctime now: inside SETTLED_S
    memo, calls = FileMemo(2), []
    for _ in range(2):
        memo.get(f, lambda: calls.append(1) or f.read_bytes())
    assert len(calls) == 2


def test_least_recently_used_goes_and_refused_values_are_not_kept(
    tmp_path: Path, settled_now: None
) -> None:
    files = [tmp_path / f"{i}.bin" for i in range(3)]
    for f in files:
        f.write_bytes(f.name.encode())
    memo, calls = FileMemo(2, keep=lambda v: v != b"2.bin"), []

    def read(f: Path):  # type: ignore[no-untyped-def]
        return lambda: calls.append(f.name) or f.read_bytes()

    for f in (files[0], files[1], files[0], files[2], files[2], files[1]):
        memo.get(f, read(f))
    # 0 and 1 kept; 0 used again; 2 refused twice; 1 still there
    assert calls == ["0.bin", "1.bin", "2.bin", "2.bin"]


def test_load_image_gives_a_copy_and_reads_a_changed_image(
    tmp_path: Path, settled_now: None
) -> None:
    cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path)
    path = tmp_path / "p.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path)
    first = cfg.load_image(path)
    first.paste((255, 0, 0), (0, 0, 8, 8))  # the caller changes its copy
    assert cfg.load_image(path).getpixel((0, 0)) == (10, 20, 30)
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(path)
    _age(path, 3)
    assert cfg.load_image(path).getpixel((0, 0)) == (200, 200, 200)


def test_stopwatch_hash_follows_the_file(tmp_path: Path, settled_now: None) -> None:
    import hashlib

    f = tmp_path / "m.png"
    for content, age in ((b"x" * 100, 10), (b"y" * 100, 5)):
        f.write_bytes(content)
        _age(f, age)
        sw = Stopwatch("t")
        sw.read("mask", f)
        assert sw.inputs[0].sha256 == hashlib.sha256(content).hexdigest()
