"""planner/contract/changes.py: the one semantics of a plan change (overrides, compare arms, QA fixes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from retouch.planner import analyze, make_plan
from retouch.planner.contract.changes import LIMITS, apply_changes, strength_sweep
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import EditRequest, PlanChange


@pytest.fixture
def plan(tmp_path: Path, astronaut: Image.Image):  # type: ignore[no-untyped-def]
    """An SDEdit restyle: it has a strength (and a sweep when the planner wants one)."""
    astronaut.resize((128, 128)).save(tmp_path / "photo.png")
    request = EditRequest(image=str(tmp_path / "photo.png"), edit="make it a watercolor painting")
    return make_plan(request, analyze(request))


def change(field: str, op: str, value: object) -> PlanChange:
    return PlanChange(field=field, op=op, value=value)


def test_set_add_and_multiply_keep_the_field_kind_and_clamp(plan) -> None:  # type: ignore[no-untyped-def]
    new, skipped = apply_changes(
        plan,
        [
            change("steps", "multiply", 1.5),
            change("mask.dilate_px", "add", 10_000),
            change("guidance.text", "set", 3.25),
        ],
    )
    assert skipped == []
    assert new.steps == round(plan.steps * 1.5) and isinstance(new.steps, int)
    assert new.mask.dilate_px == LIMITS["mask.dilate_px"][1]  # clamped to its bound
    assert new.guidance.text == 3.25
    assert plan.steps != new.steps  # the input plan is left alone


def test_arithmetic_on_a_null_field_is_skipped_and_returned(plan) -> None:  # type: ignore[no-untyped-def]
    nulls = [k for k, v in plan.guidance.model_dump().items() if v is None]
    assert "image" in nulls  # an SD family reads no image guidance
    add = change("guidance.image", "add", 1.0)
    new, skipped = apply_changes(plan, [add, change("seed", "set", 7)])
    assert skipped == [add] and new.guidance.image is None and new.seed == 7


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ([change("guidance.nope", "set", 1)], "'guidance.nope' is not a plan field"),
        ([change("mode", "add", 1)], "needs a number there"),
        ([change("steps", "add", "two")], "needs a number, got 'two'"),
        ([change("steps", "set", "many")], "the overrides make an invalid plan: steps"),
    ],
)
def test_bad_changes_are_input_errors_naming_the_field(plan, changes, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=words):
        apply_changes(plan, changes)


def test_the_strength_sweep_follows_a_changed_strength(plan) -> None:  # type: ignore[no-untyped-def]
    swept = plan.model_copy(update={"strength": 0.5, "strength_sweep": strength_sweep(0.5)})
    new, _ = apply_changes(swept, [change("strength", "add", 0.2)])
    assert new.strength == 0.7 and new.strength_sweep == [0.6, 0.7, 0.8]
    assert strength_sweep(0.1) == [0.05, 0.1, 0.2] and strength_sweep(0.9) == [0.8, 0.9, 0.95]
