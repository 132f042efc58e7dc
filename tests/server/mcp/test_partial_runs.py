"""A run folder is written as OUT/runs/.partial-ID and renamed to OUT/runs/ID only after the
history has the version (issue 31): a crash in between leaves a .partial- folder, which
``retouch gc --out OUT`` removes once it is older than 10 minutes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.server.cli.app import get_app
from retouch.server.history import hooks
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import RunEditOutput
from typer.testing import CliRunner

from tests.server.edits.fakes import FakeRunner


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    astronaut.resize((96, 96)).save(tmp_path / "photo.png")
    mask = np.zeros((96, 96), dtype=np.uint8)
    mask[10:40, 50:90] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return tmp_path


@pytest.mark.anyio
async def test_the_run_folder_gets_its_name_only_after_the_version_is_recorded(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = ServerConfig.create(out=work / "out", base=work, data_dir=work / "data")
    monkeypatch.setattr("retouch.executors.run.run_plan", FakeRunner("good"))
    seen: list[list[str]] = []
    record = hooks.record_edit

    def recording(*args, **kw):  # type: ignore[no-untyped-def]
        seen.append(sorted(p.name for p in (work / "out" / "runs").iterdir()))
        return record(*args, **kw)

    monkeypatch.setattr(hooks, "record_edit", recording)
    req = {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}
    async with Client(build_server(cfg)) as client:
        r = await client.call_tool(
            "run_edit", {"request": req, "executor": "classical", "session": "chat"}
        )
    assert not r.is_error, r.content[0].text
    out = RunEditOutput.model_validate(r.structured_content)
    # while the history recorded the version, the folder had only its partial name
    assert seen == [[f".partial-{out.run_id}"]]
    # then it took its name, and every path the tool returned is in it
    runs = work / "out" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == [out.run_id]
    for ref in (out.result, out.preview, out.comparison, out.plan_file, out.mask):
        assert Path(ref.path).parent == runs / out.run_id and Path(ref.path).is_file()
    assert (runs / out.run_id / "provenance.json").is_file()
    assert out.version is not None


def test_gc_removes_old_partial_run_folders_only(tmp_path: Path) -> None:
    runs, outside = tmp_path / "out" / "runs", tmp_path / "outside"
    for d in ("done-1", ".partial-old", ".partial-young"):
        (runs / d).mkdir(parents=True)
        (runs / d / "result.png").write_bytes(b"x")
    outside.mkdir()
    (outside / "keep.png").write_bytes(b"x")
    (runs / ".partial-link").symlink_to(outside, target_is_directory=True)
    old = time.time() - 3600
    for d in ("done-1", ".partial-old"):
        os.utime(runs / d, (old, old))
    os.utime(runs / ".partial-link", (old, old), follow_symlinks=False)
    r = CliRunner().invoke(
        get_app(), ["gc", "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out")]
    )
    assert r.exit_code == 0, r.output
    assert "removed 1 half-written run folder(s)" in r.stdout
    assert sorted(p.name for p in runs.iterdir()) == [".partial-link", ".partial-young", "done-1"]
    assert (outside / "keep.png").is_file()  # a symlink is never followed


@pytest.mark.anyio
async def test_a_call_failing_after_the_run_folder_was_begun_leaves_no_file(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The result is written first, then the copy ``output`` asks for, which JPEG cannot hold
    (the image has alpha): the tool error comes from the worker, and the call's files go."""
    rgba = Image.open(work / "photo.png").convert("RGBA")
    rgba.save(work / "photo.png")
    cfg = ServerConfig.create(out=work / "out", base=work)
    monkeypatch.setattr("retouch.executors.run.run_plan", FakeRunner("good"))
    req = {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}
    async with Client(build_server(cfg)) as client:
        r = await client.call_tool(
            "run_edit", {"request": req, "executor": "classical", "output": "copy.jpg"}
        )
    assert r.is_error and "JPEG cannot hold an RGBA image" in r.content[0].text, r.content
    assert [p for p in (work / "out").rglob("*") if p.is_file()] == []
    assert not (work / "copy.jpg").exists()
