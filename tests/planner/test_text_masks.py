"""The planner reads the object out of the sentence: a SAM 3 text mask with the spatial pick."""

from __future__ import annotations

import pytest
from PIL import Image
from retouch.planner import EditRequest, analyze, make_plan
from retouch.planner.contract.schema import SamPoint, SamPrompt


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("img") / "a.png"
    Image.new("RGB", (512, 384), (90, 120, 150)).save(path)
    return str(path)


def plan(image: str, edit: str, **kw):  # type: ignore[no-untyped-def]
    request = EditRequest(image=image, edit=edit, **kw)
    return make_plan(request, analyze(request))


@pytest.mark.parametrize(
    ("edit", "text", "pick", "invert"),
    [
        ("remove the dog on the left", "the dog", "left", False),
        ("remove the people", "the people", "all", False),
        ("erase all the cars", "the cars", "all", False),
        ("delete the second bottle from the right", "the bottle", "right:2", False),
        ("remove the biggest rock", "the rock", "largest", False),
        ("remove the man in the background", "the man", "back", False),
        ("replace the dog with a cat", "the dog", None, False),
        ("replace the background behind the woman", "the woman", None, True),
    ],
)
def test_named_objects_plan_a_text_mask(
    image: str, edit: str, text: str, pick: str | None, invert: bool
) -> None:
    p = plan(image, edit)
    assert (p.mask.source, p.mask.text, p.mask.pick, p.mask.invert) == ("text", text, pick, invert)
    assert p.mask.sam_model == "sam3" and p.mode == "inpaint"
    assert "mask-from-words" in [h.id for h in p.rules]
    assert any(s.stage == "mask (SAM sam3)" for s in p.latency.stages)
    assert "SAM 3" in p.mask.note


@pytest.mark.parametrize(
    "edit", ["make it sunset", "make it look like a watercolor painting", "replace the background"]
)
def test_unnamed_objects_stay_whole_image(image: str, edit: str) -> None:
    p = plan(image, edit)
    assert p.mask.source == "none" and p.mask.text is None


def test_a_given_region_wins_over_the_words(image: str) -> None:
    clicked = plan(image, "remove the dog", sam=SamPrompt(points=[SamPoint(x=5, y=5)]))
    assert clicked.mask.source == "sam-points" and clicked.mask.text is None


def test_text_prompt_in_the_request(image: str) -> None:
    p = plan(image, "remove it", sam=SamPrompt(text="the second car from the left"))
    assert (p.mask.source, p.mask.text, p.mask.pick) == ("text", "the car", "left:2")
