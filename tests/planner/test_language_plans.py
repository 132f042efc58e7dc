"""Plans built from parsed words: prompts from structure, sizes from words, degrees, sequences."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.planner import EditPlan, EditRequest, PlanError, analyze, make_plan
from retouch.planner.analyze import canvas_mask, mask_facts
from retouch.planner.contract.schema import Extend
from retouch.planner.language.intent import INTENTS
from retouch.planner.language.prompts import TEMPLATES, tokens
from retouch.planner.language.sizes import canvas_facts


def _plan(
    tmp: Path, img: Image.Image, box: tuple[int, int, int, int] | None = None, **kw
) -> EditPlan:  # type: ignore[no-untyped-def]
    img.save(tmp / "p.png")
    if box is not None:
        m = np.zeros((img.height, img.width), np.uint8)
        m[box[1] : box[3], box[0] : box[2]] = 255
        Image.fromarray(m, "L").save(tmp / "m.png")
        kw["mask"] = str(tmp / "m.png")
    request = EditRequest.model_validate({"image": str(tmp / "p.png"), **kw})
    return make_plan(request, analyze(request))


MEDIUM = (100, 250, 330, 480)
SMALL = (300, 60, 365, 125)


# ------------------------------------------------------------------------------------ prompts


def test_attribute_change_negates_old_colour_never_the_object(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, MEDIUM, edit="turn the red car blue")
    assert plan.intent == "attribute" and plan.mode == "sdedit"
    assert 0.6 <= (plan.strength or 0) <= 0.75  # keeps the object's shape
    assert "a blue car" in plan.prompt.positive
    assert plan.prompt.negative.startswith("red,") and "car" not in plan.prompt.negative


def test_worn_attribute_reads_wearing_after_the_scene(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, MEDIUM, edit="Change her jacket to green please",
                 scene="portrait of an astronaut")  # fmt: skip
    assert plan.prompt.positive == "portrait of an astronaut, wearing a green jacket"
    assert plan.prompt.describes_whole_image


def test_removal_negates_object_and_effects_and_describes_behind(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, SMALL, edit="erase the person and their shadow")
    assert plan.prompt.negative.startswith("person, shadow,")
    assert "person" not in plan.prompt.positive and "shadow" not in plan.prompt.positive
    assert plan.facts.ring_words and plan.facts.ring_words in plan.prompt.positive
    wall = _plan(tmp_path, astronaut, SMALL, edit="remove the sign from the wall")
    assert "empty wall" in wall.prompt.positive and "sign" not in wall.prompt.positive


def test_removal_drops_the_object_from_the_scene_caption(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, SMALL, edit="remove the flag",
                 scene="an astronaut in a white suit, a flag behind him")  # fmt: skip
    assert plan.prompt.positive.startswith("an astronaut in a white suit")
    assert "flag" not in plan.prompt.positive and "flag" in plan.prompt.negative


def test_restyle_replaces_photograph_in_the_scene(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, edit="make it look like a Van Gogh painting",
                 scene="a photo of an astronaut in a white suit")  # fmt: skip
    assert plan.prompt.positive.startswith("a van gogh painting of an astronaut")
    assert "photo" not in plan.prompt.positive
    assert "photograph" in plan.prompt.negative  # the photographic look is what disappears


def test_sky_mood_is_described(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, (0, 0, 512, 205), edit="make the sky stormier")
    assert "a stormy sky" in plan.prompt.positive and "clear sky" not in plan.prompt.positive
    night = _plan(tmp_path, astronaut, (0, 0, 512, 205), edit="swap the sky for a starry night")
    assert "a starry night sky" in night.prompt.positive


def test_instruction_is_the_edit_without_politeness(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, edit="Could you please make it night time, thanks!")
    assert plan.mode == "instruct" and plan.prompt.positive == "make it night time"
    assert plan.prompt.built_by == "instruction"


def test_long_prompt_drops_least_important_words_and_says_so(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    scene = ", ".join(
        f"detail number {i} of the very elaborate background scenery" for i in range(12)
    )
    plan = _plan(tmp_path, astronaut, MEDIUM, edit="make her shirt red", scene=scene)
    assert plan.prompt.tokens > 77 and plan.prompt.dropped
    assert tokens(plan.prompt.positive) <= plan.prompt.token_limit == 77
    assert plan.prompt.positive.endswith("wearing a red shirt")  # the edit itself is kept
    assert plan.prompt.dropped[-1] == "scenery"  # words go from the end of the scene
    assert any("left out" in w for w in plan.warnings)
    flux = _plan(tmp_path, astronaut, MEDIUM, edit="remove the shirt", scene=scene,
                 preferences={"priority": "quality"})  # fmt: skip
    assert flux.model.family == "flux-fill" and flux.prompt.token_limit == 512
    assert flux.prompt.dropped == []


def test_every_intent_has_a_prompt_template() -> None:
    assert {name for name, _ in INTENTS} <= set(TEMPLATES)


# ------------------------------------------------------------------------------------ sizes


@pytest.mark.parametrize(
    ("edit", "size", "want"),
    [
        ("uncrop to 16:9", (512, 512), (200, 0, 200, 0)),
        ("Make it square please", (640, 480), (0, 80, 0, 80)),
        ("make it portrait", (640, 480), (0, 184, 0, 192)),
        ("widen to 3:2", (512, 512), (128, 0, 128, 0)),
        ("extend 200 px on the left", (512, 512), (200, 0, 0, 0)),
        ("add 64 pixels at the bottom", (512, 512), (0, 0, 0, 64)),
        ("extend 100px on the top right", (512, 512), (0, 104, 104, 0)),
        ("make it twice as wide", (400, 300), (200, 0, 200, 0)),
        ("uncrop to 16:9 on the right", (512, 512), (0, 0, 400, 0)),
        ("expand it to 1920x1080", (1280, 720), (320, 176, 320, 184)),
        ("zoom out", (512, 512), (128, 128, 128, 128)),
    ],
)
def test_size_words_give_the_extension(edit, size, want, tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut.resize(size), edit=edit)
    e = plan.request.extend
    assert plan.mode == "outpaint" and plan.mask.source == "canvas"
    assert e is not None and (e.left, e.top, e.right, e.bottom) == want
    assert plan.canvas is not None and plan.canvas.source == "words"
    assert all(v % plan.canvas.multiple_of == 0 for v in want)
    size_words = next(p for p in plan.understood if p.role == "size")
    assert size_words.used_by == "canvas-from-words" == plan.canvas.rule
    assert "canvas-from-words" in [r.id for r in plan.rules]


def test_extension_rounds_to_the_chosen_familys_multiple(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut.resize((500, 500)), edit="uncrop to 16:9",
                 preferences={"priority": "quality"})  # fmt: skip
    assert plan.model.family == "flux-fill" and plan.canvas is not None
    assert plan.canvas.multiple_of == 16
    e = plan.canvas.extend
    assert e.left % 16 == 0 and e.right % 16 == 0 and abs(e.left + e.right - 389) <= 16


def test_explicit_extend_wins_over_words(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, edit="uncrop to 16:9", extend={"right": 64})
    assert plan.request.extend == Extend(right=64)
    assert plan.canvas is not None and plan.canvas.source == "given"
    size = next(p for p in plan.understood if p.role == "size")
    assert size.used_by.startswith("not used")


def test_canvas_facts_match_the_canvas_mask() -> None:
    for ext in (Extend(left=40), Extend(left=8, right=16), Extend(top=24, bottom=8),
                Extend(left=8, top=16), Extend(left=8, top=8, right=8, bottom=8)):  # fmt: skip
        want = mask_facts(canvas_mask((50, 30), ext))
        have = canvas_facts(50, 30, ext)
        for key, value in want.items():
            assert have[key] == pytest.approx(value), (ext, key)


def test_asking_for_the_shape_it_has_is_a_plan_error(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError, match="already square"):
        _plan(tmp_path, astronaut, edit="make it square")


def test_size_words_with_a_mask_do_not_extend(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, MEDIUM, edit="extend the wall 200 px to the left")
    assert plan.request.extend is None and plan.canvas is None and plan.mode == "inpaint"


# ------------------------------------------------------------------------------------ degrees


@pytest.mark.parametrize(
    ("edit", "strength", "rule"),
    [
        ("turn this into a watercolor painting", 0.7, "restyle-whole"),
        ("slightly restyle it as a watercolor", 0.3, "light-touch"),
        ("make it look very much like a watercolor", 0.75, "strong-touch"),
        ("completely reimagine this as an anime scene", 0.9, "heavy-touch"),
        ("a bit warmer please", 0.3, "light-whole-sdedit"),
    ],
)
def test_degree_words_move_strength(edit, strength, rule, tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, edit=edit)
    assert plan.mode == "sdedit" and plan.strength == strength
    assert rule in [r.id for r in plan.rules]
    if strength == 0.7:
        assert plan.strength_sweep == [0.6, 0.7, 0.8]


def test_degree_word_names_the_rule_that_used_it(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, edit="slightly warmer colours")
    degree = next(p for p in plan.understood if p.role == "degree")
    assert degree.words == "slightly" and degree.used_by == "light-touch"
    instruct = _plan(tmp_path, astronaut, edit="make it much darker at night")
    assert instruct.mode == "instruct"
    assert next(p for p in instruct.understood if p.role == "degree").used_by.startswith("not used")


# ------------------------------------------------------------------------------------ work size


def test_whole_frame_runs_at_native_area_and_source_aspect(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(
        tmp_path, astronaut.resize((451, 300)), edit="turn this into a watercolor painting"
    )
    assert plan.model.family == "sdxl" and plan.work_size is not None
    w, h = plan.work_size.width, plan.work_size.height
    assert w % 8 == 0 and h % 8 == 0
    assert abs(w / h - 451 / 300) < 0.02
    assert abs(math.sqrt(w * h) - 1024) < 16
    assert plan.work_size.scale == pytest.approx(w / 451, abs=1e-3)
    kontext = _plan(tmp_path, astronaut.resize((451, 300)), edit="make it sunset",
                    preferences={"hardware": "gpu-80gb"})  # fmt: skip
    assert kontext.model.family == "longcat-image-edit" and kontext.work_size is not None
    assert kontext.work_size.width % 16 == 0 and kontext.work_size.height % 16 == 0


def test_cropped_runs_have_no_work_size(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, SMALL, edit="remove the sign")
    assert plan.crop.enabled is True and plan.work_size is None


# ------------------------------------------------------------------------------------ sequence


def test_two_edits_plan_the_first_and_say_how_to_continue(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, SMALL, edit="Remove the sign and make the sky bluer")
    assert [(s.text, s.intent, s.planned) for s in plan.sequence] == [
        ("remove the sign", "remove", True),
        ("make the sky bluer", "replace-sky", False),
    ]
    assert plan.intent == "remove" and plan.mode == "inpaint"
    assert "sky" not in plan.prompt.positive and "blue" not in plan.prompt.positive  # not merged
    assert any('"make the sky bluer"' in w for w in plan.warnings)


def test_single_edit_has_a_sequence_of_one(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, edit="make it sunset")
    assert len(plan.sequence) == 1 and plan.sequence[0].planned
    assert not any("edits" in w for w in plan.warnings)


def test_spatial_words_say_how_they_were_used(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(tmp_path, astronaut, SMALL, edit="remove the tourist on the left")
    spatial = next(p for p in plan.understood if p.role == "spatial")
    assert spatial.words == "on the left" and spatial.used_by.startswith("not used: the mask")
    canvas = _plan(tmp_path, astronaut, edit="extend 128 px on the left")
    assert next(p for p in canvas.understood if p.role == "spatial").used_by == "canvas-from-words"
