"""The lesson's "Use It" table (../shared/cases/use-it.json): every case planned on a real photo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.planner import EditRequest, analyze, make_plan
from retouch.planner.catalog.registry import REGISTRY

CASES_FILE = Path(__file__).resolve().parents[3] / "shared" / "cases" / "use-it.json"
CASES = json.loads(CASES_FILE.read_text())["cases"]

# Masks the cases name, on the 512x512 astronaut photo (fractions of the image: small ~1.6%,
# medium ~20%, large-top = the top 40% of rows).
MASKS = {
    "small": (300, 60, 365, 125),
    "medium": (100, 250, 330, 480),
    "large-top": (0, 0, 512, 205),
}


def _get(plan_json: dict, dotted: str):  # type: ignore[no-untyped-def]
    value = plan_json
    for part in dotted.split("."):
        value = value[part]
    return value


def _request(case: dict, tmp_path: Path, astronaut: Image.Image) -> EditRequest:
    image = tmp_path / "photo.png"
    astronaut.save(image)
    kwargs: dict = {"image": str(image), "edit": case["edit"]}
    if "mask" in case:
        m = np.zeros((512, 512), np.uint8)
        x0, y0, x1, y1 = MASKS[case["mask"]]
        m[y0:y1, x0:x1] = 255
        Image.fromarray(m, "L").save(tmp_path / "mask.png")
        kwargs["mask"] = str(tmp_path / "mask.png")
    if "extend" in case:
        left, top, right, bottom = case["extend"]
        kwargs["extend"] = {"left": left, "top": top, "right": right, "bottom": bottom}
    if "point" in case:
        fx, fy = case["point"]
        kwargs["sam"] = {"points": [{"x": fx * 512, "y": fy * 512, "label": 1}]}
    if case.get("quality") == "max":
        kwargs["preferences"] = {"priority": "quality"}
    return EditRequest.model_validate(kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_expectations(case: dict, tmp_path: Path, astronaut: Image.Image) -> None:
    request = _request(case, tmp_path, astronaut)
    plan = make_plan(request, analyze(request))
    data = json.loads(plan.model_dump_json())
    for key, want in case["expect"].items():
        if key == "note":
            continue
        have = _get(data, key) if key != "controlnet" else (data["controlnet"] or {}).get("type")
        if isinstance(want, list):
            assert have in want, f"{key}: {have!r} not in {want}"
        else:
            assert have == want, f"{key}: {have!r} != {want!r}"
    # every plan explains itself
    assert plan.rules and all(r.why.endswith(".") for r in plan.rules)


def _plan(case_id: str, tmp_path: Path, astronaut: Image.Image, **prefs):  # type: ignore[no-untyped-def]
    case = next(c for c in CASES if c["id"] == case_id)
    request = _request(case, tmp_path, astronaut)
    if prefs:
        request = request.model_copy(
            update={"preferences": request.preferences.model_copy(update=prefs)}
        )
    return make_plan(request, analyze(request))


def test_small_mask_lowers_text_cfg(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("remove-small", tmp_path, astronaut)
    assert plan.guidance.text < REGISTRY[plan.model.family].text_guidance
    assert "small-mask-cfg" in [r.id for r in plan.rules]
    assert plan.crop.enabled is True  # a small mask on the image: crop to its padded box


def test_sky_prompt_describes_whole_image_with_scene(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    case = next(c for c in CASES if c["id"] == "replace-sky")
    request = _request(case, tmp_path, astronaut).model_copy(
        update={"scene": "a lighthouse on a cliff above the sea"}
    )
    plan = make_plan(request, analyze(request))
    assert plan.prompt.positive.startswith("a lighthouse on a cliff above the sea")
    assert "blue sky at sunset" in plan.prompt.positive
    assert plan.prompt.describes_whole_image
    assert next(q for q in plan.qa if q.id == "prompt").status == "pending"


def test_without_scene_prompt_is_flagged(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("replace-sky", tmp_path, astronaut)
    assert not plan.prompt.describes_whole_image
    assert next(q for q in plan.qa if q.id == "prompt").status == "warn"
    assert "no-scene-caption" in [r.id for r in plan.rules]
    assert plan.warnings


def test_extend_feathers_about_8px(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("extend-canvas", tmp_path, astronaut)
    assert 4 <= plan.mask.feather_px <= 16
    assert plan.facts.out_width == 512 + 256 and plan.facts.out_height == 512


def test_hand_prompt_redescribes_subject(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("regen-hand", tmp_path, astronaut)
    assert "hand" in plan.prompt.positive and "fingers" in plan.prompt.negative
    assert plan.controlnet is not None and "openpose" in plan.controlnet.id


def test_style_region_suggests_sweep(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("style-region", tmp_path, astronaut)
    assert plan.strength_sweep == [0.4, 0.5, 0.6]
    structure = next(q for q in plan.qa if q.id == "structure")
    assert structure.band is not None and structure.band[0] < structure.band[1]


def test_make_sunset_has_two_scales(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("make-sunset", tmp_path, astronaut)
    assert plan.model.family == "instruct-pix2pix"
    assert plan.guidance.image is not None and plan.guidance.text > 0
    # on a large card the planner prefers LongCat-Image-Edit (one CFG scale), Kontext an alternate
    big = _plan("make-sunset", tmp_path, astronaut, hardware="gpu-80gb")
    assert big.model.family == "longcat-image-edit" and "flux-kontext" in big.model.alternates
    assert big.guidance.kind == "cfg" and big.guidance.image is None


def test_background_replace_inverts_sam_mask(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("background-replace", tmp_path, astronaut)
    assert plan.mask.invert is True and plan.mask.dilate_px >= 8
    assert plan.mask.sam_model in ("vit_b", "vit_l", "vit_h")


def test_ultra_fidelity_falls_back_on_small_cards(tmp_path: Path, astronaut: Image.Image) -> None:
    plan = _plan("ultra-fidelity", tmp_path, astronaut, hardware="gpu-12gb")
    assert plan.model.family == "sdxl-inpaint"
    assert "fit-hardware" in [r.id for r in plan.rules]
    on_24 = _plan("ultra-fidelity", tmp_path, astronaut)
    assert on_24.model.family == "flux-fill" and on_24.model.offload is True
