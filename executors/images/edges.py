"""How well a mask's outline follows the image's edges, compared with the same outline placed at random.

Used by the QA ``mask-fit`` check (executors/qa/content.py) and GrabCut's confidence
(executors/segment/grabcut.py). numpy and OpenCV only.
"""

from __future__ import annotations

import numpy as np

WORK_SIDE = 512  # long side (px) the measure runs at
SHIFTS = 24  # random placements of the outline that make the baseline


def gradient(rgb: np.ndarray) -> np.ndarray:
    """float32 (H, W): Sobel gradient magnitude of the BT.601 grey of ``rgb`` (H, W, 3), 0..255."""
    import cv2

    grey = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy)


def outline(mask: np.ndarray) -> np.ndarray:
    """int (N, 2) row, col of the mask's inner outline (mask pixels with a 4-neighbour outside)."""
    import cv2

    m = mask.astype(np.uint8)
    inner = cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
    return np.argwhere((m > 0) & (inner == 0))


def edge_alignment(
    rgb: np.ndarray, mask: np.ndarray, tolerance_px: int = 2, seed: int = 0
) -> tuple[float, float, float]:
    """(ratio, on_outline, baseline): how much stronger the image's edges are along the mask's
    outline than along the same outline moved to random places in the image.

    rgb: (H, W, 3) 0..255; mask: bool (H, W). on_outline: mean of the gradient magnitude (grey
    levels per px, Sobel 3x3), each outline pixel taking the strongest gradient within
    ``tolerance_px`` of it; baseline: the median of the same over SHIFTS random translations of the
    outline that keep it inside the image (the whole image's mean when none fits). ratio =
    on_outline / baseline: 1 = no better than a random shape, > 1 the outline sits on edges. Runs at
    most WORK_SIDE px on the long side. (0, 0, 0) for an empty or full mask.
    """
    import cv2

    h, w = mask.shape
    scale = min(1.0, WORK_SIDE / max(h, w))
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = cv2.resize(np.asarray(rgb, np.float32), size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        tolerance_px = max(1, round(tolerance_px * scale))
    pts = outline(mask)
    if pts.size == 0 or mask.all():
        return 0.0, 0.0, 0.0
    k = 2 * tolerance_px + 1
    strongest = cv2.dilate(gradient(rgb), np.ones((k, k), np.uint8))
    on = float(strongest[pts[:, 0], pts[:, 1]].mean())
    (r0, c0), (r1, c1) = pts.min(axis=0), pts.max(axis=0)
    hh, ww = mask.shape
    rng = np.random.default_rng(seed)
    scores = []
    if r1 - r0 < hh - 1 or c1 - c0 < ww - 1:
        for _ in range(SHIFTS):
            dr = int(rng.integers(-r0, hh - r1))
            dc = int(rng.integers(-c0, ww - c1))
            scores.append(float(strongest[pts[:, 0] + dr, pts[:, 1] + dc].mean()))
    baseline = float(np.median(scores)) if scores else float(strongest.mean())
    return on / max(baseline, 1e-6), on, baseline
