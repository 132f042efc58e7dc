"""Face-part regions from landmarks: bool (H, W) masks, True = the part.

Which model each part uses (``PART_MODEL``): eyes and glasses come from the 5-point predictor
(public domain); face, brows, nose, mouth and beard need the 68-point outline (iBUG 300-W: not for
commercial use). Sizes are in units of the inter-ocular distance (IOD: between the eye centres).

Glasses = both eyes, the brows and the bridge, out to the frame's extent. A frame is sized
lens-bridge-temple in mm (a common adult frame is 52-18-140) and an adult's pupillary distance is
about 63 mm: the frame front is 2 x 52 + 18 = 122 mm (1.95 IOD) wide, a lens 35-45 mm (0.55-0.7
IOD) tall, centred a little below the brow line. The region spans ``GLASSES_WIDTH`` = 2.1 IOD
across (the front plus the hinges), from ``GLASSES_ABOVE`` = 0.45 IOD above the eye line (the brows:
their middle 0.27 and their top 0.38 IOD above it on the astronaut) to ``GLASSES_BELOW`` = 0.4 IOD below it, along the eye
line's tilt.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
from retouch.executors.faces.detect import Face, check_rgb
from retouch.executors.faces.landmarks import PARTS68, eye_centres, landmarks
from retouch.planner.language.faces import FacePart

PARTS: tuple[str, ...] = get_args(FacePart)
PART_MODEL: dict[str, int] = {
    "eyes": 5,
    "glasses": 5,
    "face": 68,
    "brows": 68,
    "nose": 68,
    "mouth": 68,
    "beard": 68,
}
"""Which landmark model (5 or 68 points) each part's region is drawn from."""
GLASSES_WIDTH = 2.1
GLASSES_ABOVE = 0.45
GLASSES_BELOW = 0.4
EYE_WIDTH = 1.5  # an eye's region: its corner-to-corner length x 1.5 (lids and lashes) ...
EYE_HEIGHT = 0.8  # ... by 0.8 of that length
FOREHEAD = 0.55  # the face reaches this many IOD above the brows (hairline, roughly)
GROW = {"brows": 0.12, "nose": 0.1, "mouth": 0.1, "face": 0.05, "beard": 0.05}
"""How far each part's outline is grown, in IOD (outlines run along the part's edge)."""


def _iod(points5: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    left, right = eye_centres(points5)
    return left, right, float(np.linalg.norm(right - left))


def _fill(shape: tuple[int, int], polygons: list[np.ndarray], grow_px: float = 0) -> np.ndarray:
    """The convex hulls of ``polygons`` (float (N, 2) x, y) filled, grown by ``grow_px``."""
    import cv2

    canvas = np.zeros(shape, np.uint8)
    for poly in polygons:
        hull = cv2.convexHull(np.round(poly).astype(np.int32))
        cv2.fillConvexPoly(canvas, hull, 1)
    if grow_px >= 1:
        side = 2 * int(round(grow_px)) + 1
        canvas = cv2.dilate(canvas, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    return canvas.astype(bool)


def _band(points5: np.ndarray) -> np.ndarray:
    """The glasses region's corners, float (4, 2), along the eye line."""
    left, right, iod = _iod(points5)
    mid = (left + right) / 2
    along = (right - left) / max(iod, 1e-6)
    down = np.array([-along[1], along[0]])  # image y grows downwards
    half = GLASSES_WIDTH / 2 * iod
    top, bottom = -GLASSES_ABOVE * iod, GLASSES_BELOW * iod
    return np.array(
        [
            mid + s * half * along + d * down
            for s, d in ((-1, top), (1, top), (1, bottom), (-1, bottom))
        ]
    )


def _eyes(shape: tuple[int, int], points5: np.ndarray) -> np.ndarray:
    import cv2

    canvas = np.zeros(shape, np.uint8)
    for outer, inner in ((points5[2], points5[3]), (points5[0], points5[1])):
        length = float(np.linalg.norm(outer - inner))
        centre = (outer + inner) / 2
        angle = float(np.degrees(np.arctan2(*(inner - outer)[::-1])))
        axes = (int(round(EYE_WIDTH * length / 2)), int(round(EYE_HEIGHT * length / 2)))
        cv2.ellipse(
            canvas, (int(round(centre[0])), int(round(centre[1]))), axes, angle, 0, 360, 1, -1
        )
    return canvas.astype(bool)


def _from68(shape: tuple[int, int], part: str, p: np.ndarray, iod: float) -> np.ndarray:
    grow = GROW[part] * iod
    if part == "brows":
        return _fill(shape, [p[PARTS68["brow_right"]], p[PARTS68["brow_left"]]], grow)
    if part == "nose":
        return _fill(shape, [p[27:36]], grow)
    if part == "mouth":
        return _fill(shape, [p[PARTS68["lips_outer"]]], grow)
    brows = p[17:27]
    forehead = brows - np.array([0.0, FOREHEAD * iod])
    if part == "face":
        return _fill(shape, [np.concatenate([p[PARTS68["jaw"]], forehead])], grow)
    # beard: the lower face below the nose, less the lips
    lower = _fill(shape, [np.concatenate([p[2:15], p[31:36]])], grow)
    return lower & ~_fill(shape, [p[PARTS68["lips_outer"]]], GROW["mouth"] * iod)


def part_mask(rgb: np.ndarray, face: Face, part: str) -> np.ndarray:
    """The region of ``part`` (one of ``PARTS``) of ``face`` in ``rgb`` (uint8 (H, W, 3)):
    bool (H, W), True = the part."""
    if part not in PARTS:
        raise ValueError(f"face part {part!r} is unknown; use one of {', '.join(PARTS)}")
    img = check_rgb(rgb)
    shape = img.shape[:2]
    points5 = landmarks(img, face, 5)
    if part == "glasses":
        return _fill(shape, [_band(points5)])
    if part == "eyes":
        return _eyes(shape, points5)
    return _from68(shape, part, landmarks(img, face, 68), _iod(points5)[2])
