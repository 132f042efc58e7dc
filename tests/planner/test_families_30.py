"""Issue 30's last three families in the planner: JoyAI-Image-Edit Plus for moves, rotations and
views WITH a reference image, the Z-Image ControlNet inpaint for a pose-controlled fill under
latency first and an open licence, Qwen-Image-Layered when the words ask only to split the image
into layers; each falls back when its family is not allowed, and the catalog rows agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from retouch.planner import EditRequest, PlanError, analyze, make_plan
from retouch.planner.catalog.reference import takes_reference
from retouch.planner.catalog.registry import CONTROLNETS, LICENCES, REGISTRY
from retouch.planner.contract.schema import EditPlan

NEW = ("qwen-image-layered", "joyai-image-edit-plus")


def _plan(
    tmp_path: Path, edit: str, *, mask: bool = False, ref: bool = False, **prefs: Any
) -> EditPlan:
    path = tmp_path / "photo.png"
    Image.fromarray(np.full((96, 128, 3), 120, np.uint8)).save(path)
    extra: dict[str, Any] = {}
    if mask:
        m = np.zeros((96, 128), np.uint8)
        m[30:60, 40:80] = 255
        Image.fromarray(m).save(tmp_path / "mask.png")
        extra["mask"] = str(tmp_path / "mask.png")
    if ref:
        Image.fromarray(np.full((80, 64, 3), 200, np.uint8)).save(tmp_path / "ref.png")
        extra["guidance"] = {"image": str(tmp_path / "ref.png")}
    prefs.setdefault("hardware", "gpu-80gb")
    request = EditRequest(image=str(path), edit=edit, preferences=prefs, **extra)
    return make_plan(request, analyze(request))


def _ids(plan: EditPlan) -> list[str]:
    return [h.id for h in plan.rules]


@pytest.mark.parametrize(
    "text", ["move the cup to the left", "rotate the chair", "view from above"]
)
def test_joyai_plus_for_spatial_edits_with_a_reference(tmp_path: Path, text: str) -> None:
    plan = _plan(tmp_path, text, ref=True)
    assert (plan.mode, plan.model.family) == ("instruct", "joyai-image-edit-plus")
    assert plan.model.pipeline == "JoyImageEditPlusPipeline"
    assert "move-rotate-view-reference-joyai-plus" in _ids(plan)
    assert plan.model.alternates[:2] == ["qwen-image-edit", "flux2-klein"]


def test_spatial_edits_without_a_reference_keep_joyai(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "move the cup to the left")
    assert plan.model.family == "joyai-image-edit"
    assert "move-rotate-view-reference-joyai-plus" not in _ids(plan)


def test_a_reference_edit_that_is_no_move_keeps_qwen(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "make the shirt look like the reference", ref=True)
    assert plan.model.family == "qwen-image-edit"


def test_joyai_plus_falls_back_when_not_allowed_or_latency_first(tmp_path: Path) -> None:
    allowed = ["qwen-image-edit", "flux2-klein", "joyai-image-edit"]
    plan = _plan(tmp_path, "rotate the chair", ref=True, families=allowed)
    assert plan.model.family == "qwen-image-edit"
    fast = _plan(tmp_path, "rotate the chair", ref=True, priority="latency")
    assert fast.model.family == "flux2-klein"  # 4 distilled steps beat JoyAI Plus's 30 x CFG


def test_zimage_controlnet_for_latency_open_pose_fills(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "fix the hand", mask=True, priority="latency", licence="open")
    assert (plan.mode, plan.model.family) == ("inpaint", "z-image")
    assert plan.controlnet is not None and plan.controlnet.type == "openpose"
    assert plan.controlnet.id == CONTROLNETS[("openpose", "z-image")]
    assert REGISTRY["z-image"].pipeline_for("inpaint", "openpose") == (
        "ZImageControlNetInpaintPipeline"
    )
    assert "latency-open-controlnet-zimage" in _ids(plan)
    assert plan.model.alternates == ["sd-inpaint"]
    assert plan.controlnet.conditioning_scale == 0.75  # the Union ControlNet's own default


@pytest.mark.parametrize("prefs", [{"priority": "latency"}, {"licence": "open"}, {}])
def test_zimage_controlnet_only_under_latency_and_open(tmp_path: Path, prefs: dict) -> None:
    plan = _plan(tmp_path, "fix the hand", mask=True, **prefs)
    assert plan.model.family == "sd-inpaint" and plan.controlnet is not None
    assert plan.controlnet.id == "lllyasviel/control_v11p_sd15_openpose"
    assert plan.controlnet.conditioning_scale == 1.0
    assert "latency-open-controlnet-zimage" not in _ids(plan)


@pytest.mark.parametrize("text", ["split into layers", "split the image into layers"])
def test_qwen_layered_when_only_layers_are_asked(tmp_path: Path, text: str) -> None:
    plan = _plan(tmp_path, text)
    assert plan.layers and (plan.mode, plan.model.family) == ("instruct", "qwen-image-layered")
    assert plan.model.pipeline == "QwenImageLayeredPipeline" and "layers-qwen-layered" in _ids(plan)


def test_layers_with_an_edit_do_not_pick_qwen_layered(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "make the shirt red and split into layers")
    assert plan.layers and plan.model.family != "qwen-image-layered"
    with pytest.raises(PlanError, match="has no region"):
        _plan(tmp_path, "put the subject on its own layer")  # a cut-out needs a region


def test_no_editor_stands_in_for_a_split_into_layers(tmp_path: Path) -> None:
    """An editor would return one image for "split into layers", not layers: without
    Qwen-Image-Layered (not allowed, or too big for the GPU) the plan is refused with the fixes."""
    for prefs in ({"families": ["longcat-image-edit"]}, {"hardware": "gpu-24gb"}):
        with pytest.raises(PlanError, match="split into layers needs Qwen-Image-Layered") as err:
            _plan(tmp_path, "split into layers", **prefs)
        assert "give a mask or clicks to put one subject on its own layer" in str(err.value)


def test_split_into_layers_with_a_region_is_a_cutout_of_it(tmp_path: Path) -> None:
    """With a mask, the region is what goes on its own layer: the weight-free cut-out, no model
    that splits the whole image."""
    plan = _plan(tmp_path, "split into layers", mask=True)
    assert plan.layers and plan.mode == "inpaint"
    assert "layers-subject-cutout" in _ids(plan) and "layers-qwen-layered" not in _ids(plan)


def test_catalog_rows_of_the_new_families() -> None:
    for family in NEW:
        assert LICENCES[family].name == "Apache-2.0" and LICENCES[family].commercial_use
    assert takes_reference("joyai-image-edit-plus", "instruct")
    assert not takes_reference("qwen-image-layered", "instruct")
    assert REGISTRY["qwen-image-layered"].native_resolution in (640, 1024)
