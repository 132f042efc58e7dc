"""The weight-free fill against the plan the edit deserves (executors/deserved.py) and the
executor selector's envelope (executors/select.py): a face is refused under ``auto`` and degraded
when the fill is asked for, a hole past the limits runs but says so first, a region inside the
envelope runs clean; ``assess`` covers every stage (mask backend, images, model). On a machine
with no weights: an empty Hugging Face cache, no SAM checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors import deserved
from retouch.executors.faces import faces_available
from retouch.executors.select import (
    assess,
    choose_executor,
    for_this_machine,
    measure_envelope,
    substitutions,
)
from retouch.planner import analyze, make_plan
from retouch.planner.contract.errors import ModelMissingError
from retouch.planner.contract.schema import (
    EditGuidance,
    EditPlan,
    EditRequest,
    Preferences,
    SamPrompt,
)

needs_faces = pytest.mark.skipif(not faces_available(), reason="needs dlib (retouch[faces])")
FACE_BOX = (175, 76, 265, 166)
MAST_BOX = (434, 118, 468, 402)


@pytest.fixture(autouse=True)
def no_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)


def photo(tmp_path: Path, name: str) -> tuple[Path, np.ndarray]:
    rgb = getattr(skimage.data, name)()
    path = tmp_path / f"{name}.png"
    Image.fromarray(rgb).save(path)
    return path, rgb


def cpu_plan(path: Path, edit: str, **kw: object) -> EditPlan:
    req = EditRequest(image=str(path), edit=edit, preferences=Preferences(hardware="cpu"), **kw)
    return make_plan(req, analyze(req))


def region(rgb: np.ndarray, xyxy: tuple[int, int, int, int]) -> np.ndarray:
    r = np.zeros(rgb.shape[:2], bool)
    r[xyxy[1] : xyxy[3], xyxy[0] : xyxy[2]] = True
    return r


def test_the_deserved_plan_is_what_a_gpu_machine_plans(tmp_path: Path) -> None:
    path, _ = photo(tmp_path, "rocket")
    plan = cpu_plan(path, "remove the mast", sam=SamPrompt(box=MAST_BOX))
    assert plan.executor == "classical"  # a CPU plan picks the fill itself
    want = deserved.deserved(plan)
    assert want.executor == "diffusers" and want.request.preferences.hardware == "gpu-24gb"
    assert want.model.family == plan.model.family
    assert deserved.deserved(want) is want  # a GPU plan deserves itself


def test_inside_the_envelope_the_fill_runs_clean(tmp_path: Path) -> None:
    path, rgb = photo(tmp_path, "rocket")
    plan = cpu_plan(path, "remove the mast", sam=SamPrompt(box=MAST_BOX))
    plan = measure_envelope(plan, rgb, region(rgb, MAST_BOX), "auto", None)
    assert deserved.envelope_hits(plan) == []
    chosen, ref, why = choose_executor(plan, "auto", None, allow_download=False)
    assert (chosen, ref) == ("classical", None)
    assert substitutions(plan, chosen, ref, why, "sam", "cpu") == []


@needs_faces
def test_a_face_is_refused_under_auto_naming_the_model_and_how_to_get_it(tmp_path: Path) -> None:
    path, rgb = photo(tmp_path, "astronaut")
    plan = cpu_plan(path, "remove the freckles on her face", sam=SamPrompt(box=FACE_BOX))
    plan = measure_envelope(plan, rgb, region(rgb, FACE_BOX), "auto", None)
    assert [r.id for r in plan.rules if r.id.startswith("envelope-")][0] == "envelope-face"
    with pytest.raises(ModelMissingError) as err:
        choose_executor(plan, "auto", None, allow_download=False)
    want = deserved.deserved(plan).model
    text = str(err.value)
    assert text.startswith("the weight-free fill cannot rebuild a face")
    assert want.family in text and f"~{want.vram_gb:g} GB VRAM" in text
    assert f"`hf download {want.id}`" in text
    assert {h.setting for h in err.value.hints} == {"model", "executor"}


@needs_faces
def test_a_face_filled_on_request_is_degraded_in_the_first_words(tmp_path: Path) -> None:
    """executor classical runs the fill anyway; the run's degraded entry and the QA verdict lead
    with what the fill cannot do and the model the edit needs."""
    from retouch.executors.qa.check import check
    from retouch.executors.run import run_plan

    path, rgb = photo(tmp_path, "astronaut")
    plan = cpu_plan(path, "remove the freckles on her face", sam=SamPrompt(box=FACE_BOX))
    mask = region(rgb, FACE_BOX)
    plan = measure_envelope(plan, rgb, mask, "classical", None)
    out = run_plan(plan, image=Image.fromarray(rgb), mask=mask, executor="classical")
    first = out.provenance.degraded[0]
    want = deserved.deserved(plan).model
    assert first.what == "executor" and want.family in first.planned
    assert first.sentence().startswith("Ran the weight-free fill (it cannot rebuild a face")
    report = check(Image.fromarray(rgb), out.image, out.edit_mask, plan, out.provenance.degraded)
    assert report.verdict.startswith("Ran the weight-free fill (it cannot rebuild a face")
    assert "clean" not in report.verdict.split(".")[0] and not report.verdict.startswith("clean")


def test_a_hole_past_the_limits_runs_but_says_so_first(tmp_path: Path) -> None:
    path, rgb = photo(tmp_path, "coffee")
    hole = (250, 120, 400, 270)  # 150 px: 38% of the short side, across the cup's rim
    plan = cpu_plan(path, "remove the object", sam=SamPrompt(box=hole))
    d = plan.mask.dilate_px  # run_plan hands the mask over dilated
    grown = (hole[0] - d, hole[1] - d, hole[2] + d, hole[3] + d)
    plan = measure_envelope(plan, rgb, region(rgb, grown), "auto", None)
    assert {"envelope-large-hole", "envelope-structure"} <= {r.id for r in plan.rules}
    chosen, ref, why = choose_executor(plan, "auto", None, allow_download=False)
    assert chosen == "classical"  # not refused: only a face is
    found = substitutions(plan, chosen, ref, why, "sam", "cpu")
    assert len([d for d in found if d.what == "executor"]) == 1  # one entry, both limits
    assert (
        found[0]
        .sentence()
        .startswith(
            "Ran the weight-free fill (it cannot invent content wider than its surroundings repeat, "
            "and cannot complete edges that cross the region) instead of "
        )
    )
    assert "the hole is 150 px wide, 38% of the image's short side" in found[0].why


def test_the_envelope_is_not_measured_when_a_model_runs(tmp_path: Path) -> None:
    path, rgb = photo(tmp_path, "coffee")
    plan = cpu_plan(path, "remove the object", sam=SamPrompt(box=(250, 120, 400, 270)))
    assert measure_envelope(plan, rgb, region(rgb, (250, 120, 400, 270)), "diffusers", None) is plan
    assert measure_envelope(plan, rgb, None, "auto", "/some/model") is plan


def test_words_without_sam3_are_not_runnable_and_name_the_alternatives(tmp_path: Path) -> None:
    path, _ = photo(tmp_path, "chelsea")
    plan = cpu_plan(path, "remove the cat")
    assert plan.mask.source == "text"
    ready = assess(plan, hardware="cpu")
    assert not ready.runnable and ready.missing[0].startswith("SAM 3 (the mask from the words")
    assert "clicks or a box, or give a mask file" in ready.missing[0]
    assert assess(plan, hardware="cpu", mask_given=True).runnable  # a mask file: no SAM 3


@needs_faces
def test_face_words_need_no_sam3_and_are_refused_as_a_face(tmp_path: Path) -> None:
    path, _ = photo(tmp_path, "astronaut")
    plan = for_this_machine(cpu_plan(path, "remove her glasses"), hardware="cpu")
    assert plan.mask.source == "face"
    assert not any("SAM 3" in m for m in plan.missing)  # dlib draws the mask
    assert plan.runnable is False and plan.missing[0].startswith("model: the weight-free fill")


def test_a_missing_reference_image_is_missing(tmp_path: Path) -> None:
    path, _ = photo(tmp_path, "rocket")
    gone = tmp_path / "gone.png"
    Image.new("RGB", (8, 8)).save(gone)
    plan = cpu_plan(path, "make the sky like this", guidance=EditGuidance(image=str(gone)))
    gone.unlink()
    missing = assess(plan, hardware="cpu").missing
    assert any(m.startswith(f"reference image: {gone} is not a file") for m in missing)


@needs_faces
def test_for_this_machine_reads_the_image_and_marks_the_plan(tmp_path: Path) -> None:
    face_path, _ = photo(tmp_path, "astronaut")
    face = for_this_machine(
        cpu_plan(face_path, "remove the freckles", sam=SamPrompt(box=FACE_BOX)), hardware="cpu"
    )
    assert face.runnable is False and "cannot rebuild a face" in face.missing[0]
    portrait = for_this_machine(cpu_plan(face_path, "extend the photo to 16:9"), hardware="cpu")
    assert portrait.runnable is True and "envelope-portrait" in [r.id for r in portrait.rules]
    assert (
        portrait.degraded[0]
        .sentence()
        .startswith(
            "Ran the weight-free fill (it only continues the background and cannot extend a person)"
        )
    )
    mast_path, _ = photo(tmp_path, "rocket")
    mast = for_this_machine(
        cpu_plan(mast_path, "remove the mast", sam=SamPrompt(box=MAST_BOX)), hardware="cpu"
    )
    assert mast.runnable is True and not [d for d in mast.degraded if d.what == "executor"]
