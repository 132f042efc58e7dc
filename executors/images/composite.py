"""The final composite and colour match: what guarantees pixels outside the edit region are kept.

Two masks, kept apart: the *conditioning* mask (bool, what the model is asked to regenerate) and
the *stitch weights* (float32 (H, W) in 0..1) that blend the model's output over the source. The
weights are the conditioning mask feathered **inward**: 0 outside the region, rising over
``feather_px`` pixels from its edge to 1. So the blend never reaches past the region, and a pixel
outside it is the source's, byte for byte (``composite`` takes it from the source, not from a
blend that rounds back to it). With the plan's dilation larger than its feather, the original
object is still fully regenerated.

Colour match: the VAE round trip leaves a colour cast. The model's output on a ring of pixels just
outside the region (which the model reproduced, but which the final image takes from the source)
is compared with the source on the same ring; the region is then shifted and scaled per channel
(mean/std matching) so the ring would match.
"""

from __future__ import annotations

import numpy as np
from retouch.executors.images import masks

MIN_RING_PIXELS = 16
STD_RATIO = (0.5, 2.0)  # clamp on the std ratio, so a flat ring cannot blow the region up


def stitch_weights(edit: np.ndarray, feather_px: int) -> np.ndarray:
    """Float32 (H, W): 0 outside ``edit``, ramping inward to 1 over ``feather_px`` px (inclusive)."""
    if feather_px <= 0 or edit.all():
        return edit.astype(np.float32)
    import cv2

    inside = cv2.distanceTransform(edit.astype(np.uint8), cv2.DIST_L2, 5)  # 0 outside
    return np.clip(inside / float(feather_px + 1), 0.0, 1.0).astype(np.float32)


def ring(edit: np.ndarray, width: int) -> np.ndarray:
    """Bool (H, W): pixels within ``width`` px outside the region."""
    return masks.dilate(edit, max(1, width)) & ~edit


def color_match(
    gen: np.ndarray,
    src: np.ndarray,
    edit: np.ndarray,
    *,
    ring_px: int,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Match the colour of ``gen`` inside ``edit`` to ``src`` on the border ring.

    ``gen``/``src`` uint8 (H, W, 3); ``edit`` bool (H, W); ``valid`` bool (H, W) marks where ``gen``
    holds model output (the crop boxes). Returns uint8 (H, W, 3): ``gen`` with the region corrected;
    unchanged when the ring has fewer than 16 valid pixels (nothing to match against).
    """
    band = ring(edit, ring_px)
    if valid is not None:
        band &= valid
    if band.sum() < MIN_RING_PIXELS or not edit.any():
        return gen
    g = gen[band].astype(np.float64)
    s = src[band].astype(np.float64)
    ratio = np.clip((s.std(axis=0) + 1e-3) / (g.std(axis=0) + 1e-3), *STD_RATIO)
    out = gen.copy()
    region = gen[edit].astype(np.float64)
    out[edit] = np.clip(np.rint((region - g.mean(axis=0)) * ratio + s.mean(axis=0)), 0, 255).astype(
        np.uint8
    )
    return out


def composite(src: np.ndarray, gen: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``src`` + weights * (``gen`` - ``src``), uint8 (H, W, 3); exactly ``src`` where weight is 0."""
    out = src.copy()
    sel = weights > 0
    w = weights[sel][:, None]
    blend = src[sel].astype(np.float32) * (1.0 - w) + gen[sel].astype(np.float32) * w
    out[sel] = np.clip(np.rint(blend), 0, 255).astype(np.uint8)
    return out
