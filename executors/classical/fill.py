"""The weight-free executor: OpenCV fill for removals, a mirrored canvas for extensions.

Removal fills the region from its border with ``cv2.inpaint`` (Telea's fast marching method by
default, or Navier-Stokes): fine for thin or small objects on smooth or low-texture backgrounds, a
smear on large textured holes. That is the honest limit of a weight-free fill; a diffusion model is
the tool for those. Extension mirrors the source into the new canvas (continuous at the old edge)
and blurs it more the farther it lies from the source, so far-away content reads as out-of-focus
continuation rather than a visible copy.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from retouch.planner.errors import InputError
from retouch.planner.schema import Extend

Method = Literal["telea", "ns"]


def extend_canvas(rgb: np.ndarray, extend: Extend) -> np.ndarray:
    """Source uint8 (H, W, 3) -> extended canvas (H+top+bottom, W+left+right, 3), new area filled.

    The new area is the source mirrored at its edge (reflect-101), mixed with a strong blur of
    itself in proportion to the distance from the source (0 at the edge, 1 at the far side).
    """
    import cv2

    h, w = rgb.shape[:2]
    if h < 2 or w < 2:
        raise InputError(f"image is {w}x{h}; a canvas extension needs at least 2x2 pixels")
    mirrored = cv2.copyMakeBorder(
        rgb, extend.top, extend.bottom, extend.left, extend.right, cv2.BORDER_REFLECT_101
    )
    reach = max(extend.left, extend.top, extend.right, extend.bottom)
    sigma = max(1.0, reach / 6.0)
    blurred = cv2.GaussianBlur(mirrored, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101)
    rows = np.arange(mirrored.shape[0])[:, None]
    cols = np.arange(mirrored.shape[1])[None, :]
    dy = np.maximum(np.maximum(extend.top - rows, rows - (extend.top + h - 1)), 0)
    dx = np.maximum(np.maximum(extend.left - cols, cols - (extend.left + w - 1)), 0)
    t = np.clip(np.hypot(dx, dy) / float(reach), 0.0, 1.0)[..., None].astype(np.float32)
    out = mirrored.astype(np.float32) * (1.0 - t) + blurred.astype(np.float32) * t
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    out[extend.top : extend.top + h, extend.left : extend.left + w] = rgb
    return out


class ClassicalExecutor:
    """OpenCV fill. ``method``: telea (default) or ns; ``radius``: neighbourhood in px;
    ``texture``: add the surroundings' fine grain back to the smooth fill (see executors/classical/texture.py
    and tests/bench/bench_texture_fill.py for the measurements that made it the default)."""

    def __init__(self, method: Method = "telea", radius: int = 5, texture: bool = True) -> None:
        if method not in ("telea", "ns"):
            raise InputError(f"classical fill method {method!r} is not telea or ns")
        if radius < 1:
            raise InputError(f"classical fill radius {radius} must be at least 1 px")
        self.method = method
        self.radius = radius
        self.texture = (
            texture  # quilt the ring's fine grain back in (executors/classical/texture.py)
        )

    def __call__(self, rgb: np.ndarray, edit: np.ndarray, seed: int = 0) -> np.ndarray:
        """Fill ``edit`` (bool (H, W), True = fill) in ``rgb`` (uint8 (H, W, 3)); returns a new array.

        Only the region's padded bounding box is processed (the fill reads ``radius`` px around the
        region, so the result is the same as on the whole frame).
        """
        import cv2

        # 1. check inputs
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InputError(
                f"classical fill needs uint8 RGB (H, W, 3); got {rgb.dtype} {rgb.shape}"
            )
        if edit.shape != rgb.shape[:2]:
            raise InputError(
                f"mask is {edit.shape[1]}x{edit.shape[0]}, image is "
                f"{rgb.shape[1]}x{rgb.shape[0]}; they must match"
            )
        out = rgb.copy()
        if not edit.any():
            return out
        if edit.all():
            raise InputError(
                "the mask covers the whole image: a weight-free fill has nothing to "
                "fill from; leave some of the image unmasked or use a diffusion model"
            )
        # 2. the region's box with room for the fill's neighbourhood
        rows = np.flatnonzero(edit.any(axis=1))
        cols = np.flatnonzero(edit.any(axis=0))
        pad = 2 * self.radius + 2
        y0, y1 = max(0, rows[0] - pad), min(edit.shape[0], rows[-1] + 1 + pad)
        x0, x1 = max(0, cols[0] - pad), min(edit.shape[1], cols[-1] + 1 + pad)
        # 3. fill
        flag = cv2.INPAINT_TELEA if self.method == "telea" else cv2.INPAINT_NS
        patch = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        hole = edit[y0:y1, x0:x1].astype(np.uint8) * 255
        filled = cv2.inpaint(patch, hole, self.radius, flag)
        out[y0:y1, x0:x1] = np.where(hole[..., None] > 0, filled, patch)
        if self.texture:
            from retouch.executors.classical.texture import add_texture

            out = add_texture(out, rgb, edit, seed=seed)
        return out
