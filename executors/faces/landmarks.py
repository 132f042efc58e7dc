"""Face landmarks: dlib's 5-point predictor (public domain) and its 68-point one (iBUG 300-W:
not for commercial use; only face-part outlines need it).

Points are float32 (N, 2) arrays of (x, y) px in the image. The 5 points, in dlib's order: the
outer (0) and inner (1) corner of the eye on the image's right, the outer (2) and inner (3) corner
of the eye on the image's left, the base of the nose (4) (measured on the astronaut). The 68 points follow iBUG 300-W: jaw 0-16, brows 17-26, nose 27-35,
eyes 36-47, lips 48-67 (``PARTS68``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from retouch.executors.faces import models
from retouch.executors.faces.detect import Face, check_rgb

PARTS68: dict[str, range] = {
    "jaw": range(0, 17),
    "brow_right": range(17, 22),  # the subject's right: the image's left
    "brow_left": range(22, 27),
    "nose_bridge": range(27, 31),
    "nose_base": range(31, 36),
    "eye_right": range(36, 42),
    "eye_left": range(42, 48),
    "lips_outer": range(48, 60),
    "lips_inner": range(60, 68),
}
"""Index ranges of the 68-point layout (iBUG 300-W), by part."""


def _rect(face: Face) -> Any:
    import dlib

    x0, y0, x1, y1 = face.box
    return dlib.rectangle(x0, y0, x1 - 1, y1 - 1)


def shape(rgb: np.ndarray, face: Face, points: Literal[5, 68] = 5) -> Any:
    """dlib's full_object_detection for ``face`` (what ``get_face_chip`` takes)."""
    if points not in (5, 68):
        raise ValueError(f"points is {points}; dlib's predictors give 5 or 68")
    predictor = models.load("landmarks5" if points == 5 else "landmarks68")
    return predictor(check_rgb(rgb), _rect(face))


def landmarks(rgb: np.ndarray, face: Face, points: Literal[5, 68] = 5) -> np.ndarray:
    """The face's landmarks in ``rgb`` (uint8 (H, W, 3)): float32 (points, 2), (x, y) px."""
    found = shape(rgb, face, points)
    return np.array([(p.x, p.y) for p in found.parts()], dtype=np.float32)


def eye_centres(points5: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centres of the image-left and the image-right eye, (x, y) px, from the 5 points."""
    return (points5[2] + points5[3]) / 2, (points5[0] + points5[1]) / 2
