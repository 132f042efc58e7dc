"""Words that ask for the edit as layers (planner/language/layers.py): they turn the plan's
``layers`` on, are left out of the parsed edit and its prompt, and words that only mention a layer
("a layer of snow") ask for nothing; the skill doc says what will be written. A cut-out with no
other edit ("put the subject on its own layer") is planned as the removal of the subject, its fill
kept as the background layer: with a region (a mask, or the object named), never without one."""

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


@pytest.mark.parametrize("text", ["as layers", "put the image on its own layer"])
def test_layers_with_no_edit_are_refused_with_the_fix(
    tmp_path: Path, astronaut: Image.Image, text: str
) -> None:
    with pytest.raises(PlanError, match="names no edit; say the edit too") as err:
        _plan(tmp_path, astronaut, edit=text)
    assert "\n" not in str(err.value)  # one line, not a replace-background plan


CUTOUTS = [
    ("put the subject on its own layer", None),
    ("Cut out the dog onto its own layer.", "the dog"),
    ("separate the person from the background as layers", "the person"),
    ("isolate the cat on a separate layer", "the cat"),
    ("keep it as a layer", None),
]


@pytest.mark.parametrize(("text", "subject"), CUTOUTS)
def test_cut_out_words_are_read(text: str, subject: str | None) -> None:
    words = read(text)
    assert words.asked and words.cutout and words.rest == "" and words.subject == subject
    assert intent.parse(text).kind == "remove"  # the fill under the subject is a removal's


@pytest.mark.parametrize(("text", "subject"), CUTOUTS)
def test_a_cut_out_with_a_mask_plans_the_subject_over_the_fill(
    tmp_path: Path, astronaut: Image.Image, text: str, subject: str | None
) -> None:
    plan = _plan(tmp_path, astronaut, edit=text, preferences={"hardware": "cpu"})
    removal = _plan(tmp_path, astronaut, edit="remove it", preferences={"hardware": "cpu"})
    assert plan.layers and plan.intent == "remove" and plan.mask.source == "given"
    ids = [hit.id for hit in plan.rules]
    assert "layers-subject-cutout" in ids and "layers-qwen-layered" not in ids
    assert (plan.mask.dilate_px, plan.mask.feather_px) == (0, 0)  # alpha = the mask itself
    assert removal.mask.dilate_px > 0  # where a plain removal grows it
    assert plan.executor == removal.executor == "classical"  # the removal's fill (CPU)
    assert plan.prompt.positive == removal.prompt.positive  # describes the background
    assert "layer" not in plan.prompt.positive
    doc = render_doc(plan, "plan.json")
    assert "a cut-out — the subject (alpha = mask" in doc
    assert "`result.png` is the source unchanged" in doc and "QA measures the fill" in doc
    why = next(hit.why for hit in plan.rules if hit.id == "layers-subject-cutout")
    assert "result.png is the source unchanged" in why


def test_a_named_cut_out_without_a_mask_finds_the_object(tmp_path: Path) -> None:
    Image.new("RGB", (128, 128), "white").save(tmp_path / "p.png")
    request = EditRequest(image=str(tmp_path / "p.png"), edit="cut out the dog onto its own layer")
    plan = make_plan(request, analyze(request))
    assert plan.layers and plan.mask.source == "text" and plan.mask.text == "the dog"
    assert plan.mask.sam_model == "sam3" and plan.mask.dilate_px == 0


@pytest.mark.parametrize("text", ["put the subject on its own layer", "keep it as a layer"])
def test_a_cut_out_without_a_region_says_how_to_give_one(tmp_path: Path, text: str) -> None:
    Image.new("RGB", (128, 128), "white").save(tmp_path / "p.png")
    request = EditRequest(image=str(tmp_path / "p.png"), edit=text)
    with pytest.raises(PlanError, match="has no region; give a mask, click the subject") as err:
        make_plan(request, analyze(request))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("text", ["add a layer of snow", "remove the layered cake"])
def test_layer_lookalikes_plan_their_own_edit(
    tmp_path: Path, astronaut: Image.Image, text: str
) -> None:
    words = read(text)
    assert not words.asked and not words.cutout and words.rest == text
    plan = _plan(tmp_path, astronaut, edit=text)
    assert not plan.layers and plan.intent == intent.parse_edit(text).kind  # the words alone
    assert [s.text for s in plan.sequence] == [text]  # not rewritten into a removal
    assert "layers-subject-cutout" not in [hit.id for hit in plan.rules]
