"""The rule table and the intent patterns: structure, paraphrases, hardware fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from retouch.planner import EditRequest, PlanError, analyze, make_plan
from retouch.planner.catalog.registry import CONTROLNETS
from retouch.planner.language.intent import parse
from retouch.planner.rules import ADJUST_RULES, TASK_RULES, Decide


def test_rule_ids_unique_and_reasons_are_one_sentence() -> None:
    ids = [r.id for r in TASK_RULES + ADJUST_RULES]
    assert len(ids) == len(set(ids))
    for rule in TASK_RULES + ADJUST_RULES:
        assert rule.why.endswith(".") and rule.why.count(". ") == 0, rule.id


def test_last_task_rule_matches_everything() -> None:
    assert TASK_RULES[-1].when == {}


def test_decide_forbids_unknown_fields() -> None:
    with pytest.raises(ValueError):
        Decide(colour="red")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("remove the sign", "remove"),
        ("erase the power lines", "remove"),
        ("delete the tourist", "remove"),
        ("take out the person on the left", "remove"),
        ("get rid of the trash can", "remove"),
        ("replace the sky with storm clouds", "replace-sky"),
        ("change the background to a studio backdrop", "replace-background"),
        ("extend the canvas", "extend"),
        ("uncrop this photo", "extend"),
        ("widen the picture", "extend"),
        ("outpaint to the left", "extend"),
        ("fix the hands", "fix-hand"),
        ("the fingers are deformed, fix them", "fix-hand"),
        ("regenerate the face", "fix-face"),
        ("make the jacket look like an oil painting", "restyle"),
        ("make it look like a watercolor", "restyle"),
        ("make it sunset", "relight"),
        ("make it winter", "relight"),
        ("make it look more epic", "global"),
        ("add a dragon", "add"),
        ("replace the cat with a dog", "replace-object"),
        ("something entirely different", "generic"),
    ],
)
def test_intent_paraphrases(text: str, kind: str) -> None:
    assert parse(text).kind == kind


def test_intent_extracts_subject_and_target() -> None:
    it = parse("remove the sign in the background")
    assert it.subject == "sign"
    assert it.first.spatial == ("in the background",)
    assert parse("replace the sky with a blue sky at sunset").target == "a blue sky at sunset"
    assert parse("remove the logo, it must be indistinguishable").quality_max
    assert parse("slightly restyle the wall as brick").touch == "light"


def _plan(tmp: Path, img: Image.Image, **kw):  # type: ignore[no-untyped-def]
    img.save(tmp / "p.png")
    request = EditRequest.model_validate({"image": str(tmp / "p.png"), **kw})
    return make_plan(request, analyze(request))


def test_add_dragon_without_mask_is_instruct(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan(tmp_path, astronaut, edit="add a dragon")
    assert plan.mode == "instruct" and plan.mask.source == "none"


def test_restyle_whole_image_is_sdedit_07_with_sweep(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    plan = _plan(tmp_path, astronaut, edit="make it look like a watercolor")
    assert plan.mode == "sdedit" and plan.strength == 0.7 and plan.mask.source == "none"
    assert plan.strength_sweep == [0.6, 0.7, 0.8]
    assert "photograph" not in plan.prompt.positive and "watercolor" in plan.prompt.positive
    heavy = _plan(tmp_path, astronaut, edit="completely restyle it as a comic")
    assert heavy.strength == 0.9


def test_cpu_removal_uses_classical(tmp_path: Path, astronaut: Image.Image, write_mask) -> None:
    mask = write_mask((512, 512), (10, 10, 60, 60))
    plan = _plan(
        tmp_path, astronaut, edit="remove the flag", mask=str(mask), preferences={"hardware": "cpu"}
    )
    assert plan.executor == "classical"
    assert plan.latency.total_s < 1.0


def test_allow_list_without_inpaint_models_uses_repaint(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:
    mask = write_mask((512, 512), (10, 10, 60, 60))
    plan = _plan(
        tmp_path,
        astronaut,
        edit="remove the flag",
        mask=str(mask),
        preferences={"families": ["ddpm", "sd"]},
    )
    assert plan.mode == "repaint" and plan.model.family == "ddpm"


@pytest.mark.parametrize("hardware", ["gpu-8gb", "gpu-24gb", "cpu"])
def test_controlnet_plan_chooses_only_families_with_that_controlnet(
    tmp_path: Path, astronaut: Image.Image, write_mask, hardware: str
) -> None:
    # latency-fewer-steps puts flux2-klein first, which has no OpenPose ControlNet: the plan
    # used to fail with KeyError ('openpose', 'flux2-klein') or list such families as alternates
    mask = write_mask((512, 512), (300, 60, 365, 125))
    plan = _plan(
        tmp_path,
        astronaut,
        edit="regenerate the hand, the fingers are wrong",
        mask=str(mask),
        preferences={"priority": "latency", "hardware": hardware},
    )
    assert plan.controlnet is not None and plan.controlnet.type == "openpose"
    assert plan.model.family == "sd-inpaint"
    # alternates only among families with an OpenPose ControlNet (Z-Image's Union, where it fits)
    assert set(plan.model.alternates) <= {f for kind, f in CONTROLNETS if kind == "openpose"}
    assert any("flux2-klein has no openpose ControlNet" in h.why for h in plan.rules)


def test_nothing_fits_is_plan_error(tmp_path: Path, astronaut: Image.Image) -> None:
    with pytest.raises(PlanError, match="no allowed model family"):
        _plan(
            tmp_path,
            astronaut,
            edit="make it sunset",
            preferences={"families": ["flux-kontext"], "hardware": "gpu-8gb"},
        )


def test_dilation_scales_with_image(
    tmp_path: Path, astronaut: Image.Image, coffee: Image.Image, write_mask
) -> None:
    small = _plan(
        tmp_path, astronaut, edit="remove it", mask=str(write_mask((512, 512), (10, 10, 60, 60)))
    )
    big_img = astronaut.resize((1024, 1024))
    big = _plan(
        tmp_path,
        big_img,
        edit="remove it",
        mask=str(write_mask((1024, 1024), (10, 10, 120, 120), "m2.png")),
    )
    assert small.mask.dilate_px == 8 and big.mask.dilate_px == 16
    assert 0 < small.mask.feather_px <= small.mask.dilate_px


def test_crop_box_is_inside_image_and_multiple(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:
    plan = _plan(
        tmp_path,
        astronaut,
        edit="remove it",
        mask=str(write_mask((512, 512), (490, 490, 512, 512))),
    )  # corner: shifted inward
    x0, y0, x1, y1 = plan.crop.box
    assert 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
    assert (x1 - x0) % 8 == 0 and (y1 - y0) % 8 == 0
    assert x1 - x0 == 22 + 2 * plan.crop.padding_px + (-(22 + 2 * plan.crop.padding_px)) % 8


def test_latency_prefers_crop_on_big_images(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:
    big = astronaut.resize((2048, 2048))
    plan = _plan(
        tmp_path,
        big,
        edit="remove it",
        mask=str(write_mask((2048, 2048), (1000, 1000, 1100, 1100))),
    )
    assert plan.crop.enabled is True
    denoise = next(s for s in plan.latency.stages if s.stage.startswith("denoise"))
    assert denoise.seconds < 2.0  # native 512 crop, not a 2048^2 frame


def test_planning_is_deterministic(tmp_path: Path, astronaut: Image.Image) -> None:
    a = _plan(tmp_path, astronaut, edit="make it sunset")
    b = _plan(tmp_path, astronaut, edit="make it sunset")
    assert a.model_dump_json() == b.model_dump_json()


def test_float_and_16bit_masks_read_at_half(tmp_path: Path) -> None:
    import numpy as np
    from retouch.planner.contract.imageio import mask_to_array

    unit = np.zeros((4, 4), np.float32)
    unit[:2] = 1.0
    assert mask_to_array(Image.fromarray(unit, "F")).sum() == 8
    deep = np.zeros((4, 4), np.uint16)
    deep[:1] = 65535
    deep[1:2] = 30000  # under half of 16-bit range: not edit
    assert mask_to_array(Image.fromarray(deep)).sum() == 4
