"""Crop-and-stitch geometry, and that each model output lands back exactly where its box was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.images import crop, masks
from retouch.executors.images.composite import composite, stitch_weights
from retouch.executors.run import run_plan

from tests.executors.exec_support import box_mask, photo, tiny_dirs, tiny_plan


def test_box_is_padded_and_rounded_to_the_multiple() -> None:
    edit = box_mask((200, 100), (50, 40, 60, 50))
    assert crop.crop_boxes(edit, padding=10, multiple_of=8) == [(40, 30, 72, 62)]


def test_box_at_an_edge_is_shifted_inward_not_clipped() -> None:
    edit = box_mask((200, 100), (0, 0, 10, 10), (190, 90, 200, 100))
    boxes = crop.crop_boxes(edit, padding=16, multiple_of=8)
    assert sorted(boxes) == [(0, 0, 48, 48), (152, 52, 200, 100)]  # full 48 px of context each


def test_box_larger_than_the_image_is_the_image() -> None:
    edit = box_mask((40, 30), (5, 5, 35, 25))
    assert crop.crop_boxes(edit, padding=32, multiple_of=8) == [(0, 0, 40, 30)]


def test_one_box_per_region_and_overlapping_boxes_merge() -> None:
    far = box_mask((256, 256), (10, 10, 20, 20), (200, 200, 210, 210))
    assert len(crop.crop_boxes(far, padding=8, multiple_of=8)) == 2
    near = box_mask((256, 256), (10, 10, 20, 20), (30, 10, 40, 20))
    (box,) = crop.crop_boxes(near, padding=8, multiple_of=8)
    assert box[0] <= 2 and box[2] >= 48 and (box[2] - box[0]) % 8 == 0


def test_auto_padding_scales_with_the_region() -> None:
    assert crop.auto_padding((0, 0, 40, 40)) == 32
    assert crop.auto_padding((0, 0, 400, 200)) == 100
    assert crop.auto_padding((0, 0, 2000, 10)) == 128


def test_work_size_keeps_aspect_at_native_long_side() -> None:
    assert crop.work_size((100, 60), 64, 8) == (64, 40)
    assert crop.work_size((30, 300), 512, 8) == (48, 512)
    assert crop.work_size((8, 4000), 512, 8) == (8, 512)  # never below one multiple


def test_full_tile_pads_to_the_multiple_and_back() -> None:
    rgb = np.asarray(photo(64))[:50, :60]
    tile = crop.full_tile((60, 50), multiple_of=8)
    assert tile.work_size == (64, 56) and tile.pad == (4, 6)
    model_in = crop.cut(tile, rgb)
    assert model_in.size == (64, 56)
    assert np.array_equal(np.asarray(model_in)[:50, :60], rgb)  # padding only added, no resample
    assert np.array_equal(crop.paste_back(tile, model_in), rgb)
    edit = box_mask((60, 50), (0, 0, 60, 50))
    assert not np.asarray(crop.cut_mask(tile, edit))[50:].any()  # padding is never regenerated


def test_downscaled_mask_keeps_thin_regions() -> None:
    edit = np.zeros((128, 128), dtype=bool)
    edit[:, 64] = True  # a 1-pixel line
    tile = crop.Tile((0, 0, 128, 128), (32, 32))
    assert (np.asarray(crop.cut_mask(tile, edit)) == 255).any(axis=0).sum() >= 1


def test_full_tile_for_whole_image_edits_is_resized_to_native() -> None:
    assert crop.full_tile((1024, 768), multiple_of=8, max_side=512).work_size == (512, 384)
    assert crop.full_tile((300, 200), multiple_of=8, max_side=512).work_size == (304, 200)


def test_crop_path_places_each_output_in_its_box(tmp_path: Path) -> None:
    """Two regions -> two model calls, each at 32 px, pasted back where its box was."""
    import diffusers

    size = 96
    img = photo(size)
    mask = box_mask((size, size), (6, 8, 18, 20), (70, 72, 84, 86))
    plan = tiny_plan(tmp_path, "remove the sign", image=img, mask=mask, crop=True, resize_to=32)
    plan = plan.model_copy(
        update={"color_match": False, "crop": plan.crop.model_copy(update={"padding_px": 8})}
    )
    out = run_plan(plan, image=img, model=str(tiny_dirs()["inpaint"]), executor="diffusers")
    edit = out.edit_mask
    want_boxes = crop.crop_boxes(edit, padding=8, multiple_of=8)
    assert out.provenance.crop_boxes == want_boxes and len(want_boxes) == 2
    assert out.provenance.params["crop"] is True
    assert out.raw is not None and max(out.raw.size) == 32
    # the same calls made by hand with diffusers, pasted by hand
    pipe = diffusers.StableDiffusionInpaintPipeline.from_pretrained(tiny_dirs()["inpaint"])
    pipe.set_progress_bar_config(disable=True)
    src = np.asarray(img)
    gen = src.copy()
    for x0, y0, x1, y1 in want_boxes:
        ws = crop.work_size((x1 - x0, y1 - y0), 32, 8)
        tile_img = Image.fromarray(np.ascontiguousarray(src[y0:y1, x0:x1])).resize(
            ws, Image.Resampling.LANCZOS
        )
        soft = np.asarray(masks.to_pil(edit[y0:y1, x0:x1]).resize(ws, Image.Resampling.BILINEAR))
        res = pipe(
            prompt=plan.prompt.positive,
            negative_prompt=plan.prompt.negative or None,
            image=tile_img,
            mask_image=masks.to_pil(soft > 0),
            height=ws[1],
            width=ws[0],
            num_inference_steps=2,
            guidance_scale=plan.guidance.text,
            generator=torch.Generator("cpu").manual_seed(plan.seed),
        ).images[0]
        gen[y0:y1, x0:x1] = np.asarray(res.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS))
    want = composite(src, gen, stitch_weights(edit, plan.mask.feather_px))
    assert np.array_equal(np.asarray(out.image), want)
    assert np.array_equal(np.asarray(out.image)[~edit], src[~edit])


@pytest.mark.parametrize("enabled", ["auto"])
def test_auto_crop_decides_on_the_mask(tmp_path: Path, enabled: str) -> None:
    from retouch.executors.diffusion.runner import use_crop

    plan = tiny_plan(
        tmp_path, "remove the sign", mask=box_mask((64, 64), (2, 2, 8, 8)), crop=enabled
    )
    assert use_crop(plan, box_mask((64, 64), (2, 2, 8, 8)))
    assert not use_crop(plan, box_mask((64, 64), (0, 0, 60, 60)))
    assert not use_crop(
        plan.model_copy(update={"crop": plan.crop.model_copy(update={"enabled": False})}),
        box_mask((64, 64), (2, 2, 8, 8)),
    )
