"""Mask operations on retouch's one internal convention: bool arrays (H, W), True = edit.

Conversions happen at the edges only:

    in:  normalize(image or array) -> bool (H, W)
         L / 1 / P / RGB images: white (>= 128 after conversion to L) = edit (diffusers, Stability, BFL)
         RGBA / LA / PA with any transparency: transparent (alpha < 128) = edit (OpenAI's edit API)
         16-bit and float images, and arrays: thresholded at half their range (see ``normalize``)
    out: to_pil -> L image, 255 = edit     to_alpha -> RGBA, transparent = edit (OpenAI)
         to_repaint -> float32, 1.0 = keep, 0.0 = inpaint (diffusers' RePaint)

Feathered masks are float32 (H, W) in 0..1, 1 = fully edited. Pixel counts (``px``) are radii.
Background replacement is ``apply_plan(subject, plan.mask)`` with ``plan.mask.invert`` set: the
inverse of the subject is edited, grown ``dilate_px`` into the subject's edge to hide its halo.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import array_to_mask, mask_to_array
from retouch.planner.contract.schema import Extend, MaskPlan

LARGE_PX = 64
"""Above this radius, dilate by a distance transform (linear in pixels) instead of a kernel."""
_NUMERIC_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def _cv2():  # type: ignore[no-untyped-def]
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - cv2 is a hard dependency
        from retouch.planner.contract.errors import ModelMissingError

        raise ModelMissingError("OpenCV is missing: pip install opencv-python-headless") from exc
    return cv2


def _check_px(px: int, what: str, shape: tuple[int, ...] | None = None) -> int:
    """``px`` as an int; InputError if negative or (given the mask's (H, W)) over its long side."""
    if px < 0:
        raise InputError(f"{what} by {px} px; give 0 or more pixels")
    if shape is not None and px > max(shape[:2]):
        raise InputError(
            f"{what} by {px} px is more than the image's long side ({max(shape[:2])} px); give "
            f"at most {max(shape[:2])}"
        )
    return int(px)


def _threshold(arr: np.ndarray) -> np.ndarray:
    """Numeric (H, W) -> bool at half the range the values use: 0..1, 0..255 or 0..65535."""
    top = float(arr.max(initial=0))
    if arr.dtype == bool:
        return arr.copy()
    if top <= 1:
        return arr >= 0.5 if np.issubdtype(arr.dtype, np.floating) else arr >= 1
    return arr >= (128 if top <= 255 else 32768)


def normalize(mask: Image.Image | np.ndarray) -> np.ndarray:
    """Any mask image or array -> bool (H, W), True = edit.

    Images: see the module doc. Arrays: (H, W) bool as is; numbers thresholded at half their range
    (0..1 -> >= 0.5, 0..255 -> >= 128, 16-bit -> >= 32768); (H, W, 1) squeezed; (H, W, 3) by
    luminance; (H, W, 4) uint8 read as an RGBA image (transparent = edit).
    """
    if isinstance(mask, Image.Image):
        if mask.mode in _NUMERIC_MODES:
            return _threshold(np.asarray(mask))
        return mask_to_array(mask)
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[2] == 4 and arr.dtype == np.uint8:
        return mask_to_array(Image.fromarray(arr, mode="RGBA"))
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = arr.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    if (
        arr.ndim != 2
        or arr.size == 0
        or not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number))
    ):
        raise InputError(
            f"mask array is {arr.dtype} {arr.shape}; give (H, W), (H, W, 3) or RGBA "
            "(H, W, 4) uint8 numbers"
        )
    return _threshold(arr)


def to_pil(edit: np.ndarray) -> Image.Image:
    """Bool (H, W) -> L image, 255 = edit."""
    return array_to_mask(edit)


def to_alpha(edit: np.ndarray) -> Image.Image:
    """Bool (H, W) -> RGBA image, transparent = edit, opaque black elsewhere (OpenAI's convention)."""
    rgba = np.zeros((*edit.shape, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(edit, 0, 255)
    return Image.fromarray(rgba, mode="RGBA")


def to_repaint(edit: np.ndarray) -> np.ndarray:
    """diffusers RePaint convention: float32 (H, W), 1.0 = keep, 0.0 = inpaint."""
    return (~edit).astype(np.float32)


def _disk(px: int) -> np.ndarray:
    return _cv2().getStructuringElement(_cv2().MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))


def dilate(edit: np.ndarray, px: int) -> np.ndarray:
    """Grow the edit region by ``px`` pixels (round structuring element)."""
    if _check_px(px, "dilate") == 0:
        return edit.copy()
    if px > LARGE_PX:  # a distance transform costs the same for any radius; a kernel grows as px^2
        cv2 = _cv2()
        outside = (~edit).astype(np.uint8)
        return cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) <= px
    return _cv2().dilate(edit.astype(np.uint8), _disk(px)).astype(bool)


def erode(edit: np.ndarray, px: int) -> np.ndarray:
    """Shrink the edit region by ``px`` pixels; the image border does not eat into it."""
    if _check_px(px, "erode") == 0:
        return edit.copy()
    cv2 = _cv2()
    return cv2.erode(edit.astype(np.uint8), _disk(px), borderType=cv2.BORDER_REPLICATE).astype(bool)


def feather(edit: np.ndarray, px: int) -> np.ndarray:
    """Soft mask float32 (H, W) in 0..1: 1 inside, ramping to 0 over ``px`` pixels outside the edge.

    The ramp lies outside the region, so every pixel of ``edit`` stays fully edited (weight 1).
    """
    if _check_px(px, "feather") == 0:
        return edit.astype(np.float32)
    if not edit.any():
        return np.zeros(edit.shape, dtype=np.float32)
    cv2 = _cv2()
    outside = (~edit).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)  # exact, 0 inside
    return np.clip(1.0 - dist / float(px + 1), 0.0, 1.0).astype(np.float32)


def invert(edit: np.ndarray) -> np.ndarray:
    """Swap edit and keep: e.g. a SAM subject mask -> its background."""
    return ~edit


def union(*masks: np.ndarray) -> np.ndarray:
    """Pixels edited by any of the masks (all the same shape)."""
    if not masks:
        raise InputError("union of no masks; give at least one mask")
    shapes = {m.shape for m in masks}
    if len(shapes) != 1:
        raise InputError(f"masks have different sizes {sorted(shapes)}; they must match")
    return np.logical_or.reduce([np.asarray(m, dtype=bool) for m in masks])


def fill_holes(edit: np.ndarray) -> np.ndarray:
    """Fill enclosed holes in the edit region (any keep-area not 4-connected to the image border).

    4-connected keep-areas against an 8-connected edit region, as scipy's ``binary_fill_holes``.
    """
    cv2 = _cv2()
    edit = np.asarray(edit, dtype=bool)
    _, labels = cv2.connectedComponents((~edit).astype(np.uint8), connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return edit | ~np.isin(labels, border[border > 0]) & ~edit


def _components_at_least(edit: np.ndarray, min_area: int) -> np.ndarray:
    cv2 = _cv2()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(edit.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[labels]


def drop_islands(edit: np.ndarray, min_area: int) -> np.ndarray:
    """Drop 8-connected edit islands smaller than ``min_area`` px."""
    return _components_at_least(edit, min_area) if min_area > 1 else edit.copy()


def fill_small_holes(edit: np.ndarray, min_area: int) -> np.ndarray:
    """Fill keep-areas smaller than ``min_area`` px; one touching the image border counts too."""
    return ~_components_at_least(~edit, min_area) if min_area > 1 else edit.copy()


def remove_small(edit: np.ndarray, min_area: int) -> np.ndarray:
    """Drop edit islands smaller than ``min_area`` px, then fill keep-areas smaller than it.

    Like segment-anything's ``remove_small_regions``: a small keep-area counts as a hole even where
    it touches the image border. Connectivity 8.
    """
    return fill_small_holes(drop_islands(edit, min_area), min_area)


def regions(edit: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (XYXY, exclusive end) of the separate 8-connected regions, largest first."""
    cv2 = _cv2()
    n, _, stats, _ = cv2.connectedComponentsWithStats(edit.astype(np.uint8), connectivity=8)
    boxes = []
    for i in sorted(range(1, n), key=lambda i: -stats[i, cv2.CC_STAT_AREA]):
        x, y, w, h = (int(v) for v in stats[i, :4])
        boxes.append((x, y, x + w, y + h))
    return boxes


def canvas(size: tuple[int, int], extend: Extend) -> np.ndarray:
    """Outpainting mask on the extended canvas (True = new area). ``size`` is the source (W, H).

    The result is (H + top + bottom, W + left + right); the source sits at (left, top).
    """
    from retouch.planner.analyze import canvas_mask

    return canvas_mask(size, extend)


def prepare(
    edit: np.ndarray, *, invert_it: bool = False, dilate_px: int = 0, feather_px: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Apply a plan's mask preparation. Returns (hard bool mask for the model, soft float stitch mask).

    Order: invert, then dilate, then feather. The model is conditioned on the dilated hard mask; the
    stitch mask is that hard mask feathered outward, so the final composite blends over
    ``feather_px`` pixels beyond it.
    """
    _check_px(dilate_px, "dilate", edit.shape)  # caps scaled to the image, before any work
    _check_px(feather_px, "feather", edit.shape)
    hard = invert(edit) if invert_it else edit.copy()
    hard = dilate(hard, dilate_px)
    return hard, feather(hard, feather_px)


def apply_plan(edit: np.ndarray, plan: MaskPlan) -> tuple[np.ndarray, np.ndarray]:
    """``prepare`` with the plan's ``mask`` section: (hard mask for the model, soft stitch mask).

    ``edit`` is the mask as produced (a SAM subject, a given mask, a canvas mask).
    """
    return prepare(
        edit, invert_it=plan.invert, dilate_px=plan.dilate_px, feather_px=plan.feather_px
    )
