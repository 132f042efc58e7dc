"""Grain for weight-free fills: put the surroundings' fine texture back into a smooth fill.

A diffusion-free fill (Telea, Navier-Stokes) propagates colour inward and leaves a region with no
fine texture, the tell-tale smear. This module re-synthesises only the high-frequency part: the
photo's detail layer (image minus its Gaussian blur) is quilted into the hole from blocks of the
known ring around it, picking blocks whose detail energy is typical for that ring (never an edge
or a highlight), and applied to the fill as a brightness modulation. The fill's low frequencies
(colour, shading) are unchanged, and hue and saturation are kept, so no colour is invented.
"""

from __future__ import annotations

import numpy as np

DETAIL_SIGMA = 2.0  # px: what counts as "fine" texture
BLOCK = 12  # px: quilting block side
RING = 48  # px: how far around the hole donor blocks may come from
ENERGY_SPAN = (0.25, 1.5)  # donor detail energy, relative to the ring's median block energy
PEAK_LIMIT = 4.0  # a donor's largest detail value, relative to that median: no edges, no highlights


def detail_layer(rgb: np.ndarray) -> np.ndarray:
    """float32 (H, W, 3): ``rgb`` minus its Gaussian blur (sigma DETAIL_SIGMA)."""
    import cv2

    img = rgb.astype(np.float32)
    return img - cv2.GaussianBlur(img, (0, 0), DETAIL_SIGMA, borderType=cv2.BORDER_REFLECT_101)


def _donors(detail: np.ndarray, known: np.ndarray, ring: np.ndarray) -> list[tuple[int, int]]:
    """Top-left corners of fully known BLOCK x BLOCK blocks in ``ring`` with typical energy."""
    h, w = known.shape
    corners, energy, peak = [], [], []
    for y in range(0, h - BLOCK + 1, BLOCK // 2):
        for x in range(0, w - BLOCK + 1, BLOCK // 2):
            if ring[y + BLOCK // 2, x + BLOCK // 2] and known[y : y + BLOCK, x : x + BLOCK].all():
                block = np.abs(detail[y : y + BLOCK, x : x + BLOCK])
                corners.append((y, x))
                energy.append(float(block.mean()))
                peak.append(float(block.max()))
    if not corners:
        return []
    median = float(np.median(energy))
    lo, hi = ENERGY_SPAN[0] * median, ENERGY_SPAN[1] * median
    return [
        c
        for c, e, p in zip(corners, energy, peak, strict=True)
        if lo <= e <= hi and p <= PEAK_LIMIT * median
    ]


def add_texture(
    filled: np.ndarray, source: np.ndarray, hole: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Return ``filled`` (uint8 (H, W, 3)) with the ring's fine texture quilted into ``hole``.

    ``source``: the original uint8 (H, W, 3) (only pixels outside ``hole`` are read);
    ``hole``: bool (H, W), True = filled region. Pixels outside ``hole`` are returned unchanged.
    Deterministic for a given ``seed``. Works on the hole's box plus RING px around it.
    """
    out = filled.copy()
    if not hole.any():
        return out
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    m = RING + BLOCK
    y0, y1 = max(0, rows[0] - m), min(hole.shape[0], rows[-1] + 1 + m)
    x0, x1 = max(0, cols[0] - m), min(hole.shape[1], cols[-1] + 1 + m)
    box = (slice(y0, y1), slice(x0, x1))
    out[box] = _quilt(filled[box], source[box], hole[box], seed)
    return out


def _quilt(filled: np.ndarray, source: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    import cv2

    known = ~hole
    detail = detail_layer(np.where(hole[..., None], filled, source))
    reach = cv2.dilate(hole.astype(np.uint8), np.ones((2 * RING + 1, 2 * RING + 1), np.uint8))
    donors = _donors(detail, known, reach.astype(bool) & known)
    if not donors:  # no quiet texture around the hole: the smooth fill is the honest answer
        return filled.copy()
    rng = np.random.default_rng(seed)
    texture = np.zeros_like(detail)
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    for y in range(rows[0], rows[-1] + 1, BLOCK):
        for x in range(cols[0], cols[-1] + 1, BLOCK):
            sy, sx = donors[int(rng.integers(len(donors)))]
            bh = min(BLOCK, texture.shape[0] - y)
            bw = min(BLOCK, texture.shape[1] - x)
            texture[y : y + bh, x : x + bw] = detail[sy : sy + bh, sx : sx + bw]
    # grain is brightness: each pixel of the fill is scaled by (1 + detail / its luminance), which
    # keeps hue and HSV saturation exactly, so no colour is invented; capped so nothing clips
    base = filled.astype(np.float32)
    lum = base.mean(axis=2)
    factor = 1.0 + texture.mean(axis=2) / np.maximum(lum, 8.0)
    factor = np.clip(factor, 0.0, 255.0 / np.maximum(base.max(axis=2), 1.0))
    out = base * np.where(hole, factor, 1.0)[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
