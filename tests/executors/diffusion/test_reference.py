"""Multi-image edits (issue 17): a reference image (request ``guidance.image``) through ``run_plan``
with tiny random Qwen-Image-Edit Plus and FLUX.2 klein pipelines (tests/executors/
tiny_edit_families.py), saved once and loaded back with ``local_files_only=True`` while sockets
refuse to connect. The raw output equals a direct diffusers call given ``image=[tile, reference]``
(klein's inpaint pipeline: ``image_reference``) and the same seed, and differs from the call
without the reference; a run whose executor or family would ignore the reference is refused
before anything loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image
from retouch.executors.run import run_plan
from retouch.executors.select import assess
from retouch.planner.contract.errors import InputError, ModelMissingError
from retouch.planner.contract.schema import EditPlan

from tests.executors import tiny_edit_families as tiny
from tests.executors.exec_support import (
    box_mask,
    direct_call,
    go_offline,
    outside_equal,
    photo,
    run_with,
    same_image,
    tiny_plan,
    write,
)

EDIT = "put this logo on the shirt"
LANCZOS = Image.Resampling.LANCZOS


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


BUILDERS = {
    "qwen-image-edit": tiny.build_tiny_qwen_edit,
    "flux2-klein": tiny.build_tiny_klein,
    "flux2-klein-inpaint": tiny.build_tiny_klein_inpaint,
}


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("reference")
    return {name: build(root / name) for name, build in BUILDERS.items()}


def logo(size: tuple[int, int] = (96, 64)) -> Image.Image:
    """An RGB reference of another size and aspect than the 64 px source (skimage's coffee)."""
    return Image.fromarray(skimage.data.coffee()).resize(size, LANCZOS)


def transparent_logo() -> Image.Image:
    """RGBA: a red disc on a transparent ground, as a logo file is."""
    yy, xx = np.mgrid[:80, :80]
    rgba = np.zeros((80, 80, 4), np.uint8)
    disc = (yy - 40) ** 2 + (xx - 40) ** 2 < 30**2
    rgba[disc] = (220, 30, 30, 255)
    return Image.fromarray(rgba, "RGBA")


def _plan(tmp: Path, family: str, ref: Image.Image, priority: str, **kw: Any) -> EditPlan:
    tmp.mkdir(parents=True, exist_ok=True)
    ref_path = write(tmp, "logo.png", ref)
    kw.setdefault("steps", 1)
    plan = tiny_plan(
        tmp, EDIT, priority=priority, hardware="gpu-80gb", reference=str(ref_path), **kw
    )
    assert plan.model.family == family and plan.request.guidance is not None
    return plan


def test_qwen_reads_the_reference_as_picture_2(tmp_path: Path, dirs: dict[str, Path]) -> None:
    ref = logo()
    plan = _plan(tmp_path, "qwen-image-edit", ref, "quality")
    assert plan.mode == "instruct" and "image 2 is the reference" in plan.prompt.positive
    out = run_with(plan, dirs["qwen-image-edit"])
    args = {
        "prompt": plan.prompt.positive,
        "negative_prompt": plan.prompt.negative or " ",
        "true_cfg_scale": plan.guidance.text,
        "height": 64,
        "width": 64,
        "num_inference_steps": 1,
        "max_sequence_length": 512,
    }
    cls, folder = "QwenImageEditPlusPipeline", dirs["qwen-image-edit"]
    direct = direct_call(cls, folder, seed=plan.seed, image=[photo(), ref], **args)
    alone = direct_call(cls, folder, seed=plan.seed, image=photo(), **args)
    assert same_image(out.raw, direct) and same_image(
        out.image, direct
    )  # 64 x 64: the source's size
    assert not same_image(out.raw, alone)  # the reference changed what the model made
    p = out.provenance.params
    assert p["reference"] == plan.request.guidance.image  # type: ignore[union-attr]
    assert (p["reference_size"], p["reference_mode"], p["reference_flattened"]) == (
        "96x64",
        "RGB",
        False,
    )
    assert len(str(p["reference_sha256"])) == 64


def test_klein_reads_the_reference_as_image_2_and_maps_back(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    ref = transparent_logo()
    plan = _plan(tmp_path, "flux2-klein", ref, "latency", steps=2)
    out = run_with(plan, dirs["flux2-klein"])
    flat = Image.alpha_composite(Image.new("RGBA", ref.size, "white"), ref).convert("RGB")
    args = {
        "prompt": plan.prompt.positive,
        "height": 64,
        "width": 64,
        "num_inference_steps": 2,
        "guidance_scale": plan.guidance.text,
        "max_sequence_length": 512,
    }
    cls, folder = "Flux2KleinPipeline", dirs["flux2-klein"]
    direct = direct_call(cls, folder, seed=plan.seed, image=[photo(), flat], **args)
    alone = direct_call(cls, folder, seed=plan.seed, image=photo(), **args)
    assert same_image(out.raw, direct) and not same_image(out.raw, alone)
    assert out.provenance.params["reference_flattened"] is True  # transparent pixels: white, said
    # a source of another aspect: the result is the source's exact size and mode
    source = photo(128).resize((128, 96), LANCZOS).convert("RGBA")
    wide = _plan(
        tmp_path / "wide", "flux2-klein", ref, "latency", steps=2, image=source, resize_to=96
    )
    res = run_with(wide, dirs["flux2-klein"])
    assert res.image.size == (128, 96) and res.image.mode == "RGBA"
    assert res.raw is not None and res.raw.size != ref.size  # the output is the tile's, not 80 x 80


def test_klein_fill_takes_the_reference_as_image_reference(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    ref = logo()
    plan = _plan(tmp_path, "flux2-klein", ref, "latency", steps=2)
    mask = box_mask((64, 64), (20, 18, 40, 36))
    fill = plan.model_copy(update={"mode": "inpaint"})  # a masked fill, as a plan override makes
    out = run_with(fill, dirs["flux2-klein-inpaint"], mask=mask)
    assert out.provenance.pipeline == "Flux2KleinInpaintPipeline"
    args = {
        "prompt": plan.prompt.positive,
        "image": photo(),
        "mask_image": Image.fromarray(np.where(out.edit_mask, 255, 0).astype(np.uint8)),
        "height": 64,
        "width": 64,
        "strength": 1.0,
        "num_inference_steps": 2,
        "guidance_scale": plan.guidance.text,
        "max_sequence_length": 512,
    }
    cls, folder = "Flux2KleinInpaintPipeline", dirs["flux2-klein-inpaint"]
    direct = direct_call(cls, folder, seed=plan.seed, image_reference=ref, **args)
    alone = direct_call(cls, folder, seed=plan.seed, **args)
    assert same_image(out.raw, direct) and not same_image(out.raw, alone)
    assert outside_equal(out.image, photo(), out.edit_mask)


def test_a_reference_given_to_run_plan_replaces_the_plans(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    plan = _plan(tmp_path, "flux2-klein", logo(), "latency", steps=2)
    other = logo((64, 64)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    a = run_with(plan, dirs["flux2-klein"])
    b = run_with(plan, dirs["flux2-klein"], reference=other)
    assert b.provenance.params["reference"] == "given"
    assert b.provenance.params["reference_size"] == "64x64"
    assert not same_image(a.raw, b.raw)  # type: ignore[arg-type]


def test_a_family_that_reads_no_reference_is_refused_before_loading(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    plan = _plan(tmp_path, "qwen-image-edit", logo(), "quality")
    # Qwen's masked pipeline reads one image: the Plus folder forced onto an inpaint plan
    fill = plan.model_copy(update={"mode": "inpaint"})
    mask = box_mask((64, 64), (20, 18, 40, 36))
    with pytest.raises(InputError, match="takes no reference image in inpaint edits"):
        run_with(fill, dirs["qwen-image-edit"], mask=mask)
    # a Flux.1 Fill folder on a canvas extension: refused before a weight is read
    fake = tmp_path / "flux-fill"
    fake.mkdir()
    (fake / "model_index.json").write_text(json.dumps({"_class_name": "FluxFillPipeline"}))
    canvas = _plan(tmp_path / "c", "flux2-klein", logo(), "quality", extend="0,0,32,0")
    assert canvas.mode == "outpaint"
    with pytest.raises(InputError, match=r"holds flux-fill, which takes no reference image"):
        run_with(canvas, fake)  # no weights in the folder: loading it would fail otherwise


def test_the_weight_free_fill_never_drops_a_reference(tmp_path: Path, offline: None) -> None:
    plan = _plan(tmp_path, "flux2-klein", logo(), "latency", extend="0,0,32,0")
    with pytest.raises(InputError, match="classical fill cannot use a reference image"):
        run_plan(plan, executor="classical")
    # auto on a machine without weights: no fallback to the fill (it would drop the reference)
    with pytest.raises(ModelMissingError, match="FLUX.2-klein-4B.* is not on this machine"):
        run_plan(plan)
    assert not assess(plan, hardware="cpu").runnable  # and the plan does not promise the fill


def test_bad_references_are_input_errors(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "flux2-klein", logo(), "latency")
    guidance = plan.request.guidance.model_copy(update={"image": str(tmp_path / "none.png")})  # type: ignore[union-attr]
    missing = plan.model_copy(
        update={"request": plan.request.model_copy(update={"guidance": guidance})}
    )
    with pytest.raises(InputError, match="reference image not found"):
        run_plan(missing, executor="diffusers")
    for size in [(40, 80), (640, 64)]:  # klein's image processor refuses both
        with pytest.raises(InputError, match=r"at least 64 px on each side and at most 8:1"):
            run_plan(plan, reference=logo(size), executor="diffusers")
    (tmp_path / "bare").mkdir()
    bare = tiny_plan(tmp_path / "bare", "make it sunset", priority="latency")
    with pytest.raises(InputError, match="plan was made without one"):
        run_plan(bare, reference=logo(), executor="diffusers")
