"""Mask operations on retouch's one internal convention: bool arrays (H, W), True = edit.

Conversions at the edges: ``planner.imageio.mask_to_array`` reads any mask image (L/1/RGB: white =
edit as diffusers, Stability and BFL read it; RGBA with transparency: transparent = edit as OpenAI's
edit API reads it); ``to_pil`` writes 255 = edit; ``to_repaint`` gives diffusers' RePaint convention
(1 = keep, 0 = inpaint). Feathered masks are float32 (H, W) in 0..1, 1 = fully edited.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from planner.errors import InputError
from planner.imageio import array_to_mask, mask_to_array
from planner.schema import Extend


def _cv2():  # type: ignore[no-untyped-def]
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - cv2 is a hard dependency
        from planner.errors import ModelMissingError

        raise ModelMissingError("OpenCV is missing: pip install opencv-python-headless") from exc
    return cv2


def normalize(mask: Image.Image | np.ndarray) -> np.ndarray:
    """Any mask image or array -> bool (H, W), True = edit. Arrays: nonzero/True = edit, >=0.5 for floats."""
    if isinstance(mask, Image.Image):
        return mask_to_array(mask)
    arr = np.asarray(mask)
    if arr.ndim == 3:
        arr = arr[..., 0] if arr.shape[2] == 1 else arr.mean(axis=2)
    if arr.dtype == bool:
        return arr.copy()
    if np.issubdtype(arr.dtype, np.floating):
        return arr >= 0.5
    return arr >= (128 if arr.max(initial=0) > 1 else 1)


def to_pil(edit: np.ndarray) -> Image.Image:
    """Bool (H, W) -> L image, 255 = edit."""
    return array_to_mask(edit)


def to_repaint(edit: np.ndarray) -> np.ndarray:
    """diffusers RePaint convention: float32 (H, W), 1.0 = keep, 0.0 = inpaint."""
    return (~edit).astype(np.float32)


def _disk(px: int) -> np.ndarray:
    return _cv2().getStructuringElement(_cv2().MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))


def dilate(edit: np.ndarray, px: int) -> np.ndarray:
    """Grow the edit region by ``px`` pixels (round structuring element)."""
    if px <= 0:
        return edit.copy()
    return _cv2().dilate(edit.astype(np.uint8), _disk(px)).astype(bool)


def erode(edit: np.ndarray, px: int) -> np.ndarray:
    """Shrink the edit region by ``px`` pixels."""
    if px <= 0:
        return edit.copy()
    return _cv2().erode(edit.astype(np.uint8), _disk(px), borderType=_cv2().BORDER_REPLICATE).astype(
        bool)


def feather(edit: np.ndarray, px: int) -> np.ndarray:
    """Soft mask float32 (H, W) in 0..1: 1 inside, ramping to 0 over ``px`` pixels outside the edge.

    The ramp lies outside the region, so every pixel of ``edit`` stays fully edited (weight 1).
    """
    if px <= 0:
        return edit.astype(np.float32)
    cv2 = _cv2()
    outside = (~edit).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, 5)  # distance to the region, 0 inside
    return np.clip(1.0 - dist / float(px + 1), 0.0, 1.0).astype(np.float32)


def invert(edit: np.ndarray) -> np.ndarray:
    return ~edit


def union(*masks: np.ndarray) -> np.ndarray:
    if not masks:
        raise InputError("union of no masks; give at least one mask")
    shapes = {m.shape for m in masks}
    if len(shapes) != 1:
        raise InputError(f"masks have different sizes {sorted(shapes)}; they must match")
    return np.logical_or.reduce(masks)


def fill_holes(edit: np.ndarray) -> np.ndarray:
    """Fill enclosed holes in the edit region (any hole not connected to the border)."""
    from scipy import ndimage

    return ndimage.binary_fill_holes(edit)


def remove_small(edit: np.ndarray, min_area: int) -> np.ndarray:
    """Drop edit islands smaller than ``min_area`` px and fill holes smaller than it."""
    cv2 = _cv2()

    def keep_big(m: np.ndarray) -> np.ndarray:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
        keep = np.zeros(n, dtype=bool)
        keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
        return keep[labels]

    if min_area <= 1:
        return edit.copy()
    cleaned = keep_big(edit)
    return ~keep_big(~cleaned)


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
    """Outpainting mask on the extended canvas (True = new area). ``size`` is the source (W, H)."""
    from planner.analyze import canvas_mask

    return canvas_mask(size, extend)


def prepare(edit: np.ndarray, *, invert_it: bool = False, dilate_px: int = 0,
            feather_px: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Apply a plan's mask preparation. Returns (hard bool mask for the model, soft float stitch mask).

    The model is conditioned on the dilated hard mask; the stitch mask is that hard mask feathered
    outward, so the final composite blends over ``feather_px`` pixels beyond it.
    """
    hard = invert(edit) if invert_it else edit.copy()
    hard = dilate(hard, dilate_px)
    return hard, feather(hard, feather_px)
