"""Whole-frame runs at the plan's work size (issue 14): a source off the family's native area is
resized to ``plan.work_size`` for the model (the same cut/paste_back as crop tiles) and the result
comes back at the exact source size; outside a mask the source is kept byte for byte. Tiny random
SD img2img and InstructPix2Pix pipelines (tests/support/tiny_models.py) through ``run_plan``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.run import run_plan
from retouch.planner.contract.schema import EditPlan, WorkSize

from tests.executors.exec_support import box_mask, outside_equal, photo, tiny_dirs, tiny_plan

SRC = (72, 48)  # W, H: not a native size; the test "native area" puts it at 96 x 64
WORK = (96, 64)
LANCZOS = Image.Resampling.LANCZOS


def _source() -> Image.Image:
    return photo(96).resize(SRC, LANCZOS)


def _at_work_size(plan: EditPlan, work: tuple[int, int] = WORK) -> EditPlan:
    ws = WorkSize(width=work[0], height=work[1], scale=round(work[0] / SRC[0], 4), reason="test")
    return plan.model_copy(
        update={"work_size": ws, "crop": plan.crop.model_copy(update={"enabled": False})}
    )


def _direct(cls: str, folder: Path, seed: int, **kwargs: Any) -> Image.Image:
    import diffusers

    pipe = getattr(diffusers, cls).from_pretrained(folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe(generator=torch.Generator("cpu").manual_seed(seed), **kwargs).images[0]


def _same(a: Image.Image | None, b: Image.Image) -> bool:
    return a is not None and a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))


CASES = {
    "sd": ("img2img", "StableDiffusionImg2ImgPipeline", "make it look like a watercolor painting"),
    "instruct-pix2pix": ("pix2pix", "StableDiffusionInstructPix2PixPipeline", "make it sunset"),
}


@pytest.mark.parametrize("family", list(CASES))
def test_whole_frame_runs_at_work_size_and_comes_back_at_source_size(
    tmp_path: Path, family: str
) -> None:
    kind, cls, edit = CASES[family]
    plan = _at_work_size(tiny_plan(tmp_path, edit, image=_source(), families=[family]))
    assert plan.model.family == family and plan.mask.source == "none"
    out = run_plan(plan, model=str(tiny_dirs()[kind]), executor="diffusers")
    extra: dict[str, Any] = (
        {"strength": plan.strength}
        if family == "sd"
        else {"image_guidance_scale": plan.guidance.image or 1.5}
    )
    direct = _direct(
        cls,
        tiny_dirs()[kind],
        plan.seed,
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or None,
        image=_source().resize(WORK, LANCZOS),
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
        **extra,
    )
    assert _same(out.raw, direct)  # the model saw the frame at the work size, nothing else
    assert out.image.size == SRC and _same(out.image, direct.resize(SRC, LANCZOS))
    p = out.provenance
    assert p.params["work_sizes"] == "96x64" and p.params["frame_size"] == "96x64"
    assert p.crop_boxes == [(0, 0, *SRC)]
    assert not [d for d in p.degraded if d.what in ("resolution", "steps")]


def test_masked_whole_frame_keeps_outside_bytes(tmp_path: Path) -> None:
    mask = box_mask(SRC, (20, 10, 44, 30))
    plan = tiny_plan(
        tmp_path,
        "make the sign look like a watercolor",
        image=_source(),
        mask=mask,
        families=["sd"],
    )
    plan = _at_work_size(plan)
    assert plan.mode == "sdedit"
    out = run_plan(plan, model=str(tiny_dirs()["img2img"]), executor="diffusers")
    assert out.raw is not None and out.raw.size == WORK
    assert out.image.size == SRC and outside_equal(out.image, _source(), out.edit_mask)
    inside = out.edit_mask
    assert not np.array_equal(np.asarray(out.image)[inside], np.asarray(_source())[inside])


def test_other_family_scales_the_work_size_and_says_so(tmp_path: Path) -> None:
    plan = _at_work_size(tiny_plan(tmp_path, "make it look like a watercolor painting",
                                   image=_source(), families=["sdxl"]))  # fmt: skip
    assert plan.model.family == "sdxl"
    out = run_plan(plan, model=str(tiny_dirs()["img2img"]), executor="diffusers")  # an SD model
    assert out.raw is not None and out.raw.size == (48, 32)  # SD's native side is half SDXL's
    assert out.image.size == SRC
    (res,) = [d for d in out.provenance.degraded if d.what == "resolution"]
    assert "96x64" in res.planned and "48x32" in res.used and "sd" in res.why
