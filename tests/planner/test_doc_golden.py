"""Regenerate-and-diff: rendered skill docs must equal the committed golden copies.

After an intended change to the planner or template, regenerate with
``RETOUCH_REGEN_GOLDEN=1 python -m pytest tests/planner/test_doc_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.planner import EditRequest, analyze, make_plan
from retouch.planner.render import render, write_outputs

GOLDEN = Path(__file__).parent / "golden"

REQUESTS = {
    "remove-small": {
        "image": "photo.png",
        "edit": "remove the sign in the background",
        "mask": "mask.png",
        "scene": "portrait of an astronaut in an orange suit",
    },
    "make-sunset": {"image": "photo.png", "edit": "make it sunset"},
    "background-replace": {
        "image": "photo.png",
        "edit": "replace the background with a beach",
        "sam": {"points": [{"x": 256, "y": 256, "label": 1}]},
        "preferences": {"priority": "quality", "hardware": "gpu-80gb"},
    },
    # issue 14: a canvas from size words, an attribute change, two edits in one text, a restyle
    "uncrop-16-9": {"image": "photo.png", "edit": "uncrop to 16:9"},
    "shirt-red": {
        "image": "photo.png",
        "edit": "change her shirt to red",
        "mask": "mask.png",
        "scene": "portrait of an astronaut",
    },
    "two-edits": {
        "image": "photo.png",
        "edit": "Please remove the sign and make the sky bluer",
        "mask": "mask.png",
    },
    "watercolor": {"image": "photo.png", "edit": "turn this into a watercolor painting"},
}


@pytest.fixture
def workdir(tmp_path: Path, astronaut: Image.Image, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    astronaut.save("photo.png")
    m = np.zeros((512, 512), np.uint8)
    m[300:365, 60:125] = 255
    Image.fromarray(m, "L").save("mask.png")
    return tmp_path


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_rendered_doc_matches_golden(name: str, workdir: Path) -> None:
    request = EditRequest.model_validate(REQUESTS[name])
    plan = make_plan(request, analyze(request))
    doc_path, plan_path = write_outputs(plan, "out")
    doc = doc_path.read_text()
    assert doc == render(plan, "out/plan.json")  # the file on disk is exactly the rendering
    golden = GOLDEN / f"{name}.md"
    if os.environ.get("RETOUCH_REGEN_GOLDEN") == "1":
        golden.write_text(doc)
    assert golden.is_file(), f"missing {golden}: regenerate with RETOUCH_REGEN_GOLDEN=1"
    assert doc == golden.read_text(), f"{name}: rendered doc drifted from {golden}"


def test_plan_json_round_trips(workdir: Path) -> None:
    from retouch.planner.render import load_plan

    request = EditRequest.model_validate(REQUESTS["remove-small"])
    plan = make_plan(request, analyze(request))
    _, plan_path = write_outputs(plan, "out")
    assert load_plan(plan_path) == plan
