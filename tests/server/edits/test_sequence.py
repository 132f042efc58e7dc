"""The edit service (server/edits) with a fake executor in the runner seam: the whole sequence,
retries that re-plan with QA's fixes, the one run-folder writer and its comparison image, the
history record (a failed result stays off @current unless kept), and fidelity of what is written.

The fakes have run_plan's keywords and return a real RunOutput; QA (executors.qa.check) is real:
``good`` fills the hole with a heavy blur under a soft edge (QA passes), ``black`` paints it black
(blank, seam and colour checks fail, and their fixes grow the mask).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.executors.run import RunOutput
from retouch.planner.contract.schema import EditRequest
from retouch.server.edits.images import COMPARE_PX, GAP, comparison_image
from retouch.server.edits.job import EditJob, RunSettings
from retouch.server.edits.sequence import carry_out, plan_for
from retouch.server.history.store import Store

from tests.server.edits.fakes import FakeRunner, provenance

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def job(tmp_path: Path, astronaut: Image.Image) -> EditJob:
    """A removal planned for the CPU on a 128 px astronaut, mask over its top-right corner."""
    image = astronaut.resize((128, 128))
    image.save(tmp_path / "photo.png")
    mask = np.zeros((128, 128), dtype=np.uint8)
    mask[10:50, 80:120] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    request = EditRequest(
        image=str(tmp_path / "photo.png"), edit="remove the object", mask=str(tmp_path / "mask.png")
    )
    prefs = request.preferences.model_copy(update={"hardware": "cpu"})
    plan = plan_for(request.model_copy(update={"preferences": prefs}))
    return EditJob(plan=plan, image=image, mask=mask > 127, settings=RunSettings(device="cpu"))


def test_a_fake_executor_runs_the_whole_sequence_and_one_writer_writes_the_folder(
    job: EditJob, tmp_path: Path
) -> None:
    runner = FakeRunner("good")
    outcome = carry_out(job, tmp_path / "run" / "result", runner=runner)
    # the runner got the job's inputs and settings, once
    (call,) = runner.calls
    assert call["image"] is job.image and np.array_equal(call["mask"], job.mask)
    assert call["device"] == "cpu" and call["executor"] == "auto"
    # QA measured what ran and passed; the outcome is that attempt
    assert outcome.report.passed and len(outcome.attempts) == 1 and outcome.kept == 0
    files = outcome.files
    assert files.result == tmp_path / "run" / "result.png"  # the lossless default for RGB
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert written == {
        "result.png",
        "mask.png",
        "comparison.png",
        "plan.json",
        "skill-editing-pipeline.md",
        "qa.json",
        "provenance.json",
    }
    assert np.array_equal(np.asarray(Image.open(files.result)), np.asarray(outcome.result))
    assert json.loads(files.qa.read_text())["passed"] is True
    assert json.loads(files.provenance.read_text())["executor"] == "classical"
    assert np.array_equal(np.asarray(Image.open(files.mask)) > 127, outcome.output.edit_mask)
    # one comparison: source | mask | result, each panel the canvas's shape, 512 tall
    with Image.open(files.comparison) as cmp_img:
        assert cmp_img.size == (3 * COMPARE_PX + 2 * GAP, COMPARE_PX)
    assert outcome.version is None  # no session, nothing recorded


def test_retries_replan_with_the_fixes_and_keep_the_attempt_that_passed(
    job: EditJob, tmp_path: Path
) -> None:
    runner = FakeRunner("black", "good")
    job = EditJob(plan=job.plan, image=job.image, mask=job.mask, max_retries=3)
    outcome = carry_out(job, tmp_path / "out.png", runner=runner)
    attempts = outcome.attempts
    first, last = attempts[0], attempts[-1]
    assert not first.report.passed and last.report.passed and outcome.kept == last.index
    assert len(runner.calls) == len(attempts) >= 2
    # each run got the plan before it plus the failed checks' fixes (a larger dilation first)
    assert [c["plan"] for c in runner.calls] == [a.plan for a in attempts]
    assert attempts[1].plan.mask.dilate_px > first.plan.mask.dilate_px
    # every attempt is kept on disk; the result beside them is the passing one
    for n in range(1, len(attempts) + 1):
        assert (tmp_path / "attempts" / str(n) / "result.png").is_file()
        assert (tmp_path / "attempts" / str(n) / "qa.json").is_file()
    kept = np.asarray(Image.open(tmp_path / "out.png"))
    assert np.array_equal(kept, np.asarray(last.output.image))


def test_retries_stop_at_the_budget(job: EditJob, tmp_path: Path) -> None:
    runner = FakeRunner("black")
    job = EditJob(plan=job.plan, image=job.image, mask=job.mask, max_retries=2)
    outcome = carry_out(job, tmp_path / "out.png", runner=runner)
    assert len(runner.calls) == 3 and not outcome.report.passed


@pytest.mark.parametrize("keep", [False, True])
def test_a_failed_result_is_recorded_and_current_stays_on_its_parent_unless_kept(
    job: EditJob, tmp_path: Path, keep: bool
) -> None:
    store = Store(tmp_path / "data")
    failed = EditJob(
        plan=job.plan, image=job.image, mask=job.mask, session="chat", keep_failed=keep
    )
    outcome = carry_out(
        failed, tmp_path / "run" / "result", store=store, runner=FakeRunner("black")
    )
    version = outcome.version
    assert version is not None and not outcome.report.passed
    root = store.get(version.parent)
    assert root.parent is None and root.edit.startswith("original")
    assert store.get(version.id).qa["passed"] is False  # recorded either way
    assert outcome.current is keep
    assert store.current("chat").id == (version.id if keep else root.id)


def test_a_passing_result_becomes_current(job: EditJob, tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    passing = EditJob(plan=job.plan, image=job.image, mask=job.mask, session="chat")
    outcome = carry_out(passing, tmp_path / "r" / "result", store=store, runner=FakeRunner("good"))
    assert outcome.current and store.current("chat").id == outcome.version.id


@pytest.mark.parametrize(("mode", "suffix"), [("CMYK", ".tif"), ("I;16", ".png"), ("LA", ".png")])
def test_the_result_keeps_the_source_mode_in_the_default_format(
    job: EditJob, tmp_path: Path, mode: str, suffix: str
) -> None:
    """The writer picks the lossless format that holds the result (CMYK -> TIFF) and keeps its
    mode and ICC profile; the comparison still shows it as 8-bit RGB."""
    rng = np.random.default_rng(0)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (128, 128), dtype=np.uint16))
    else:
        bands = len(mode)
        image = Image.fromarray(rng.integers(0, 255, (128, 128, bands), dtype=np.uint8), mode)
    image.info["icc_profile"] = b"\0fake-icc" if mode == "CMYK" else None
    image.info = {k: v for k, v in image.info.items() if v}

    def same(plan, *, image=None, mask=None, **kw):  # type: ignore[no-untyped-def]
        return RunOutput(image=image, raw=None, edit_mask=mask, provenance=provenance(plan))

    edit = EditJob(plan=job.plan, image=image, mask=job.mask)
    outcome = carry_out(edit, tmp_path / "r" / "result", runner=same)
    assert outcome.files.result.suffix == suffix
    with Image.open(outcome.files.result) as back:
        assert back.mode == mode
        assert back.info.get("icc_profile") == image.info.get("icc_profile")
    assert Image.open(outcome.files.comparison).mode == "RGB"


def test_the_comparison_fills_its_canvas_and_zooms_on_a_small_region() -> None:
    rng = np.random.default_rng(1)
    source = Image.fromarray(rng.integers(1, 250, (300, 200, 3), dtype=np.uint8))
    result = Image.fromarray(rng.integers(1, 250, (300, 200, 3), dtype=np.uint8))
    small = np.zeros((300, 200), dtype=bool)
    small[20:40, 150:170] = True  # under a tenth of the image
    img = np.asarray(comparison_image(source, small, result))
    height, width = img.shape[:2]
    assert height == 2 * COMPARE_PX + GAP
    panel = (width - 2 * GAP) // 3
    assert panel == round(COMPARE_PX * 200 / 300)
    white = (img == 255).all(axis=2)
    # no white margin: every row of every panel, the zoomed row included, reaches the right edge
    for top in (0, COMPARE_PX + GAP):
        rows = slice(top, top + COMPARE_PX)
        for k in (0, 2):  # source and result panels are noise: never a white column
            cols = slice(k * (panel + GAP), k * (panel + GAP) + panel)
            assert not white[rows, cols].all(axis=0).any()
    # a large region, or a long thin one whose zoom would show most of the image: one row only
    large = np.zeros((300, 200), dtype=bool)
    large[50:250, 20:180] = True
    thin = np.zeros((300, 200), dtype=bool)
    thin[20:280, 100:110] = True  # 4% of the image, but 260 px tall
    assert thin.mean() < 0.1
    for region in (large, thin):
        assert comparison_image(source, region, result).size[1] == COMPARE_PX


def test_an_extension_puts_the_source_at_its_offset_on_grey() -> None:
    source = Image.new("RGB", (100, 100), (200, 10, 10))
    result = Image.new("RGB", (150, 100), (10, 200, 10))
    edit = np.zeros((100, 150), dtype=bool)
    edit[:, 100:] = True
    img = np.asarray(comparison_image(source, edit, result, offset=(0, 0), height=100))
    src_panel = img[:, :150]
    assert tuple(src_panel[50, 20]) == (200, 10, 10) and tuple(src_panel[50, 140]) == (128,) * 3


def test_the_pool_job_module_does_not_load_the_mcp_sdk() -> None:
    """A Ray replica imports server.pool.jobs/replicas/client: none of them may pull in mcp."""
    code = (
        "import sys\n"
        "import retouch.server.pool.jobs, retouch.server.pool.client, retouch.server.pool.replicas\n"
        "import retouch.server.edits.sequence, retouch.server.edits.masks\n"
        "bad = sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', "
        "'retouch.server.mcp')))\n"
        "print(','.join(bad))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "", f"the pool loaded {run.stdout.strip()}"
