"""Check what you use (issue 31): run_edit checks its files against the roots when called and
uses them later on the worker. A folder swapped for a symlink to a folder outside the roots in
between must not be read nor written through: the run decodes the bytes read at check time (their
hash is the one in provenance) and writes through folders opened without following symlinks.

The swap is planted while a first call holds the worker (a slow fake executor): the second call
has been checked and waits in the queue when the folders are replaced."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import anyio
import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import RunEditOutput

from tests.server.edits.fakes import FakeRunner

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def layout(tmp_path: Path, astronaut: Image.Image, coffee: Image.Image) -> dict[str, Path]:
    """work/ (the root) with pics/photo.png + mask.png and exports/; outside/ (not a root) with
    a different photo and mask of the same size, and an empty runs/ folder."""
    work, outside = tmp_path / "work", tmp_path / "outside"
    for d in (work / "pics", work / "exports", outside / "runs"):
        d.mkdir(parents=True)
    astronaut.resize((96, 96)).save(work / "pics" / "photo.png")
    coffee.resize((96, 96)).save(outside / "photo.png")
    mask = np.zeros((96, 96), dtype=np.uint8)
    mask[10:40, 50:90] = 255
    Image.fromarray(mask, "L").save(work / "pics" / "mask.png")
    Image.fromarray(255 - mask, "L").save(outside / "mask.png")
    return {"work": work, "outside": outside}


class SlowRunner(FakeRunner):
    """The first call holds the worker until ``go`` is set; every call is recorded."""

    def __init__(self) -> None:
        super().__init__("good")
        self.started, self.go = threading.Event(), threading.Event()

    def __call__(self, plan, **kw):  # type: ignore[no-untyped-def]
        if not self.started.is_set():
            self.started.set()
            assert self.go.wait(30)
        return super().__call__(plan, **kw)


def swap(folder: Path, target: Path) -> None:
    """Replace ``folder`` by a symlink to ``target`` (the original kept beside it)."""
    folder.rename(folder.with_name(folder.name + "-orig"))
    folder.symlink_to(target, target_is_directory=True)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


async def two_calls(
    cfg: ServerConfig, monkeypatch: pytest.MonkeyPatch, a: dict, b: dict, plant, tool="run_edit"
) -> tuple[SlowRunner, list]:
    """Call run_edit ``a`` (held on the worker by the slow runner) and ``b``; once ``b`` waits for
    the worker, ``plant()`` swaps the folders and ``a`` goes on. Returns the runner and both
    results, in call order (``b`` calls ``tool``)."""
    runner = SlowRunner()
    monkeypatch.setattr("retouch.executors.run.run_plan", runner)
    worker, calls = cfg.worker, []
    real_run, queued = worker.run, anyio.Event()

    async def run(fn, **kw):  # type: ignore[no-untyped-def]
        calls.append(fn)
        if len(calls) == 2:
            queued.set()
        return await real_run(fn, **kw)

    monkeypatch.setattr(worker, "run", run)
    results: dict[str, object] = {}
    async with Client(build_server(cfg)) as client:

        async def call(name: str, args: dict) -> None:
            results[name] = await client.call_tool(tool if name == "b" else "run_edit", args)

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                tg.start_soon(call, "a", a)
                await anyio.to_thread.run_sync(runner.started.wait)
                tg.start_soon(call, "b", b)
                await queued.wait()
                plant()
                runner.go.set()
    return runner, [results["a"], results["b"]]


def request(**extra: object) -> dict:
    req = {"image": "pics/photo.png", "mask": "pics/mask.png", "edit": "remove the object"}
    return {"request": req, "executor": "classical", **extra}


def clean(result) -> str:  # type: ignore[no-untyped-def]
    text = result.content[0].text
    assert "\n" not in text and "Traceback" not in text, text
    return text


async def test_an_input_folder_swapped_after_the_check_is_never_read(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    work, outside = layout["work"], layout["outside"]
    original = (work / "pics" / "photo.png").read_bytes()
    mask_bytes = (work / "pics" / "mask.png").read_bytes()
    cfg = ServerConfig.create(out=work / "out", base=work)
    runner, (_, b) = await two_calls(
        cfg, monkeypatch, request(), request(), lambda: swap(work / "pics", outside)
    )
    assert not b.is_error, b.content[0].text
    out = RunEditOutput.model_validate(b.structured_content)
    # the run got the checked file's pixels and mask, not the ones the symlink leads to
    second = runner.calls[1]
    astronaut = np.asarray(Image.open(work / "pics-orig" / "photo.png"))
    assert np.array_equal(np.asarray(second["image"]), astronaut)
    assert np.array_equal(second["mask"], np.asarray(Image.open(work / "pics-orig/mask.png")) > 0)
    # provenance has the hash of the bytes that ran
    seen = {i.role: i.sha256 for i in out.provenance.inputs}
    assert seen["image"] == hashlib.sha256(original).hexdigest()
    assert seen["mask"] == hashlib.sha256(mask_bytes).hexdigest()


async def test_output_folders_swapped_after_the_check_are_not_written_through(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    work, outside = layout["work"], layout["outside"]
    cfg = ServerConfig.create(out=work / "out", base=work)
    cfg.out_folder("runs")
    before = files_under(outside)

    def plant() -> None:
        swap(work / "exports", outside)
        swap(work / "out" / "runs", outside / "runs")

    _, results = await two_calls(
        cfg,
        monkeypatch,
        request(output="exports/a.png"),
        request(output="exports/stolen.png"),
        plant,
    )
    assert files_under(outside) == before  # nothing written (or created) outside the roots
    for r in results:
        assert r.is_error, r.structured_content
        assert "changed while retouch was using it" in clean(r)
    # and nothing half-written was left inside either
    assert not list((work / "exports-orig").iterdir())
    assert not [p for p in (work / "out" / "runs-orig").rglob("*") if p.is_file()]


async def test_check_edit_measures_the_files_it_checked(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from retouch.executors.qa import check as qa

    work, outside = layout["work"], layout["outside"]
    cfg = ServerConfig.create(out=work / "out", base=work)
    measured: list[tuple] = []
    real_check = qa.check

    def check(before, after, mask, *rest):  # type: ignore[no-untyped-def]
        measured.append((np.asarray(before), np.asarray(after), mask))
        return real_check(before, after, mask, *rest)

    monkeypatch.setattr(qa, "check", check)
    args = {"source": "pics/photo.png", "result": "pics/photo.png", "mask": "pics/mask.png"}
    _, (_, b) = await two_calls(
        cfg, monkeypatch, request(), args, lambda: swap(work / "pics", outside), "check_edit"
    )
    assert not b.is_error, b.content[0].text
    astronaut = np.asarray(Image.open(work / "pics-orig" / "photo.png"))
    before, after, mask = measured[-1]
    assert np.array_equal(before, astronaut) and np.array_equal(after, astronaut)
    assert np.array_equal(mask, np.asarray(Image.open(work / "pics-orig" / "mask.png")) > 0)


async def test_make_mask_reads_the_image_it_checked_and_writes_no_output_outside(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """make_mask: the image folder swapped while it waits for the worker is never read (the box
    mask is cut from the checked photo's pixels), and an output folder swapped for a symlink is
    not written through."""
    from retouch.server.edits import masks

    work, outside = layout["work"], layout["outside"]
    cfg = ServerConfig.create(out=work / "out", base=work)
    seen: list[np.ndarray] = []
    real = masks.find_mask

    def find(image, prompt, **kw):  # type: ignore[no-untyped-def]
        seen.append(np.asarray(image))
        return real(image, prompt, **kw)

    monkeypatch.setattr("retouch.server.mcp.mask.find_mask", find)
    before = files_under(outside)
    args = {"image": "pics/photo.png", "sam": {"box": [10, 10, 60, 60]}, "output": "exports/m.png"}

    def plant() -> None:
        swap(work / "pics", outside)
        swap(work / "exports", outside)

    _, (_, b) = await two_calls(cfg, monkeypatch, request(), args, plant, "make_mask")
    astronaut = np.asarray(Image.open(work / "pics-orig" / "photo.png"))
    assert seen and np.array_equal(seen[-1], astronaut)
    assert files_under(outside) == before  # no mask written through the swapped folder
    assert b.is_error and "changed while retouch was using it" in clean(b)
