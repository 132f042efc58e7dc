"""Mask operations: every mask format normalises to bool (H, W) True = edit, and each op does its job."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.executors.images import masks
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import Extend, MaskPlan
from scipy import ndimage

H, W = 24, 32


def truth() -> np.ndarray:
    """A blob with a hole, touching nothing: True = edit."""
    m = np.zeros((H, W), dtype=bool)
    m[4:18, 6:22] = True
    m[9:12, 12:15] = False
    return m


def png_roundtrip(img: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out


def _l(m: np.ndarray) -> Image.Image:
    return Image.fromarray(np.where(m, 255, 0).astype(np.uint8), "L")


def _rgba_alpha(m: np.ndarray) -> Image.Image:
    """OpenAI style: an opaque photo-like image whose alpha is cleared where to edit."""
    rgba = np.random.default_rng(0).integers(0, 256, (H, W, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(m, 0, 255)
    return Image.fromarray(rgba, "RGBA")


def _la(m: np.ndarray) -> Image.Image:
    la = np.stack([np.full((H, W), 200, np.uint8), np.where(m, 0, 255).astype(np.uint8)], -1)
    return Image.fromarray(la, "LA")


def _palette(m: np.ndarray) -> Image.Image:
    rgb = np.where(m[..., None], [255, 255, 255], [0, 0, 0]).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=2)


IMAGE_FORMATS = {
    "L": _l,
    "1-bit": lambda m: _l(m).convert("1"),
    "P": _palette,
    "RGB white": lambda m: _l(m).convert("RGB"),
    "RGBA opaque (luminance)": lambda m: _l(m).convert("RGBA"),
    "RGBA alpha (transparent = edit)": _rgba_alpha,
    "LA alpha (transparent = edit)": _la,
    "I;16": lambda m: Image.fromarray(np.where(m, 65535, 0).astype(np.uint16)),
    "I (32-bit)": lambda m: Image.fromarray(np.where(m, 255, 0).astype(np.int32)),
    "F 0..1": lambda m: Image.fromarray(m.astype(np.float32)),
}


@pytest.mark.parametrize("fmt", list(IMAGE_FORMATS))
def test_every_image_format_normalises(fmt: str) -> None:
    img = IMAGE_FORMATS[fmt](truth())
    got = masks.normalize(img)
    assert got.dtype == bool and got.shape == (H, W)
    assert np.array_equal(got, truth()), fmt


@pytest.mark.parametrize(
    "fmt",
    [
        "L",
        "1-bit",
        "P",
        "RGB white",
        "RGBA alpha (transparent = edit)",
        "LA alpha (transparent = edit)",
        "I;16",
    ],
)
def test_formats_survive_a_png_file(fmt: str) -> None:
    img = png_roundtrip(IMAGE_FORMATS[fmt](truth()))
    assert np.array_equal(masks.normalize(img), truth()), fmt


def test_threshold_is_at_half() -> None:
    grey = Image.fromarray(np.array([[0, 127, 128, 255]], dtype=np.uint8), "L")
    assert masks.normalize(grey).tolist() == [[False, False, True, True]]
    alpha = np.zeros((1, 4, 4), np.uint8)
    alpha[..., 3] = [0, 127, 128, 255]
    assert masks.normalize(Image.fromarray(alpha, "RGBA")).tolist() == [[True, True, False, False]]


ARRAYS = {
    "bool": lambda m: m,
    "uint8 0/1": lambda m: m.astype(np.uint8),
    "uint8 0/255": lambda m: np.where(m, 255, 0).astype(np.uint8),
    "int64 0/255": lambda m: np.where(m, 255, 0).astype(np.int64),
    "uint16 0/65535": lambda m: np.where(m, 65535, 0).astype(np.uint16),
    "float 0..1": lambda m: np.where(m, 0.9, 0.1).astype(np.float32),
    "(H, W, 1)": lambda m: np.where(m, 255, 0).astype(np.uint8)[..., None],
    "(H, W, 3)": lambda m: np.repeat(np.where(m, 255, 0).astype(np.uint8)[..., None], 3, axis=2),
    "(H, W, 4) RGBA": lambda m: np.asarray(_rgba_alpha(m)),
}


@pytest.mark.parametrize("kind", list(ARRAYS))
def test_every_array_kind_normalises(kind: str) -> None:
    got = masks.normalize(ARRAYS[kind](truth()))
    assert got.dtype == bool and np.array_equal(got, truth()), kind


@pytest.mark.parametrize(
    "bad", [np.zeros(5), np.zeros((0, 0)), np.zeros((2, 2, 2)), np.array([["a", "b"]])]
)
def test_bad_arrays_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(InputError, match="mask array"):
        masks.normalize(bad)


def test_output_conventions_round_trip(tmp_path: Path) -> None:
    m = truth()
    white = masks.to_pil(m)
    assert white.mode == "L" and set(np.unique(np.asarray(white))) == {0, 255}
    assert np.array_equal(np.asarray(white) == 255, m)
    alpha = masks.to_alpha(m)
    assert alpha.mode == "RGBA" and np.array_equal(np.asarray(alpha)[..., 3] == 0, m)
    for img in (white, alpha):
        p = tmp_path / "m.png"
        img.save(p)
        assert np.array_equal(masks.normalize(Image.open(p)), m)


def test_repaint_convention_matches_diffusers_scheduler() -> None:
    """diffusers' RePaint keeps pixels where its mask is 1 and regenerates where it is 0."""
    import torch
    from diffusers import RePaintScheduler

    m = truth()
    rp = masks.to_repaint(m)
    assert rp.dtype == np.float32 and np.array_equal(rp == 0.0, m)
    sched = RePaintScheduler(num_train_timesteps=10)
    sched.set_timesteps(5)
    t = sched.timesteps[0]
    mask_t = torch.from_numpy(rp)[None, None]
    sample, original = torch.randn(1, 1, H, W), torch.randn(1, 1, H, W)
    outs = [
        sched.step(
            torch.full((1, 1, H, W), v),
            t,
            sample,
            original,
            mask_t,
            generator=torch.Generator().manual_seed(0),
        ).prev_sample
        for v in (-1.0, 1.0)
    ]
    changed = (outs[0] != outs[1])[0, 0].numpy()
    assert np.array_equal(changed, m)  # only the edit (inpaint) pixels follow the model


def _dist_to(region: np.ndarray) -> np.ndarray:
    return ndimage.distance_transform_edt(~region)


def test_dilate_grows_by_px_and_no_more() -> None:
    m = np.zeros((41, 41), bool)
    m[20, 20] = True
    for px in (1, 3, 6):
        grown = masks.dilate(m, px)
        d = _dist_to(m)
        assert grown[d <= px].all() and not grown[d > px + 0.5].any()
    assert np.array_equal(masks.dilate(m, 0), m)


def test_erode_shrinks_but_the_border_does_not_eat_in() -> None:
    m = np.zeros((30, 30), bool)
    m[:, :15] = True  # touches the left, top and bottom borders
    e = masks.erode(m, 3)
    assert e[:, :12].all() and not e[:, 12:].any()
    assert np.array_equal(
        masks.erode(masks.dilate(truth(), 2), 2) | truth(), masks.erode(masks.dilate(truth(), 2), 2)
    )  # closing keeps the region


def test_feather_ramps_outside_and_keeps_the_inside_at_one() -> None:
    m = np.zeros((41, 41), bool)
    m[15:26, 15:26] = True
    px = 4
    soft = masks.feather(m, px)
    assert soft.dtype == np.float32 and soft.min() >= 0 and soft.max() <= 1
    assert (soft[m] == 1).all()
    d = _dist_to(m)
    assert (soft[d >= px + 1] == 0).all()
    ring = (d > 0) & (d < px + 1)
    assert (soft[ring] > 0).all() and (soft[ring] < 1).all()
    assert soft[20, 26] > soft[20, 28] > soft[20, 29]  # decreasing away from the edge
    assert np.array_equal(masks.feather(m, 0), m.astype(np.float32))
    assert not masks.feather(np.zeros((5, 5), bool), 3).any()


@pytest.mark.parametrize("op", [masks.dilate, masks.erode, masks.feather])
def test_negative_pixels_are_refused(op) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="0 or more pixels"):
        op(truth(), -2)


def test_invert_and_union() -> None:
    m = truth()
    assert np.array_equal(masks.invert(m), ~m)
    a, b = np.zeros((4, 4), bool), np.zeros((4, 4), bool)
    a[0, 0], b[3, 3] = True, True
    u = masks.union(a, b)
    assert u.sum() == 2 and u[0, 0] and u[3, 3]
    with pytest.raises(InputError, match="different sizes"):
        masks.union(a, np.zeros((5, 4), bool))
    with pytest.raises(InputError, match="no masks"):
        masks.union()


def test_fill_holes_fills_enclosed_only() -> None:
    m = truth()
    filled = masks.fill_holes(m)
    assert filled[9:12, 12:15].all() and filled.sum() == m.sum() + 9
    bay = np.zeros((10, 10), bool)
    bay[:, :6] = True
    bay[0:3, 2:4] = False  # a notch open to the border is not a hole
    assert np.array_equal(masks.fill_holes(bay), bay)


def test_remove_small_islands_and_holes() -> None:
    m = truth()  # 14x16 blob with a 9-px hole
    m[20, 28] = True  # a 1-px island
    m[1:3, 28:30] = True  # a 4-px island
    cleaned = masks.remove_small(m, 5)  # islands < 5 px go; the 9-px hole stays
    assert np.array_equal(cleaned, truth())
    assert np.array_equal(masks.remove_small(m, 10), masks.fill_holes(truth()))  # hole < 10 filled
    assert np.array_equal(masks.remove_small(m, 1), m)
    assert np.array_equal(masks.drop_islands(m, 5), truth())
    assert np.array_equal(masks.fill_small_holes(truth(), 10), masks.fill_holes(truth()))
    assert np.array_equal(masks.fill_small_holes(truth(), 9), truth())


def test_regions_largest_first_with_exclusive_ends() -> None:
    m = np.zeros((20, 20), bool)
    m[1:3, 1:3] = True
    m[10:16, 5:15] = True
    assert masks.regions(m) == [(5, 10, 15, 16), (1, 1, 3, 3)]
    assert masks.regions(np.zeros((4, 4), bool)) == []


def test_canvas_extension_mask() -> None:
    ext = Extend(left=3, top=0, right=5, bottom=2)
    c = masks.canvas((10, 6), ext)
    assert c.shape == (8, 18)
    assert not c[0:6, 3:13].any()  # the source sits at (left, top)
    assert c.sum() == 8 * 18 - 6 * 10


def test_prepare_inverts_then_dilates_then_feathers() -> None:
    subject = np.zeros((40, 40), bool)
    subject[10:30, 10:30] = True
    hard, soft = masks.prepare(subject, invert_it=True, dilate_px=3, feather_px=2)
    assert np.array_equal(hard, masks.dilate(~subject, 3))
    assert hard[10:13, 15].all() and not hard[13:27, 13:27].any()  # grown 3 px into the subject
    assert np.array_equal(soft, masks.feather(hard, 2))
    plan = MaskPlan(source="sam-points", invert=True, dilate_px=3, feather_px=2)
    h2, s2 = masks.apply_plan(subject, plan)
    assert np.array_equal(h2, hard) and np.array_equal(s2, soft)


def test_fill_holes_agrees_with_scipy_on_random_masks() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        m = ndimage.binary_opening(rng.random((30, 40)) > 0.45)
        assert np.array_equal(masks.fill_holes(m), ndimage.binary_fill_holes(m))
