"""The retry loop with a fake executor (a queue of results, like simonw/llm's MockModel) and real QA."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image
from retouch.executors.images import masks
from retouch.executors.qa.check import check
from retouch.executors.qa.report import QAReport, QAResult
from retouch.executors.qa.retry import Attempt, best_attempt, edit_with_retries
from retouch.planner import analyze, make_plan
from retouch.planner.contract.errors import ExecutorError, InputError
from retouch.planner.contract.schema import EditPlan, EditRequest, Fix, PlanChange

from tests.conftest import box_mask

BOX = (300, 60, 364, 124)


class FakeRun:
    """Returns queued results in order, remembering every plan it was called with. A queued
    callable is called with the plan (a result that depends on the plan's region)."""

    def __init__(self, results: list[Image.Image | Callable[[EditPlan], Image.Image]]) -> None:
        self.results = list(results)
        self.plans: list[EditPlan] = []

    def __call__(self, plan: EditPlan) -> Image.Image:
        self.plans.append(plan)
        if not self.results:
            raise AssertionError("run called more often than results were queued")
        result = self.results.pop(0)
        return result(plan) if callable(result) else result


@pytest.fixture(scope="module")
def source() -> Image.Image:
    import skimage.data

    return Image.fromarray(skimage.data.astronaut())


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory, source: Image.Image) -> EditPlan:
    tmp = tmp_path_factory.mktemp("retry")
    source.save(tmp / "a.png")
    masks.to_pil(box_mask(source.size, BOX)).save(tmp / "m.png")
    request = EditRequest(
        image=str(tmp / "a.png"),
        edit="remove the flag",
        mask=str(tmp / "m.png"),
        scene="an astronaut",
    )
    return make_plan(request, analyze(request))


def filled(source: Image.Image, plan: EditPlan) -> Image.Image:
    """A clean removal: the regenerated region filled from its border (OpenCV Telea). An unchanged
    region would fail the `changed` check."""
    import cv2

    hole = region(plan, source.size).astype(np.uint8) * 255
    return Image.fromarray(cv2.inpaint(np.asarray(source), hole, 3, cv2.INPAINT_TELEA))


def region(plan: EditPlan, size: tuple[int, int]) -> np.ndarray:
    """The region the executor regenerates for ``plan``: the box, dilated as the plan says."""
    hard, _ = masks.prepare(box_mask(size, BOX), dilate_px=plan.mask.dilate_px)
    return hard


def checker(source: Image.Image) -> Callable[[EditPlan, Any], QAReport]:
    return lambda p, out: check(source, out, region(p, source.size), p)


def seamed(source: Image.Image, plan: EditPlan) -> Image.Image:
    """The region filled with the photo shifted 16 px down: its stripes no longer line up with the
    surroundings (a seam), with the same colours (no colour shift)."""
    res = np.asarray(source).copy()
    r = region(plan, source.size)
    res[r] = np.roll(np.asarray(source), (16, 0), axis=(0, 1))[r]
    return Image.fromarray(res)


def test_seam_then_fixed_plan_passes(source: Image.Image, plan: EditPlan) -> None:
    first = seamed(source, plan)
    run = FakeRun([first, lambda p: filled(source, p)])  # the fix widened the region
    attempts = edit_with_retries(plan, run, checker(source), max_retries=3)
    assert [a.index for a in attempts] == [0, 1]
    # a shifted copy of the photo: a seam (and, since issue 13, a near-copy the content checks see)
    assert "seam" in {i.id for i in attempts[0].report.failed}
    assert attempts[1].report.passed
    second = attempts[1].plan
    assert run.plans == [plan, second]  # the second run got the fixed plan
    assert second.mask.dilate_px == plan.mask.dilate_px + 8
    assert second.mask.feather_px == plan.mask.feather_px + 4
    assert "qa-fix-seam" in [r.id for r in second.rules]
    assert attempts[0].output is first and attempts[0].plan is plan  # every attempt kept as run
    assert best_attempt(attempts) is attempts[1]


def test_max_retries_is_respected(source: Image.Image, plan: EditPlan) -> None:
    plans: list[EditPlan] = []

    def always_seamed(p: EditPlan) -> Image.Image:  # a model that never gets the edge right
        plans.append(p)
        return seamed(source, p)

    attempts = edit_with_retries(plan, always_seamed, checker(source), max_retries=2)
    assert len(attempts) == 3 and len(plans) == 3
    assert [a.plan.mask.dilate_px for a in attempts] == [
        plan.mask.dilate_px + 8 * i for i in range(3)
    ]
    assert all("seam" in {i.id for i in a.report.failed} for a in attempts)


def test_zero_retries_runs_once(source: Image.Image, plan: EditPlan) -> None:
    run = FakeRun([seamed(source, plan)])
    attempts = edit_with_retries(plan, run, checker(source), max_retries=0)
    assert len(attempts) == 1 and not attempts[0].report.passed


def test_stops_when_no_fix_changes_the_plan(source: Image.Image, plan: EditPlan) -> None:
    def prompt_only(p: EditPlan, out: Any) -> QAReport:
        fix = Fix(summary="give a caption of the whole image")  # no plan change can do this
        item = QAResult(id="prompt", status="fail", value=0, threshold=1, fix=fix, detail="x")
        return QAReport(items=[item], passed=False)

    run = FakeRun([filled(source, plan)] * 4)
    attempts = edit_with_retries(plan, run, prompt_only, max_retries=3)
    assert len(attempts) == 1  # the same plan again would give the same result


def test_passing_first_attempt_runs_once(source: Image.Image, plan: EditPlan) -> None:
    run = FakeRun([filled(source, plan)] * 2)
    attempts = edit_with_retries(plan, run, checker(source), max_retries=3)
    assert len(attempts) == 1 and attempts[0].report.passed and len(run.results) == 1


@pytest.mark.parametrize("bad", [-1, 11, 1.5, True, "2"])
def test_bad_max_retries(plan: EditPlan, bad: Any) -> None:
    run = FakeRun([])
    with pytest.raises(InputError, match="max_retries"):
        edit_with_retries(plan, run, lambda p, o: QAReport(items=[], passed=True), max_retries=bad)
    assert run.plans == []  # checked before anything ran


def test_run_errors_propagate(plan: EditPlan) -> None:
    def broken(p: EditPlan) -> Any:
        raise ExecutorError("out of memory; lower the resolution")

    with pytest.raises(ExecutorError, match="out of memory"):
        edit_with_retries(plan, broken, lambda p, o: QAReport(items=[], passed=True), max_retries=2)


def test_best_attempt_prefers_the_first_pass(plan: EditPlan) -> None:
    def report(n_failed: int) -> QAReport:
        fail = QAResult(
            id="seam", status="fail", value=3, threshold=1.5, fix=Fix(summary="x"), detail="x"
        )
        return QAReport(items=[fail] * n_failed, passed=n_failed == 0)

    attempts = [Attempt(i, plan, None, report(n)) for i, n in enumerate([2, 0, 1, 0])]
    assert best_attempt(attempts) is attempts[1]
    attempts = [Attempt(i, plan, None, report(n)) for i, n in enumerate([1, 2, 1])]
    assert best_attempt(attempts) is attempts[2]
    with pytest.raises(InputError):
        best_attempt([])


def test_apply_fixes_input_plan_untouched(source: Image.Image, plan: EditPlan) -> None:
    before = plan.model_dump_json()
    run = FakeRun([seamed(source, plan), filled(source, plan)])
    edit_with_retries(plan, run, checker(source), max_retries=1)
    assert plan.model_dump_json() == before
    assert (
        PlanChange(field="mask.dilate_px", op="add", value=8)
        in next(q for q in plan.qa if q.id == "seam").fix.changes
    )
