"""The numbers behind retouch's QA checks, computed with numpy, OpenCV and scikit-image (no weights).

Each measure takes a ``Frame``: the source and the result as float32 (H, W, 3) RGB arrays in 0..255
on the result's pixel grid, plus boolean (H, W) masks saying where the source exists and which pixels
were regenerated, and returns (value, one-line detail) or None when it cannot be measured.
executors/qa/check.py builds the frame (``channels``, ``placed``), compares each value with the plan's
threshold and attaches the fix; planner/checklist.py holds the thresholds and the measurements that
set them.

Geometry of a masked edit, seen from outside the edit region inwards. The executors' composite
(executors/images/composite.py) feathers *inward*: the result blends from the source at the region's edge
to the model's output ``feather_px`` inside it, and every pixel outside is the source's::

    outside (= source) .. ring | region: feather ramp (source -> output) .. inner band .. interior
    seam texture ring and      + edge pairs straddle     the colour shift compares the inner band
    colour-shift ring here       this edge               (fully output) with the ring outside
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

BAND_PX = 3  # width of the inner band and the outer ring compared by the colour-shift measure
RING_PX = 4  # width of the ring whose texture the seam is compared against
WINDOW_PX = 8  # margin around the region the measures need (>= RING_PX + 1, BAND_PX, SSIM's 3)
BLACK_LEVEL = 4  # a pixel is black when every channel is <= this (0-255)
SAT_S, SAT_V = 0.95, 0.25  # over-saturated: HSV saturation above SAT_S at a value above SAT_V
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601


@dataclass
class Frame:
    """A source/result pair on the result's pixel grid.

    source, result: float32 (H, W, 3) RGB in 0..255 (source is 0 where ``known`` is False; result
    is 0 where ``nan`` is True). known: where the source exists (all True unless outpainting).
    region: the regenerated pixels (all True for a whole-image edit). feather: width in px of the
    composite's inward ramp (the plan's mask.feather_px; 0 without a plan).
    """

    source: np.ndarray
    result: np.ndarray
    known: np.ndarray
    region: np.ndarray
    nan: np.ndarray
    feather: int = 0

    @property
    def outside(self) -> np.ndarray:
        """Pixels that must equal the source: known and not regenerated."""
        return self.known & ~self.region

    def window(self, margin: int) -> Frame:
        """The frame cropped to the region's bounding box grown by ``margin`` px (clipped to the
        image). Every measure here looks at most ``margin`` px outside the region (and SSIM's 7x7
        windows 3 px), so on the crop they give the same values, faster for a small region."""
        rows = np.flatnonzero(self.region.any(axis=1))
        cols = np.flatnonzero(self.region.any(axis=0))
        if rows.size == 0:
            return self
        h, w = self.region.shape
        y0, y1 = max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin)
        x0, x1 = max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin)
        if (y0, x0, y1, x1) == (0, 0, h, w):
            return self
        win = (slice(y0, y1), slice(x0, x1))
        return Frame(
            source=self.source[win],
            result=self.result[win],
            known=self.known[win],
            region=self.region[win],
            nan=self.nan[win],
            feather=self.feather,
        )

    @cached_property
    def d_out(self) -> np.ndarray:
        """float32 (H, W): each pixel's distance in px to the region (0 inside it)."""
        return distance_outside(self.region)

    @cached_property
    def d_in(self) -> np.ndarray:
        """float32 (H, W): each region pixel's distance in px to the nearest pixel outside it."""
        return distance_inside(self.region)


def channels(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """float32 (H, W, C) in 0..255 (C = 4 with alpha, else 3) and a bool (H, W) NaN mask."""
    mode = img.mode
    if mode.startswith("I") or mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        nan = np.isnan(arr)
        finite = arr[~nan]
        top = finite.max(initial=0.0)
        scale = (
            257.0
            if (mode.startswith("I;16") or top > 255)
            else (1 / 255 if top <= 1 and mode == "F" else 1.0)
        )
        arr = np.where(nan, 0.0, arr / scale)
        return np.repeat(arr[..., None], 3, axis=2).astype(np.float32), nan
    has_alpha = mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    arr = np.asarray(img.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32)
    return arr, np.zeros(arr.shape[:2], dtype=bool)


def placed(
    source: np.ndarray, shape: tuple[int, int], offset: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The source array placed at (left, top) on a canvas of ``shape`` (H, W), and where it is."""
    h, w = source.shape[:2]
    left, top = offset
    canvas = np.zeros((*shape, source.shape[2]), dtype=np.float32)
    known = np.zeros(shape, dtype=bool)
    canvas[top : top + h, left : left + w] = source
    known[top : top + h, left : left + w] = True
    return canvas, known


def _edt(nonzero: np.ndarray) -> np.ndarray:
    """float32 (H, W): exact Euclidean distance of each True pixel to the nearest False one."""
    import cv2

    return cv2.distanceTransform(nonzero.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def distance_outside(region: np.ndarray) -> np.ndarray:
    """float32 (H, W): Euclidean distance in px of each pixel to the region (0 inside it)."""
    if not region.any():
        return np.full(region.shape, np.inf, dtype=np.float32)
    return _edt(~region)


def distance_inside(region: np.ndarray) -> np.ndarray:
    """float32 (H, W): distance in px of each region pixel to the nearest pixel outside it."""
    if region.all():
        return np.full(region.shape, np.inf, dtype=np.float32)
    return _edt(region)


# ------------------------------------------------------------------------------ outside-unchanged


def outside_difference(
    source: np.ndarray, result: np.ndarray, outside: np.ndarray
) -> tuple[float, int]:
    """Largest absolute channel difference (0-255) and the count of differing pixels in ``outside``.

    source, result: float32 (H, W, C) in the images' own channels (alpha included when both have it).
    """
    differs = outside & (source != result).any(axis=-1)
    if not differs.any():
        return 0.0, 0
    return float(np.abs(source[differs] - result[differs]).max()), int(differs.sum())


# ------------------------------------------------------------------------------------------- seam


_Pairs = list[tuple[np.ndarray, tuple[tuple[slice, slice], tuple[slice, slice]]]]
_SHIFTS = (  # (first pixel, its neighbour) as slices of an (H, W) array
    ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),  # left -> right
    ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),  # top -> bottom
)


def edge_pairs(region: np.ndarray, known: np.ndarray) -> _Pairs:
    """4-neighbour pairs straddling the region's edge, both pixels known. Per direction: (selector
    bool (H, W-1) or (H-1, W), (slices of the first pixel, slices of the second))."""
    return [((region[f] != region[s]) & known[f] & known[s], (f, s)) for f, s in _SHIFTS]


def pairs_within(where: np.ndarray) -> _Pairs:
    """4-neighbour pairs with both pixels in ``where`` (same layout as edge_pairs)."""
    return [(where[f] & where[s], (f, s)) for f, s in _SHIFTS]


def _mean_step(img: np.ndarray, pairs: _Pairs) -> tuple[float, int]:
    """Mean RGB Euclidean difference (0-441) between the selected neighbour pairs, and their count."""
    total, count = 0.0, 0
    for sel, (first, second) in pairs:
        step = np.linalg.norm(img[first][sel] - img[second][sel], axis=-1)
        total += float(step.sum())
        count += step.size
    return (total / count if count else 0.0), count


def seam(frame: Frame) -> tuple[float, str] | None:
    """Step across the region's edge relative to the photo's own texture there; None if no edge.

    value = mean step between neighbours straddling the edge in the result, divided by the larger
    of (a) the source's mean step between neighbours in the ring RING_PX wide just outside the edge
    (the texture the fill must continue) and (b) the source's own step across the same edge (an
    object outline the mask follows is not a seam the edit made). 1 = as smooth as the photo. A
    feathered composite spreads a jump over its ramp, so the step at the edge is a fraction of it.
    """
    edge = edge_pairs(frame.region, frame.known)
    step_result, n = _mean_step(frame.result, edge)
    if n == 0:
        return None
    step_source, _ = _mean_step(frame.source, edge)
    ring = frame.known & (frame.d_out > 1) & (frame.d_out <= 1 + RING_PX)
    texture, n_tex = _mean_step(frame.source, pairs_within(ring))
    if n_tex == 0:
        texture = step_source
    reference = max(texture, step_source, 1.0)
    value = step_result / reference
    return value, (
        f"step across the edge {step_result:.1f} vs the photo's texture {texture:.1f} "
        f"and its own step there {step_source:.1f} ({n} edge pairs)"
    )


# ------------------------------------------------------------------------------------ colour shift


def _mean_lab(rgb: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2lab

    if rgb.shape[0] == 0:
        return np.zeros(3)
    return rgb2lab((rgb / 255.0).reshape(-1, 1, 3)).reshape(-1, 3).mean(axis=0)


def color_shift(frame: Frame) -> tuple[float, str] | None:
    """CIE76 ΔE between the band just inside the region and the ring just outside it, beyond the
    source's own ΔE between the same two sets (0 when the edit kept the border's colour contrast).

    Inner band: region pixels BAND_PX deep just past the feather ramp (where the result is all model
    output; the deepest pixels when the region is thinner than that). Outer ring: known pixels
    within BAND_PX outside the region. None when either set is empty.
    """
    ring = frame.known & ~frame.region & (frame.d_out <= BAND_PX)
    d_in = frame.d_in
    usable = frame.region & ~frame.nan
    if not ring.any() or not usable.any():
        return None
    start = min(float(frame.feather), float(d_in[usable].max()) - 1)
    inner = usable & (d_in > start) & (d_in <= start + BAND_PX)
    de_result = float(
        np.linalg.norm(_mean_lab(frame.result[inner]) - _mean_lab(frame.result[ring]))
    )
    inner_known = inner & frame.known
    de_source = 0.0
    if inner_known.any():
        de_source = float(
            np.linalg.norm(_mean_lab(frame.source[inner_known]) - _mean_lab(frame.source[ring]))
        )
    value = max(0.0, de_result - de_source)
    return value, (
        f"border ΔE {de_result:.1f} in the result vs {de_source:.1f} in the source "
        f"({int(inner.sum())} inner, {int(ring.sum())} ring pixels)"
    )


# -------------------------------------------------------------------------------------- saturation


def over_saturated(rgb: np.ndarray) -> np.ndarray:
    """bool (N,) for rgb (N, 3) in 0..255: HSV S > SAT_S at V > SAT_V (vivid, clipped colour)."""
    hi = rgb.max(axis=-1)
    lo = rgb.min(axis=-1)
    s = np.where(hi > 0, (hi - lo) / np.maximum(hi, 1e-6), 0.0)
    return (s > SAT_S) & (hi > SAT_V * 255.0)


def saturation(frame: Frame) -> tuple[float, str] | None:
    """Fraction of region pixels over-saturated in the result, minus the source's own fraction.

    The source's fraction is taken over the region where the source exists there, else (new canvas)
    over the source pixels of the frame (Frame.window: those next to the region). None for an empty
    region.
    """
    region = frame.region & ~frame.nan
    if not region.any():
        return None
    frac_result = float(over_saturated(frame.result[region]).mean())
    base = region & frame.known
    if not base.any():
        base = frame.known
    frac_source = float(over_saturated(frame.source[base]).mean()) if base.any() else 0.0
    value = max(0.0, frac_result - frac_source)
    return value, (
        f"{frac_result:.1%} of the region over-saturated in the result vs "
        f"{frac_source:.1%} in the source"
    )


# --------------------------------------------------------------------------------------- structure


def grey(rgb: np.ndarray) -> np.ndarray:
    """float32 (H, W) BT.601 luma in 0..255 from float32 (H, W, 3)."""
    return rgb @ LUMA


def structure(frame: Frame) -> tuple[float, str] | None:
    """Mean SSIM (grey, 7x7 uniform windows, data range 255) of the result against the source over
    the regenerated pixels where the source exists. None when there are none or the image is under
    7 px on a side."""
    from skimage.metrics import structural_similarity

    where = frame.region & frame.known & ~frame.nan
    if not where.any() or min(where.shape) < 7:
        return None
    _, ssim_map = structural_similarity(
        grey(frame.source), grey(frame.result), win_size=7, data_range=255.0, full=True
    )
    value = float(ssim_map[where].mean())
    return value, f"SSIM over {int(where.sum())} regenerated pixels"


# ------------------------------------------------------------------------------------------- blank


def blank(frame: Frame) -> tuple[float, str] | None:
    """Of the region pixels where the source was not black (new canvas counts as not black), the
    fraction that are NaN or black (every channel <= BLACK_LEVEL) in the result. None when the region
    is empty or was black already."""
    region = frame.region
    black_source = frame.known[region] & (frame.source[region] <= BLACK_LEVEL).all(axis=-1)
    lit = ~black_source
    if not lit.any():
        return None
    black_result = frame.nan[region] | (frame.result[region] <= BLACK_LEVEL).all(axis=-1)
    bad = lit & black_result
    value = float(bad.sum() / lit.sum())
    return value, (
        f"{int(bad.sum())} of {int(lit.sum())} region pixels that were not black in the "
        "source are black or NaN"
    )
