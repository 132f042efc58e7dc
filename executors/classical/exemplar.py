"""PatchMatch, the exemplar fill under both the removal fill and the extension.

``patchmatch_inpaint`` wraps the PyPatchMatch wheel's ``patchmatch.inpaint`` (Barnes et al. 2009):
seeded (the library's seed is process-global, so it is set under one lock before every call) and
deterministic for a given seed; a source-exclusion mask keeps patches from coming from a subject.
``hole_box`` is the crop a removal fill runs on.
"""

from __future__ import annotations

import threading

import numpy as np
from retouch.planner.contract.errors import ModelMissingError

Box = tuple[int, int, int, int]  # XYXY pixels, exclusive end

PATCH_SIZE = 3  # PatchMatch patch radius, px (7x7 patches); 2 and 5 score the same, see the bench
CONTEXT = 2.0  # hole-widths of known image around the hole that PatchMatch copies from
MIN_CONTEXT = 32  # px: the least context, for small holes
MIN_SIDE = 32  # px: thinner images are edge-replicated to this before PatchMatch runs
_PM_LOCK = threading.Lock()  # the library's seed is process-global: one fill at a time


def patchmatch_inpaint(
    rgb: np.ndarray,
    hole: np.ndarray,
    *,
    seed: int,
    patch_size: int = PATCH_SIZE,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """PatchMatch fill of ``hole`` (bool (H, W)) in ``rgb`` (uint8 (H, W, 3)); returns a new array.

    ``exclude`` (bool (H, W)): known pixels no source patch may come from (the library's global
    mask; it must not overlap the hole). The library is deterministic for a given seed, which is
    set before every call under one lock (it keeps the seed process-wide).
    """
    try:
        import patchmatch
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelMissingError(
            "the weight-free fill needs PyPatchMatch: pip install pypatchmatch"
        ) from exc
    if not patchmatch.patchmatch_available:  # pragma: no cover - the wheel ships its library
        raise ModelMissingError(
            "PyPatchMatch's native library did not load: reinstall it with "
            "pip install --force-reinstall --no-cache-dir pypatchmatch"
        )
    skip = None if exclude is None else exclude & ~hole
    # the library misfills an image under ~16 px on a side (a hole across a 12-row strip comes
    # back 25% dark, across 3 rows 80%): such an image is edge-replicated up to MIN_SIDE px and cut
    # back after
    h, w = hole.shape
    side = max(MIN_SIDE, 2 * patch_size + 1)
    pad = ((0, max(0, side - h)), (0, max(0, side - w)))
    if pad != ((0, 0), (0, 0)):
        rgb = np.pad(rgb, (*pad, (0, 0)), mode="edge")
        hole = np.pad(hole, pad, mode="edge")
        skip = None if skip is None else np.pad(skip, pad, mode="edge")
    glob = None if skip is None or not skip.any() else skip.astype(np.uint8)
    with _PM_LOCK:
        patchmatch.set_random_seed(seed)
        out = patchmatch.inpaint(
            np.ascontiguousarray(rgb),
            np.ascontiguousarray(hole.astype(np.uint8)),
            global_mask=None if glob is None else np.ascontiguousarray(glob),
            patch_size=patch_size,
        )
    return out[:h, :w]


def hole_box(edit: np.ndarray, context: float = CONTEXT, least: int = MIN_CONTEXT) -> Box:
    """The region's bounding box grown by ``context`` times its long side (at least ``least`` px)
    on every side, clipped to the image: XYXY, exclusive end."""
    rows = np.flatnonzero(edit.any(axis=1))
    cols = np.flatnonzero(edit.any(axis=0))
    side = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    pad = max(least, int(round(context * side)))
    h, w = edit.shape
    return (
        int(max(0, cols[0] - pad)),
        int(max(0, rows[0] - pad)),
        int(min(w, cols[-1] + 1 + pad)),
        int(min(h, rows[-1] + 1 + pad)),
    )
