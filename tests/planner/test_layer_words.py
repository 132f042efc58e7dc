"""Words that ask for the edit as layers (planner/language/layers.py): they turn the plan's
``layers`` on, are left out of the parsed edit and its prompt, and words that only mention a layer
("a layer of snow") ask for nothing; the skill doc says what will be written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.planner import EditPlan, EditRequest, PlanError, analyze, make_plan
from retouch.planner.language import intent
from retouch.planner.language.layers import read
from retouch.planner.render import render as render_doc


def _plan(tmp: Path, img: Image.Image, **kw: object) -> EditPlan:
    small = img.resize((128, 128))
    small.save(tmp / "p.png")
    m = np.zeros((128, 128), np.uint8)
    m[30:70, 40:90] = 255
    Image.fromarray(m, "L").save(tmp / "m.png")
    request = EditRequest.model_validate(
        {"image": str(tmp / "p.png"), "mask": str(tmp / "m.png"), **kw}
    )
    return make_plan(request, analyze(request))


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("split into layers", ""),
        ("split the image into layers", ""),
        ("put the subject on its own layer", ""),
        ("remove the sign but keep it as a layer", "remove the sign"),
        ("Remove the sign, but keep it as a layer.", "Remove the sign"),
        ("remove the sign as layers", "remove the sign"),
        ("make the sky bluer and put it on a separate layer", "make the sky bluer"),
        ("remove the sign and return layers", "remove the sign"),
        (
            "remove the sign as layers and make the sky blue",
            "remove the sign and make the sky blue",
        ),
    ],
)
def test_layer_words_are_read_and_taken_out(text: str, rest: str) -> None:
    words = read(text)
    assert words.asked and words.words and words.rest == rest


@pytest.mark.parametrize(
    "text",
    [
        "remove the sign",
        "cover the roof with a layer of snow",
        "add a layer of snow on the roof",
        "remove the layer of dust",
    ],
)
def test_words_that_only_mention_a_layer_ask_for_nothing(text: str) -> None:
    assert read(text) == read(text).__class__(False, (), text)
    assert not intent.parse(text).layers


def test_split_into_layers_turns_the_option_on(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan(tmp_path, astronaut, edit="remove the sign and split into layers")
    assert plan.layers and plan.intent == "remove"
    assert [s.text for s in plan.sequence] == ["remove the sign"]  # not a second edit
    assert "layer" not in plan.prompt.positive and "split" not in plan.prompt.positive
    assert plan.request.edit == "remove the sign and split into layers"  # as the caller wrote it
    doc = render_doc(plan, "plan.json")
    assert "**Layers:** yes" in doc and "removed object (hidden, alpha = mask)" in doc


def test_keep_it_as_a_layer_plans_the_same_removal(tmp_path: Path, astronaut: Image.Image) -> None:
    layered = _plan(tmp_path, astronaut, edit="remove the sign but keep it as a layer")
    plain = _plan(tmp_path, astronaut, edit="remove the sign")
    assert layered.layers and not plain.layers
    assert layered.prompt.positive == plain.prompt.positive
    assert (layered.mode, layered.model.family) == (plain.mode, plain.model.family)
    assert "**Layers:**" not in render_doc(plain, "plan.json")


def test_the_request_option_turns_layers_on(tmp_path: Path, astronaut: Image.Image) -> None:
    assert _plan(tmp_path, astronaut, edit="make the shirt red", layers=True).layers
    assert not _plan(tmp_path, astronaut, edit="make the shirt red").layers


@pytest.mark.parametrize("text", ["put the subject on its own layer", "as layers"])
def test_layers_with_no_edit_are_refused_with_the_fix(
    tmp_path: Path, astronaut: Image.Image, text: str
) -> None:
    with pytest.raises(PlanError, match="names no edit; say the edit too") as err:
        _plan(tmp_path, astronaut, edit=text)
    assert "\n" not in str(err.value)  # one line, not a replace-background plan
