"""Z-Image through ``run_plan`` (issue 30): tiny random ZImageInpaintPipeline and
ZImageImg2ImgPipeline folders from ``tests/executors/tiny_new_families.py``, saved once, loaded
back through retouch's loading path with ``local_files_only=True`` while sockets refuse to connect.
The raw output equals a direct diffusers call with the same inputs and seed; outside the edit
region the result is the source, byte for byte, on the full-frame and the crop-and-stitch paths."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.diffusion import loading
from retouch.planner.contract.errors import ExecutorError
from retouch.planner.contract.schema import EditPlan

from tests.executors import tiny_new_families as tiny
from tests.executors.exec_support import (
    box_mask,
    direct_call,
    go_offline,
    outside_equal,
    photo,
    run_with,
    same_image,
    tiny_plan,
)

SIZE = 64
BOX = (20, 18, 40, 36)
FILL = "replace the sign with a red ball"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("zimage")
    return {name: build(root / name) for name, build in tiny.NEW_BUILDERS.items()}


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


def _plan(tmp: Path, edit: str, **kw: Any) -> EditPlan:
    tmp.mkdir(parents=True, exist_ok=True)
    kw.setdefault("licence", "open")
    plan = tiny_plan(tmp, edit, priority="latency", hardware="gpu-80gb", **kw)
    assert plan.model.family == "z-image"
    return plan


def _mask_image(edit: np.ndarray) -> Image.Image:
    return Image.fromarray(np.where(edit, 255, 0).astype(np.uint8))


def test_zimage_folders_are_detected_as_zimage(dirs: dict[str, Path]) -> None:
    assert {loading.detect_family(p) for p in dirs.values()} == {"z-image"}


def test_zimage_fill_raw_equals_direct_call_and_keeps_outside(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = _plan(tmp_path, FILL, mask=mask, crop=False)
    assert plan.mode == "inpaint" and plan.model.pipeline == "ZImageInpaintPipeline"
    assert any(h.id == "latency-open-fill-zimage" for h in plan.rules)
    steps: list[tuple[int, int]] = []
    out = run_with(plan, dirs["z-image-inpaint"], progress=lambda i, n: steps.append((i, n)))
    direct = direct_call(
        "ZImageInpaintPipeline",
        dirs["z-image-inpaint"],
        seed=plan.seed,
        prompt=plan.prompt.positive,
        image=photo(),
        mask_image=_mask_image(out.edit_mask),
        height=SIZE,
        width=SIZE,
        strength=1.0,
        num_inference_steps=2,
        guidance_scale=0.0,
        max_sequence_length=512,
    )
    assert same_image(out.raw, direct)
    assert out.image.size == (SIZE, SIZE) and out.image.mode == "RGB"
    assert outside_equal(out.image, photo(), out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(photo())[mask])
    assert steps and steps[-1][0] == steps[-1][1] == 2
    p = out.provenance
    assert (p.family, p.pipeline, p.guidance_text) == ("z-image", "ZImageInpaintPipeline", 0.0)


def test_zimage_fill_crop_and_stitch_keeps_outside(tmp_path: Path, dirs: dict[str, Path]) -> None:
    image = photo(128)
    mask = box_mask((128, 128), (70, 40, 90, 62))
    plan = _plan(tmp_path, FILL, image=image, mask=mask, crop=True)
    out = run_with(plan, dirs["z-image-inpaint"])
    (box,) = out.provenance.crop_boxes
    x0, y0, x1, y1 = box
    assert out.edit_mask[y0:y1, x0:x1].sum() == out.edit_mask.sum() and x1 - x0 < 128
    assert out.raw is not None and out.raw.size[0] % 16 == 0 and out.raw.size[1] % 16 == 0
    assert out.image.size == (128, 128) and outside_equal(out.image, image, out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(image)[mask])


def test_zimage_sdedit_raw_equals_direct_call(tmp_path: Path, dirs: dict[str, Path]) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = _plan(tmp_path, "make the sign red", mask=mask, crop=False, families=["z-image"])
    assert plan.mode == "sdedit" and plan.model.pipeline == "ZImageImg2ImgPipeline"
    assert plan.strength is not None and int(2 * plan.strength) >= 1
    out = run_with(plan, dirs["z-image-img2img"])
    direct = direct_call(
        "ZImageImg2ImgPipeline",
        dirs["z-image-img2img"],
        seed=plan.seed,
        prompt=plan.prompt.positive,
        image=photo(),
        height=SIZE,
        width=SIZE,
        strength=plan.strength,
        num_inference_steps=2,
        guidance_scale=0.0,
        max_sequence_length=512,
    )
    assert same_image(out.raw, direct)
    assert outside_equal(out.image, photo(), out.edit_mask)


def test_zimage_seed_and_cancel(tmp_path: Path, dirs: dict[str, Path]) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = _plan(tmp_path, FILL, mask=mask, crop=False)
    a, b = run_with(plan, dirs["z-image-inpaint"]), run_with(plan, dirs["z-image-inpaint"])
    c = run_with(plan.model_copy(update={"seed": 7}), dirs["z-image-inpaint"])
    assert same_image(a.raw, b.raw) and not same_image(a.raw, c.raw)  # type: ignore[arg-type]
    stop = threading.Event()
    with pytest.raises(ExecutorError, match="cancel"):
        run_with(plan, dirs["z-image-inpaint"], progress=lambda i, n: stop.set(), cancel=stop)
