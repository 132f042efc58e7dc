"""Geometry of bool masks (H, W; True = edit) in numpy alone, so planning loads no scipy: the
number of 8-connected regions and the growth by a square window. Both give what
``scipy.ndimage.label(mask, np.ones((3, 3)))[1]`` and ``scipy.ndimage.maximum_filter(mask,
2 * r + 1) > 0`` give (tests/planner/test_regions.py compares them).
"""

from __future__ import annotations

import numpy as np


def grow_square(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` (H, W) bool grown by ``radius`` px: True where a True pixel lies within ``radius``
    px along both axes (a (2r+1)-square window). Two passes of a 1-D window sum (cumsum)."""
    out = mask.astype(bool)
    for axis in (0, 1):
        n = out.shape[axis]
        csum = np.cumsum(out, axis=axis, dtype=np.int64)
        csum = np.concatenate([np.zeros_like(np.take(csum, [0], axis=axis)), csum], axis=axis)
        idx = np.arange(n)
        hi, lo = np.minimum(idx + radius + 1, n), np.maximum(idx - radius, 0)
        out = (np.take(csum, hi, axis=axis) - np.take(csum, lo, axis=axis)) > 0
    return out


def count_regions(mask: np.ndarray) -> int:
    """The number of 8-connected True regions of ``mask`` (H, W) bool.

    1. every row's runs of True, as [start, end) columns;
    2. a run touches a run of the row above when their column spans, each widened by one pixel
       (the diagonal), overlap: found with searchsorted, so the pairs cost O(runs log runs);
    3. union-find over those pairs; the regions are the roots.
    """
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask.astype(bool)
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)  # row-major: runs in order, row by row
    _, ends = np.nonzero(step == -1)
    n = rows.size
    if n == 0:
        return 0
    # 2. for each run b in row r, the runs a of row r - 1 with start_a <= end_b and end_a >= start_b
    stride = w + 2
    end_keys = rows * stride + ends
    start_keys = rows * stride + starts
    below = rows > 0
    lo = np.searchsorted(end_keys, (rows - 1) * stride + starts, side="left")
    hi = np.searchsorted(start_keys, (rows - 1) * stride + ends, side="right")
    counts = np.where(below, np.maximum(hi - lo, 0), 0)
    b = np.repeat(np.arange(n), counts)
    a = np.repeat(lo, counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    # 3. union-find with path halving
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return sum(1 for i in range(n) if parent[i] == i)
