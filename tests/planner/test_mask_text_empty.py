"""A plan whose mask names nothing (mask.text "" or blanks) is refused when it is read or changed,
with one clear error, not a crash inside the segmenter at run time (found by the fuzz suite's long
profile: run_edit on a mutated plan.json was an internal error)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retouch.planner import analyze, make_plan
from retouch.planner.contract.changes import apply_changes
from retouch.planner.contract.errors import InputError, RetouchError
from retouch.planner.contract.schema import EditRequest, PlanChange
from retouch.planner.render import load_plan


@pytest.fixture
def plan(astronaut_path: Path):  # type: ignore[no-untyped-def]
    req = EditRequest(image=str(astronaut_path), edit="remove the helmet")
    return make_plan(req, analyze(req))


@pytest.mark.parametrize("text", ["", "   "])
def test_a_plan_file_with_an_empty_mask_name_is_refused(plan, tmp_path: Path, text: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(plan.model_dump_json())
    data["mask"]["text"] = text
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"not a valid plan.json \(mask.text\)"):
        load_plan(path)
    data["mask"]["text"] = "the helmet"
    path.write_text(json.dumps(data))
    assert load_plan(path).mask.text == "the helmet"


def test_an_override_emptying_the_mask_name_is_refused(plan) -> None:  # type: ignore[no-untyped-def]
    change = PlanChange(field="mask.text", op="set", value="")
    with pytest.raises(RetouchError, match="mask.text is empty"):
        apply_changes(plan, [change])
