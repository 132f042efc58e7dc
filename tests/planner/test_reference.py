"""Reference images in the planner (issue 17: "put this logo on the shirt"): a request's
``guidance.image`` needs a family whose pipeline reads several images (Qwen-Image-Edit Plus, FLUX.2
klein); quality and balanced pick Qwen where it fits, latency klein; the allow-list, the licence and
the hardware still apply, and a request nothing can serve is a PlanError that names the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError
from retouch.planner import EditRequest, PlanError, analyze, make_plan
from retouch.planner.catalog.reference import REFERENCE_MODES, REFERENCE_WORDS, takes_reference
from retouch.planner.catalog.registry import LICENCES, REGISTRY
from retouch.planner.contract.schema import EditPlan
from retouch.planner.render import render

EDIT = "put this logo on the shirt"


@pytest.fixture
def paths(tmp_path: Path, astronaut: Image.Image, coffee: Image.Image) -> dict[str, str]:
    astronaut.save(tmp_path / "photo.png")
    coffee.resize((120, 80)).save(tmp_path / "logo.png")
    return {"image": str(tmp_path / "photo.png"), "logo": str(tmp_path / "logo.png")}


def _plan(paths: dict[str, str], edit: str = EDIT, reference: bool = True, **kw: Any) -> EditPlan:
    request = EditRequest(
        image=paths["image"],
        edit=edit,
        guidance={"image": paths["logo"]} if reference else None,
        **kw,
    )
    return make_plan(request, analyze(request))


def _ids(plan: EditPlan) -> list[str]:
    return [r.id for r in plan.rules]


def test_the_table_names_pipelines_the_registry_runs() -> None:
    expected = {
        ("qwen-image-edit", "instruct"): "QwenImageEditPlusPipeline",
        ("flux2-klein", "instruct"): "Flux2KleinPipeline",
        ("flux2-klein", "inpaint"): "Flux2KleinInpaintPipeline",
        ("flux2-klein", "outpaint"): "Flux2KleinInpaintPipeline",
        ("joyai-image-edit-plus", "instruct"): "JoyImageEditPlusPipeline",
    }
    table = {(f, m) for f, modes in REFERENCE_MODES.items() for m in modes}
    assert table == set(expected)
    for (family, mode), pipeline in expected.items():
        assert REGISTRY[family].pipeline_for(mode) == pipeline  # type: ignore[index]
    assert not takes_reference("qwen-image-edit", "inpaint")  # its masked pipeline reads one
    assert not any(takes_reference(f, "instruct") for f in ("longcat-image-edit", "flux-kontext"))


def test_quality_picks_qwen_with_klein_as_alternate_and_says_why(paths: dict[str, str]) -> None:
    plan = _plan(paths, preferences={"priority": "quality", "hardware": "gpu-80gb"})
    assert (plan.mode, plan.model.family, plan.model.alternates) == (
        "instruct",
        "qwen-image-edit",
        ["flux2-klein", "joyai-image-edit-plus"],  # JoyAI Plus (no sourced score) last
    )
    assert plan.model.pipeline == "QwenImageEditPlusPipeline" and plan.steps == 40
    hit = next(r for r in plan.rules if r.id == "reference-editor")
    assert "reference image" in hit.why and "image 2" in hit.why
    assert plan.prompt.positive == f"{EDIT}. {REFERENCE_WORDS}"
    assert plan.prompt.tokens > 10 and plan.prompt.built_by == "instruction+reference"
    doc = render(plan)
    assert f"| reference image | `{paths['logo']}` (image 2 of the model's input" in doc


def test_balanced_picks_qwen_where_it_fits_and_klein_where_it_does_not(
    paths: dict[str, str],
) -> None:
    big = _plan(paths, preferences={"hardware": "gpu-80gb"})
    assert big.model.family == "qwen-image-edit" and "reference-editor" in _ids(big)
    card = _plan(paths, preferences={"hardware": "gpu-24gb"})
    assert card.model.family == "flux2-klein" and card.model.alternates == []
    fit = next(r for r in card.rules if r.id == "fit-hardware")
    assert "qwen-image-edit needs ~42 GiB" in fit.why
    offload = _plan(paths, preferences={"hardware": "gpu-48gb"})
    assert offload.model.family == "qwen-image-edit" and offload.model.offload


def test_latency_picks_klein_at_4_steps(paths: dict[str, str]) -> None:
    plan = _plan(paths, preferences={"priority": "latency", "hardware": "gpu-80gb"})
    assert (plan.model.family, plan.model.alternates, plan.steps) == (
        "flux2-klein",
        ["qwen-image-edit"],
        4,
    )
    assert _ids(plan)[-2:] == ["reference-editor", "reference-latency-klein"]
    assert plan.prompt.negative == ""  # distilled: no negative prompt


def test_the_same_edit_without_a_reference_plans_as_before(paths: dict[str, str]) -> None:
    plan = _plan(
        paths, reference=False, preferences={"priority": "quality", "hardware": "gpu-80gb"}
    )
    assert plan.model.family == "longcat-image-edit" and not any(
        r.startswith("reference-") for r in _ids(plan)
    )
    assert REFERENCE_WORDS not in plan.prompt.positive


def test_allow_list_without_a_reference_editor_is_a_plan_error_naming_the_fix(
    paths: dict[str, str],
) -> None:
    for families in (["flux-fill"], ["flux-fill", "longcat-image-edit", "flux-kontext"]):
        with pytest.raises(PlanError) as err:
            _plan(paths, preferences={"families": families, "hardware": "gpu-80gb"})
        message = str(err.value)
        assert "with a reference image" in message
        assert "needs qwen-image-edit or flux2-klein" in message
        assert "preferences.families" in message and "drop the reference image" in message
    only_qwen = {"families": ["qwen-image-edit"], "hardware": "gpu-24gb"}
    with pytest.raises(PlanError, match="qwen-image-edit needs ~42 GiB even with CPU offload"):
        _plan(paths, preferences=only_qwen)


def test_licence_open_keeps_both_reference_editors(paths: dict[str, str]) -> None:
    plan = _plan(paths, preferences={"licence": "open", "hardware": "gpu-80gb"})
    assert plan.model.family == "qwen-image-edit" and plan.model.commercial_use is True
    assert plan.model.licence == LICENCES["qwen-image-edit"].name == "Apache-2.0"


def test_a_region_confines_the_reference_edit(paths: dict[str, str], write_mask) -> None:  # type: ignore[no-untyped-def]
    mask = str(write_mask((512, 512), (180, 300, 330, 460)))
    plan = _plan(paths, mask=mask, preferences={"hardware": "gpu-80gb"})
    assert (plan.mode, plan.model.family, plan.mask.source) == (
        "instruct",
        "qwen-image-edit",
        "given",
    )
    # a hand fix with a reference: no ControlNet is kept for an instruction edit
    hand = _plan(paths, "fix the hand like this one", mask=mask)
    assert hand.mode == "instruct" and hand.controlnet is None
    assert hand.model.family in REFERENCE_MODES


def test_a_canvas_with_a_reference_is_klein_inpaint_even_on_a_cpu(paths: dict[str, str]) -> None:
    plan = _plan(paths, "extend the scene", extend={"right": 128}, preferences={"hardware": "cpu"})
    assert (plan.mode, plan.executor, plan.model.family, plan.model.pipeline) == (
        "outpaint",
        "diffusers",
        "flux2-klein",
        "Flux2KleinInpaintPipeline",
    )
    assert "cpu-classical-fill" not in _ids(plan) and "reference-canvas-klein" in _ids(plan)
    assert REFERENCE_WORDS not in plan.prompt.positive  # a fill's reference is image_reference
    assert "the pipeline's image_reference" in render(plan)


def test_the_request_field_is_strict(paths: dict[str, str]) -> None:
    for bad in ({"image": ""}, {"image": "a\x00b.png"}, {"image": "x.png", "weight": 2}, {}):
        with pytest.raises(ValidationError):
            EditRequest(image=paths["image"], edit=EDIT, guidance=bad)
    ok = EditRequest(image=paths["image"], edit=EDIT, guidance={"image": "@current"})
    assert ok.guidance is not None and ok.guidance.image == "@current"
