"""Qwen-Image-Edit and LongCat-Image-Edit through ``run_plan`` (issue 17): tiny random pipelines
from ``tests/executors/tiny_edit_families.py``, saved once, loaded back through retouch's loading
path with ``local_files_only=True`` while sockets refuse to connect (tests/conftest.py). The raw
output equals a direct diffusers call with the same inputs and seed; outside the edit region the
result is the source byte for byte (crop path); results come back at the exact source size.

Both pipelines work at about 1024 x 1024 whatever the input (Qwen encodes its reference there,
LongCat and Qwen's inpaint run there), so each call takes seconds even with tiny weights: 1 step.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.diffusion import latents, loading
from retouch.executors.diffusion.longcat import longcat_size
from retouch.executors.diffusion.qwen import qwen_size
from retouch.executors.diffusion.variants import differences, run_settings
from retouch.executors.images import crop
from retouch.planner.contract.schema import EditPlan

from tests.executors import tiny_edit_families as tiny
from tests.executors.exec_support import (
    box_mask,
    direct_call,
    outside_equal,
    photo,
    run_with,
    same_image,
    tiny_plan,
)

pytestmark = pytest.mark.slow
LANCZOS = Image.Resampling.LANCZOS


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("editors")
    return {name: build(root / name) for name, build in tiny.EDITOR_BUILDERS.items()}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    loading.clear_cache()
    latents.clear()


def _plan(tmp: Path, edit: str, family: str | None, **kw: Any) -> EditPlan:
    tmp.mkdir(parents=True, exist_ok=True)
    kw.setdefault("steps", 1)
    families = [family] if family else None
    plan = tiny_plan(tmp, edit, priority="quality", hardware="gpu-80gb", families=families, **kw)
    assert family is None or plan.model.family == family
    return plan


def test_folders_are_detected_and_sizes_are_the_pipelines() -> None:
    from diffusers.pipelines.longcat_image import pipeline_longcat_image_edit as lc
    from diffusers.pipelines.qwenimage import pipeline_qwenimage_edit_inpaint as qi

    for size in [(64, 64), (72, 48), (451, 300), (300, 451), (1920, 1080)]:
        assert longcat_size(size) == lc.calculate_dimensions(1024 * 1024, size[0] / size[1])
        w, h, _ = qi.calculate_dimensions(1024 * 1024, size[0] / size[1])
        assert qwen_size(size) == (w // 16 * 16, h // 16 * 16)


def test_qwen_edit_raw_equals_direct_call(tmp_path: Path, dirs: dict[str, Path]) -> None:
    folder = dirs["qwen-image-edit"]
    assert loading.detect_family(folder) == "qwen-image-edit"
    plan = _plan(tmp_path, "make it sunset", "qwen-image-edit")
    assert plan.mode == "instruct" and plan.model.pipeline == "QwenImageEditPlusPipeline"
    steps: list[tuple[int, int]] = []
    out = run_with(plan, folder, progress=lambda i, n: steps.append((i, n)))
    direct = direct_call(
        "QwenImageEditPlusPipeline",
        folder,
        seed=plan.seed,
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or " ",  # blank when none: keeps true CFG on
        true_cfg_scale=plan.guidance.text,
        image=photo(),
        height=64,
        width=64,
        num_inference_steps=1,
        max_sequence_length=512,
    )
    assert same_image(out.raw, direct) and same_image(out.image, direct)
    assert steps == [(1, 1)]
    p = out.provenance
    assert (p.family, p.pipeline, p.params["step_progress"]) == (
        "qwen-image-edit",
        "QwenImageEditPlusPipeline",
        True,
    )


def test_qwen_fill_on_the_crop_path_keeps_outside(tmp_path: Path, dirs: dict[str, Path]) -> None:
    folder = dirs["qwen-image-edit"]  # the Plus folder loads as the inpaint pipeline too
    image, mask = photo(128), box_mask((128, 128), (70, 40, 90, 62))
    # the planner does not pick Qwen for masked fills yet: plan one, run it with the Qwen folder
    plan = _plan(tmp_path, "replace the sign with a red ball", None, image=image, mask=mask,
                 crop=True)  # fmt: skip
    assert plan.mode == "inpaint"
    out = run_with(plan, folder)
    assert out.provenance.pipeline == "QwenImageEditInpaintPipeline"
    (box,) = out.provenance.crop_boxes
    work = tuple(int(v) for v in str(out.provenance.params["work_sizes"]).split("x"))
    tile = crop.Tile(box, (work[0], work[1]))
    assert tile.work_size == qwen_size(tile.size) and box[2] - box[0] < 128
    direct = direct_call(
        "QwenImageEditInpaintPipeline",
        folder,
        seed=plan.seed,
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or " ",
        true_cfg_scale=plan.guidance.text,
        image=crop.cut(tile, np.asarray(image)),
        mask_image=crop.cut_mask(tile, out.edit_mask),
        strength=1.0,
        num_inference_steps=1,
        max_sequence_length=512,
    )
    assert same_image(out.raw, direct)
    assert out.image.size == (128, 128) and outside_equal(out.image, image, out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(image)[mask])


def test_longcat_edit_raw_equals_direct_call_and_maps_back(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    folder = dirs["longcat-image-edit"]
    assert loading.detect_family(folder) == "longcat-image-edit"
    source = photo(96).resize((72, 48), LANCZOS)
    plan = _plan(tmp_path, "make it sunset", "longcat-image-edit", image=source)
    steps: list[tuple[int, int]] = []
    out = run_with(plan, folder, progress=lambda i, n: steps.append((i, n)))
    direct = direct_call(  # the pipeline resizes the 72 x 48 source itself, as retouch does
        "LongCatImageEditPipeline",
        folder,
        seed=plan.seed,
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or "",
        guidance_scale=plan.guidance.text,
        image=source,
        num_inference_steps=1,
    )
    assert direct.size == longcat_size((72, 48)) and same_image(out.raw, direct)
    assert same_image(out.image, direct.resize((72, 48), LANCZOS))  # exact source size
    assert steps == []  # no step callback in this pipeline: nothing is faked
    assert out.provenance.params["step_progress"] is False


def test_turbo_folder_runs_its_own_steps_and_says_so(tmp_path: Path, dirs: dict[str, Path]) -> None:
    turbo = tmp_path / "LongCat-Image-Edit-Turbo"
    shutil.copytree(dirs["longcat-image-edit"], turbo)
    plan = _plan(tmp_path / "p", "make it sunset", "longcat-image-edit", steps=None)
    assert plan.steps == 50
    ref = loading.resolve_model(plan, str(turbo), allow_download=False)
    ran = run_settings(plan, ref, None, None)
    assert (ran.steps, ran.guidance_text, ran.variant) == (
        8,
        1.0,
        "meituan-longcat/LongCat-Image-Edit-Turbo",
    )
    (d,) = differences(plan, ran)
    assert d.what == "steps" and "50 steps" in d.planned and "8 steps" in d.used
    asked = _plan(tmp_path / "q", "make it sunset", "longcat-image-edit", steps=12)
    assert run_settings(asked, ref, None, None).steps == 12  # --steps wins over the variant
