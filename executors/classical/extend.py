"""Canvas extension from the background, never from the subject.

The new strip is filled with PatchMatch (executors/classical/exemplar.py) whose source patches come
only from a band of the source along each extended edge (BAND strip widths deep, at least
MIN_BAND px), minus the subject: every person found from a face (the face box grown into a
head-and-shoulders body down to the bottom edge), what in the band has a colour found nowhere
along the edge (an object the edge does not continue), and the caller's mask when given. A central
subject lies outside the band by construction; a person near the edge is cut out of it. So no
face or person is copied into the strip: it continues what lies next to the edge.

``extension_background_ok`` says before running whether that can work: the subject must not
reach far along an extended edge (a weight-free fill cannot continue a person or an object), and
the band must hold enough background, not too structured, to copy from.
"""

from __future__ import annotations

import numpy as np
from retouch.planner.contract.errors import ModelMissingError, PlanError
from retouch.planner.contract.schema import Extend

Box = tuple[int, int, int, int]  # XYXY pixels, exclusive end

BODY_HALF_WIDTH = 2.0  # face widths either side of a face's centre that its body may cover ...
HEAD_ROOM = 0.6  # ... from this many face heights above the face down to the bottom edge
BAND = 1.0  # strip widths of source along an extended edge that patches may come from ...
MIN_BAND = 32  # ... at least this many px
PALETTE_SIDE = 128  # px: the long side the band's colours are compared with the edge's at
FOREIGN_DE = 20.0  # CIELAB distance: a band colour this far from every edge colour is an object
# The thresholds below, on scikit-image's photos extended to 16:9 (tests/bench/bench_fill.py
# prints each side's numbers): coffee, chelsea, rocket, cat and camera have no subject at their
# side edges, 0.99-1.00 background in the bands and 0.01-0.20 of it on strong edges (coffee's
# wood grain 0.20); beside the astronaut only 0.19 (left: flag, suit, hair) and 0.53 background.
# Uniform random noise is 0.39 on strong edges. MAX_SUBJECT_AT_EDGE (a third of an edge) is a
# judgment, not a measurement.
MAX_SUBJECT_AT_EDGE = 0.3  # share of an extended edge the subject may touch
MIN_BACKGROUND = 0.35  # share of the band that must be background (not subject)
MAX_STRUCTURE = 0.25  # share of the band's background on strong (Canny) edges
OUTPAINT_MODELS = "a diffusion outpaint (SDXL-Inpaint, ~10 GB VRAM, or FLUX.1 Fill, ~34 GB)"

SIDES = ("left", "top", "right", "bottom")


def find_faces(rgb: np.ndarray) -> list[Box]:
    """Face boxes (XYXY) in ``rgb`` (uint8 (H, W, 3)): dlib's HOG detector
    (retouch.executors.faces), or, where dlib is not installed, the LBP cascade that ships with
    scikit-image (executors/qa/faces.py). The one place the extension and its QA find faces."""
    try:
        from retouch.executors.faces import detect_faces

        return [f.box for f in detect_faces(rgb, cnn=False)]
    except ModelMissingError:
        from retouch.executors.qa.faces import best_face

        face = best_face(rgb)
        return [] if face is None else [face.xyxy()]


def subject_mask(rgb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """bool (H, W): the subject of ``rgb`` (uint8 (H, W, 3)): each face's person (the face box
    grown BODY_HALF_WIDTH face widths either side of its centre, from HEAD_ROOM face heights above
    it to the bottom edge), plus ``mask`` (bool (H, W)) when given."""
    h, w = rgb.shape[:2]
    out = np.zeros((h, w), dtype=bool) if mask is None else mask.copy()
    for x0, y0, x1, y1 in find_faces(rgb):
        cx, fw, fh = (x0 + x1) / 2, x1 - x0, y1 - y0
        left, right = int(max(0, cx - BODY_HALF_WIDTH * fw)), int(min(w, cx + BODY_HALF_WIDTH * fw))
        out[int(max(0, y0 - HEAD_ROOM * fh)) :, left:right] = True
    return out


def foreign_to_edges(rgb: np.ndarray, extend: Extend) -> np.ndarray:
    """bool (H, W): pixels of each extended side's band whose colour appears nowhere along that
    edge (CIELAB distance over FOREIGN_DE to every edge pixel, at PALETTE_SIDE px): an object the
    edge does not continue (the astronaut's suit and the shuttle's tank beside her; on coffee,
    chelsea, rocket, cat and camera's sides nothing but the camera's body). Grown by 3 px within
    the bands."""
    import cv2

    h, w = rgb.shape[:2]
    s = min(1.0, PALETTE_SIDE / max(h, w))
    size = (max(1, round(w * s)), max(1, round(h * s)))
    lab = cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB)
    lab = cv2.GaussianBlur(lab.astype(np.float32), (0, 0), 1.0)
    lab[..., 0] *= 100 / 255  # OpenCV's 8-bit Lab: L in 0..255, a and b offset by 128
    lab[..., 1:] -= 128
    small = np.zeros(lab.shape[:2], dtype=bool)
    for side, (rows, cols, _) in _bands((h, w), extend).items():
        edge = {"left": lab[:, 0], "right": lab[:, -1], "top": lab[0], "bottom": lab[-1]}[side]
        r = slice(int(rows.start * s), int(np.ceil(rows.stop * s)))
        c = slice(int(cols.start * s), int(np.ceil(cols.stop * s)))
        band = lab[r, c]
        d = np.sqrt(((band[:, :, None, :] - edge[None, None, :, :]) ** 2).sum(-1)).min(-1)
        small[r, c] |= d > FOREIGN_DE
    big = cv2.resize(small.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    return (cv2.dilate(big, np.ones((7, 7), np.uint8)) > 0) & source_band((h, w), extend)


def extension_subject(
    rgb: np.ndarray, extend: Extend, mask: np.ndarray | None = None
) -> np.ndarray:
    """bool (H, W): what an extension of ``rgb`` by ``extend`` must not copy: ``subject_mask``
    (people from faces, ``mask``) and ``foreign_to_edges``. The mask ``extension_background_ok``
    takes."""
    return subject_mask(rgb, mask) | foreign_to_edges(rgb, extend)


def _bands(shape: tuple[int, int], extend: Extend) -> dict[str, tuple[slice, slice, int]]:
    """Per extended side: (rows, cols) of the source band next to it, and the edge's length."""
    h, w = shape
    out = {}
    for side in SIDES:
        strip = getattr(extend, side)
        if strip <= 0:
            continue
        depth = max(MIN_BAND, int(round(BAND * strip)))
        rows, cols = slice(0, h), slice(0, w)
        if side == "left":
            cols = slice(0, min(w, depth))
        elif side == "right":
            cols = slice(max(0, w - depth), w)
        elif side == "top":
            rows = slice(0, min(h, depth))
        else:
            rows = slice(max(0, h - depth), h)
        out[side] = (rows, cols, h if side in ("left", "right") else w)
    return out


def source_band(shape: tuple[int, int], extend: Extend) -> np.ndarray:
    """bool (H, W) over the source: the pixels within the band of any extended edge."""
    band = np.zeros(shape, dtype=bool)
    for rows, cols, _ in _bands(shape, extend).values():
        band[rows, cols] = True
    return band


def _edge(subject: np.ndarray, side: str) -> np.ndarray:
    return {
        "left": subject[:, 0],
        "right": subject[:, -1],
        "top": subject[0],
        "bottom": subject[-1],
    }[side]


def band_measures(
    rgb: np.ndarray, extend: Extend, subject: np.ndarray
) -> dict[str, tuple[float, float, float]]:
    """Per extended side: (share of the edge the subject touches, share of the band that is
    background, share of that background on strong Canny edges at 256 px)."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    scale = min(1.0, 256 / max(h, w))
    small = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))))
    edges = cv2.resize(cv2.Canny(small, 80, 160), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    out = {}
    for side, (rows, cols, _) in _bands((h, w), extend).items():
        back = ~subject[rows, cols]
        share = float(back.mean())
        structure = float(edges[rows, cols][back].mean()) if back.any() else 1.0
        out[side] = (float(_edge(subject, side).mean()), share, structure)
    return out


def extension_background_ok(
    rgb: np.ndarray, extend: Extend, subject_mask: np.ndarray
) -> tuple[bool, str]:
    """(ok, reason): whether a weight-free extension of ``rgb`` (uint8 (H, W, 3)) by ``extend``
    can continue the background. ``subject_mask``: bool (H, W), True = subject (see
    ``extension_subject()``). Not ok when on an extended side the subject touches more than
    MAX_SUBJECT_AT_EDGE of the edge, the band holds less than MIN_BACKGROUND background, or more
    than MAX_STRUCTURE of that background lies on strong edges. ``reason`` names the side and the
    numbers (or, when ok, the worst side's)."""
    worst = ""
    for side, (touch, back, structure) in band_measures(rgb, extend, subject_mask).items():
        numbers = (
            f"on the {side} edge the subject covers {touch:.0%} of the edge, the band next to it "
            f"is {back:.0%} background, {structure:.0%} of it on strong edges"
        )
        if touch > MAX_SUBJECT_AT_EDGE:
            return False, f"the subject reaches the {side} edge ({numbers}): it cannot be continued"
        if back < MIN_BACKGROUND:
            return False, f"too little background to copy from ({numbers})"
        if structure > MAX_STRUCTURE:
            return False, f"the background is too structured to continue ({numbers})"
        worst = worst or numbers
    return True, worst


def extend_from_background(
    canvas: np.ndarray,
    edit: np.ndarray,
    extend: Extend,
    *,
    seed: int,
    patch_size: int,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Fill ``edit`` (bool (H', W'), the new area) of ``canvas`` (uint8 (H', W', 3), the source at
    (extend.left, extend.top)) from the background next to the extended edges.

    ``mask``: bool over the source, a subject to keep out besides the faces' people. Returns (the
    filled canvas, the share of the source that patches could come from). PlanError, before
    anything runs, when ``extension_background_ok`` says no.
    """
    from retouch.executors.classical.exemplar import patchmatch_inpaint

    h = canvas.shape[0] - extend.top - extend.bottom
    w = canvas.shape[1] - extend.left - extend.right
    src = (slice(extend.top, extend.top + h), slice(extend.left, extend.left + w))
    source = np.ascontiguousarray(canvas[src])
    subject = extension_subject(source, extend, mask)
    ok, reason = extension_background_ok(source, extend, subject)
    if not ok:
        raise PlanError(
            f"the weight-free extension cannot continue this photo: {reason}; use "
            f"{OUTPAINT_MODELS}, or extend a side where background meets the edge"
        )
    out = canvas.copy()
    left = edit.copy()
    for side, (rows, cols, _) in _bands((h, w), extend).items():
        # 1. the side's strip, and the crop holding it and its band
        zone, crop = _zone(canvas.shape[:2], extend, side, (rows, cols))
        hole = left & zone
        if not hole.any():
            continue
        # 2. patches come from this side's band only, never from the subject or another strip
        allowed = np.zeros(edit.shape, dtype=bool)
        allowed[src][rows, cols] = ~subject[rows, cols]
        allowed &= ~edit
        filled = patchmatch_inpaint(
            out[crop], hole[crop], seed=seed, patch_size=patch_size, exclude=~allowed[crop]
        )
        out[crop] = np.where(hole[crop][..., None], filled, out[crop])
        left &= ~hole
    if left.any():  # edit pixels inside the source (a dilated mask): from any band
        allowed = np.zeros(edit.shape, dtype=bool)
        allowed[src] = source_band((h, w), extend) & ~subject
        out = patchmatch_inpaint(
            out, left, seed=seed, patch_size=patch_size, exclude=~(allowed & ~edit)
        )
    share = source_band((h, w), extend) & ~subject
    return out, float(share.mean())


def _zone(
    shape: tuple[int, int], extend: Extend, side: str, band: tuple[slice, slice]
) -> tuple[np.ndarray, tuple[slice, slice]]:
    """(bool (H', W') canvas pixels that belong to ``side``'s strip, the canvas crop holding the
    strip and its band). Left and right strips own the corners."""
    hh, ww = shape
    x0, x1 = extend.left, ww - extend.right
    y0, y1 = extend.top, hh - extend.bottom
    zone = np.zeros(shape, dtype=bool)
    rows, cols = band
    if side == "left":
        zone[:, :x0] = True
        crop = (slice(0, hh), slice(0, x0 + cols.stop))
    elif side == "right":
        zone[:, x1:] = True
        crop = (slice(0, hh), slice(x0 + cols.start, ww))
    elif side == "top":
        zone[:y0, x0:x1] = True
        crop = (slice(0, y0 + rows.stop), slice(0, ww))
    else:
        zone[y1:, x0:x1] = True
        crop = (slice(y0 + rows.start, hh), slice(0, ww))
    return zone, crop
