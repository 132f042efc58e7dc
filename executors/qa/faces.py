"""Face boxes for QA and compare: dlib's HOG face detector (``retouch.executors.faces``) when the
faces extra is installed, else the frontal-face cascade that ships inside scikit-image.

The cascade path: OpenCV 5 no longer ships its Haar cascades, so the boxes come from the LBP
frontal-face cascade scikit-image ships (``skimage.data.lbp_frontal_face_cascade_filename()``,
OpenCV's own ``lbpcascade_frontalface``) run by ``skimage.feature.Cascade``. It finds frontal
faces of 24 px and more and also fires on face-like texture, so ``best_face`` takes the face most
windows agree on. dlib's detector scores each face once and does not fire on scikit-image's
photos without people (tests/executors/faces); ``best_face`` then takes its largest face.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_FACE_PX = 24
"""Smallest face side the cascade looks for, px (its training window)."""

_CASCADE: list[Any] = []
_LOCK = threading.Lock()


@dataclass(frozen=True)
class FaceBox:
    """A square face box: left, top, side, px (XYWH with w == h)."""

    x: int
    y: int
    side: int

    def xyxy(self) -> tuple[int, int, int, int]:
        """The box as XYXY, exclusive end."""
        return self.x, self.y, self.x + self.side, self.y + self.side

    def grown(self, factor: float, size: tuple[int, int]) -> FaceBox:
        """The box grown by ``factor`` of its side on every side, kept square and in ``size``
        (W, H) as far as the image allows."""
        pad = int(round(self.side * factor))
        side = min(self.side + 2 * pad, *size)
        x = min(max(0, self.x - pad), size[0] - side)
        y = min(max(0, self.y - pad), size[1] - side)
        return FaceBox(x, y, side)


def _cascade() -> Any:
    with _LOCK:
        if not _CASCADE:
            import skimage.data
            from skimage.feature import Cascade

            _CASCADE.append(Cascade(skimage.data.lbp_frontal_face_cascade_filename()))
        return _CASCADE[0]


def _dlib_boxes(img: np.ndarray, min_side: int) -> list[FaceBox] | None:
    """dlib's faces as square boxes (the side the box's longer side, same centre, kept in the
    image), largest first; None without the faces extra."""
    from retouch.executors.faces import detect_faces, faces_available

    if not faces_available():
        return None
    h, w = img.shape[:2]
    boxes = []
    for face in detect_faces(np.ascontiguousarray(img[..., :3])):
        side = min(max(face.width, face.height), w, h)
        cx, cy = face.center
        x = int(round(min(max(0, cx - side / 2), w - side)))
        y = int(round(min(max(0, cy - side / 2), h - side)))
        if side >= min_side:
            boxes.append(FaceBox(x, y, side))
    return boxes


def face_boxes(rgb: np.ndarray, min_side: int = MIN_FACE_PX) -> list[FaceBox]:
    """Faces in ``rgb`` (uint8 (H, W, 3) or (H, W)) of sides from ``min_side`` up, largest first:
    dlib's (one box per face) with the faces extra, else every window the cascade takes for a
    frontal face (one face usually gives several overlapping windows; ``best_face`` merges them)."""
    if rgb.ndim not in (2, 3) or min(rgb.shape[:2]) < max(min_side, MIN_FACE_PX):
        return []
    img = rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2)
    found = _dlib_boxes(img, min_side)
    if found is not None:
        return found
    cap = min(img.shape[:2])
    found = _cascade().detect_multi_scale(
        img=np.ascontiguousarray(img[..., :3]),
        scale_factor=1.2,
        step_ratio=1,
        min_size=(max(min_side, MIN_FACE_PX),) * 2,
        max_size=(cap, cap),
    )
    boxes = [FaceBox(int(d["c"]), int(d["r"]), int(d["width"])) for d in found]
    return sorted(boxes, key=lambda b: b.side, reverse=True)


def _overlap(a: FaceBox, b: FaceBox) -> float:
    """Intersection over union of two boxes."""
    ax0, ay0, ax1, ay1 = a.xyxy()
    bx0, by0, bx1, by1 = b.xyxy()
    inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
    return inter / (a.side**2 + b.side**2 - inter)


def best_face(rgb: np.ndarray, min_side: int = MIN_FACE_PX) -> FaceBox | None:
    """The main face, None when none is found. With dlib: its largest face. With the cascade:
    the face the most windows agree on (windows overlapping by IoU > 0.3 are one face; a tie goes
    to the larger face), as the mean of its windows: a stray window on face-like texture loses to
    a real face's cluster."""
    from retouch.executors.faces import faces_available

    boxes = face_boxes(rgb, min_side)
    if not boxes or faces_available():
        return boxes[0] if boxes else None  # dlib: one box per face, the largest first
    groups = [[b for b in boxes if _overlap(a, b) > 0.3] for a in boxes]
    group = max(groups, key=lambda g: (len(g), max(b.side for b in g)))
    x, y, side = (
        int(round(float(np.mean([getattr(b, k) for b in group])))) for k in ("x", "y", "side")
    )
    return FaceBox(x, y, side)
