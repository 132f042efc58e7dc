"""The planner-language cases (../shared/cases/language.json): every case planned on a real photo.

Each case's ``expect`` keys are checked as the file's ``about`` defines them; the cases are a sample
of phrasings, the rules that pass them are general (tests/planner/test_paraphrases.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.planner import EditPlan, EditRequest, analyze, make_plan

CASES_FILE = Path(__file__).resolve().parents[3] / "shared" / "cases" / "language.json"
DATA = json.loads(CASES_FILE.read_text())
CASES = DATA["cases"]

# The same masks as the use-it cases, on a 512x512 image (small ~1.6%, medium ~20%, top 40%).
MASKS = {
    "small": (300, 60, 365, 125),
    "medium": (100, 250, 330, 480),
    "large-top": (0, 0, 512, 205),
}


def plan_case(case: dict, tmp_path: Path, astronaut: Image.Image) -> EditPlan:
    w, h = case.get("image_size", DATA["image_size"])
    image = astronaut.resize((w, h)) if (w, h) != astronaut.size else astronaut
    image.save(tmp_path / "photo.png")
    kwargs: dict = {"image": str(tmp_path / "photo.png"), "edit": case["edit"]}
    if "mask" in case:
        m = np.zeros((h, w), np.uint8)
        x0, y0, x1, y1 = MASKS[case["mask"]]
        m[y0:y1, x0:x1] = 255
        Image.fromarray(m, "L").save(tmp_path / "mask.png")
        kwargs["mask"] = str(tmp_path / "mask.png")
    request = EditRequest.model_validate(kwargs)
    return make_plan(request, analyze(request))


def check(plan: EditPlan, expect: dict) -> None:
    """Assert every expectation of a case, as language.json's ``about`` defines them."""
    positive, negative = plan.prompt.positive.lower(), plan.prompt.negative.lower()
    for key, want in expect.items():
        if key == "mode":
            assert plan.mode in (want if isinstance(want, list) else [want]), plan.mode
        elif key == "positive_has":
            for word in want:
                assert word.lower() in positive, f"{word!r} not in positive {positive!r}"
        elif key == "negative_has":
            for word in want:
                assert word.lower() in negative, f"{word!r} not in negative {negative!r}"
        elif key == "positive_not":
            for word in want:
                assert word.lower() not in positive, f"{word!r} in positive {positive!r}"
        elif key == "negative_not":
            for word in want:
                assert word.lower() not in negative, f"{word!r} in negative {negative!r}"
        elif key == "extend":
            assert plan.request.extend is not None, "no canvas extension"
            e = plan.request.extend
            have = [e.left, e.top, e.right, e.bottom]
            assert all(abs(a - b) <= 8 for a, b in zip(have, want, strict=True)), have
            assert plan.canvas is not None and plan.canvas.extend == e
        elif key == "strength_min":
            assert plan.strength is not None and plan.strength >= want, plan.strength
        elif key == "strength_max":
            assert plan.strength is not None and plan.strength <= want, plan.strength
        elif key == "sequence_len":
            assert len(plan.sequence) == want, [s.text for s in plan.sequence]
        else:
            raise AssertionError(f"unknown expectation {key!r}: teach this test what it means")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_language_case(case: dict, tmp_path: Path, astronaut: Image.Image) -> None:
    plan = plan_case(case, tmp_path, astronaut)
    check(plan, case["expect"])
    # every plan says what it read: the action, and the rule that chose the approach for it
    action = next(p for p in plan.understood if p.role == "action")
    assert action.used_by == plan.rules[0].id
    assert plan.sequence and plan.sequence[0].planned
    assert all(not s.planned for s in plan.sequence[1:])
