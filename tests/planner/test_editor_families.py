"""FLUX.2 klein, Qwen-Image-Edit and LongCat-Image-Edit in the planner: who is picked when, how it
fits the hardware, the licence preference, and the licence the plan states (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from retouch.planner import EditRequest, PlanError, analyze, make_plan
from retouch.planner.catalog.registry import LICENCES, REGISTRY, VARIANTS
from retouch.planner.contract.schema import EditPlan

NEW = ("flux2-klein", "qwen-image-edit", "longcat-image-edit")


def _plan(
    tmp_path: Path, image: Image.Image, edit: str, mask: Path | None = None, **prefs: Any
) -> EditPlan:
    path = tmp_path / "photo.png"
    image.save(path)
    request = EditRequest(
        image=str(path), edit=edit, mask=str(mask) if mask else None, preferences=prefs
    )
    return make_plan(request, analyze(request))


def _ids(plan: EditPlan) -> list[str]:
    return [r.id for r in plan.rules]


def test_registry_rows_are_complete() -> None:
    for fam in NEW:
        spec = REGISTRY[fam]  # type: ignore[index]
        assert spec.native_resolution == 1024 and spec.multiple_of == 16
        assert spec.offload_vram_gb < spec.vram_gb and spec.published
        assert LICENCES[fam].name == "Apache-2.0" and LICENCES[fam].commercial_use  # type: ignore[index]
    assert REGISTRY["flux2-klein"].pipeline_for("inpaint") == "Flux2KleinInpaintPipeline"
    assert REGISTRY["flux2-klein"].pipeline_for("instruct") == "Flux2KleinPipeline"
    assert REGISTRY["qwen-image-edit"].pipeline_for("instruct") == "QwenImageEditPlusPipeline"
    assert not VARIANTS["black-forest-labs/FLUX.2-klein-9B"].licence.commercial_use
    assert set(LICENCES) == set(REGISTRY)


def test_quality_instruct_edit_picks_an_open_editor_and_fits_the_card(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    big = _plan(tmp_path, astronaut, "make it sunset", priority="quality", hardware="gpu-80gb")
    assert big.model.family == "longcat-image-edit" and not big.model.offload
    assert big.model.alternates[:2] == ["qwen-image-edit", "flux-kontext"]
    assert "quality-instruct-editor" in _ids(big)
    assert (big.model.licence, big.model.commercial_use) == ("Apache-2.0", True)
    assert big.guidance.kind == "cfg" and big.guidance.text == 4.5 and big.steps == 50
    # an L4: LongCat only with offload; Qwen (42 GiB even offloaded) is no alternate there
    l4 = _plan(tmp_path, astronaut, "make it sunset", priority="quality", hardware="gpu-24gb")
    assert l4.model.family == "longcat-image-edit" and l4.model.offload
    assert "cpu-offload" in _ids(l4) and "qwen-image-edit" not in l4.model.alternates
    # Qwen where it is allowed and fits; a smaller family, with the reason, where it does not
    qwen = _plan(tmp_path, astronaut, "make it sunset", priority="quality",
                 hardware="gpu-80gb", families=["qwen-image-edit"])  # fmt: skip
    assert qwen.model.pipeline == "QwenImageEditPlusPipeline" and qwen.steps == 40
    small = _plan(tmp_path, astronaut, "make it sunset", priority="quality", hardware="gpu-24gb",
                  families=["qwen-image-edit", "flux2-klein"])  # fmt: skip
    assert small.model.family == "flux2-klein"
    fit = next(r for r in small.rules if r.id == "fit-hardware")
    assert "qwen-image-edit needs ~42 GiB" in fit.why


def test_latency_picks_klein_for_edits_and_fills_at_its_4_steps(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:
    edit = _plan(tmp_path, astronaut, "make it sunset", priority="latency")
    assert edit.model.family == "flux2-klein" and edit.model.pipeline == "Flux2KleinPipeline"
    assert edit.steps == 4  # distilled: two thirds of the steps would break it
    assert edit.guidance.kind == "distilled" and edit.prompt.negative == ""
    mask = write_mask((512, 512), (200, 200, 300, 300))
    fill = _plan(tmp_path, astronaut, "replace the box with a red ball", mask, priority="latency")
    assert fill.mode == "inpaint" and fill.model.family == "flux2-klein"
    assert fill.model.pipeline == "Flux2KleinInpaintPipeline" and fill.steps == 4
    # an 8 GB card cannot hold klein even offloaded: the smallest fill model, and why
    tiny = _plan(tmp_path, astronaut, "replace the box with a red ball", mask,
                 priority="latency", hardware="gpu-8gb")  # fmt: skip
    assert tiny.model.family == "sd-inpaint" and "flux2-klein needs ~9 GiB" in tiny.rules[-1].why


def test_quality_attribute_change_is_an_instruction_edit(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:
    mask = write_mask((512, 512), (150, 300, 350, 500))
    quality = _plan(tmp_path, astronaut, "change her shirt to red", mask, priority="quality",
                    hardware="gpu-80gb")  # fmt: skip
    assert quality.mode == "instruct" and quality.model.family == "longcat-image-edit"
    assert quality.mask.source == "given" and "quality-attribute-editor" in _ids(quality)
    balanced = _plan(tmp_path, astronaut, "change her shirt to red", mask)
    assert balanced.mode == "sdedit"  # unchanged without the quality ask


def test_licence_open_excludes_non_commercial_weights(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:
    mask = write_mask((512, 512), (200, 200, 300, 300))
    args = ("replace the box with a red ball", mask)
    anyl = _plan(tmp_path, astronaut, *args, priority="quality", hardware="gpu-80gb")
    assert anyl.model.family == "flux-fill" and anyl.model.commercial_use is False
    assert anyl.model.licence == "FLUX.1 [dev] Non-Commercial License"
    open_ = _plan(tmp_path, astronaut, *args, priority="quality", hardware="gpu-80gb",
                  licence="open")  # fmt: skip
    assert open_.model.family == "sdxl-inpaint" and open_.model.commercial_use is True
    assert "flux-fill" not in open_.model.alternates
    fit = next(r for r in open_.rules if r.id == "fit-hardware")
    assert "flux-fill is under the FLUX.1 [dev] Non-Commercial License" in fit.why
    sunset = _plan(tmp_path, astronaut, "make it sunset", priority="quality", hardware="gpu-80gb",
                   licence="open")  # fmt: skip
    assert "flux-kontext" not in sunset.model.alternates
    with pytest.raises(PlanError, match="Non-Commercial"):
        _plan(tmp_path, astronaut, "make it sunset", families=["flux-kontext"], licence="open")
