"""Face boxes: dlib's HOG frontal detector (default) or its MMOD CNN (on request, or by default
when dlib was built with CUDA).

Scores are the detector's own: the HOG detector's SVM margin, the CNN's confidence. A HOG window
scoring under ``MIN_HOG_SCORE`` is dropped: measured on scikit-image's photos, the astronaut's
face scores 1.16-1.53 while the stray windows on her suit and on the rocket's scaffold score
-0.45..0.12 (coffee, chelsea the cat: no window at all).
"""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from retouch.executors.faces import models
from retouch.executors.segment.lru import Lru
from retouch.planner.contract.errors import InputError

MIN_HOG_SCORE = 0.3
"""HOG windows scoring less are not faces (see the module docstring for the measurement)."""
UPSAMPLE_MAX_PIXELS = 1_500_000
"""Images up to this many pixels are searched once upsampled x2 (faces down to ~40 px; HOG on a
512 px image: 90 ms instead of 20 ms); larger ones at their own size (faces from ~80 px)."""


class Face(BaseModel):
    """One detected face: its box in the image and the detector's score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    box: tuple[int, int, int, int] = Field(
        description="XYXY px, exclusive end, clipped to the image"
    )
    score: float = Field(description="the detector's score (HOG: SVM margin; CNN: confidence)")
    detector: Literal["hog", "cnn"] = Field(description="which detector found it")

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def center(self) -> tuple[float, float]:
        """The box's centre, (x, y) px."""
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


_FOUND: Lru[tuple[Face, ...]] = Lru(16)
"""Faces per image content and detector settings: planning, the envelope, run_plan and QA all ask
about the same photo, and HOG costs ~0.1-0.3 s on a 512 px image on CPU while the key (a SHA-256 of
the pixels) costs ~0.4 ms."""


def check_rgb(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` as a C-contiguous uint8 (H, W, 3) array; InputError for anything else."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        kind = getattr(rgb, "dtype", type(rgb).__name__)
        raise InputError(f"face detection needs a uint8 RGB array, got {kind}; convert the image")
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise InputError(
            f"face detection needs an (H, W, 3) RGB array, got shape {rgb.shape}; "
            "convert the image to RGB"
        )
    return np.ascontiguousarray(rgb[..., :3])


def _clip(rect: object, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0 = max(0, rect.left()), max(0, rect.top())  # type: ignore[attr-defined]
    x1, y1 = min(w, rect.right() + 1), min(h, rect.bottom() + 1)  # type: ignore[attr-defined]
    return int(x0), int(y0), int(x1), int(y1)


def detect_faces(
    rgb: np.ndarray, *, cnn: bool | None = None, upsample: int | None = None
) -> list[Face]:
    """Every face in ``rgb`` (uint8 (H, W, 3) RGB), largest first.

    ``cnn``: True runs the MMOD CNN (any pose, ~6 s per 512 px image on CPU), False the HOG
    detector (frontal faces, ~0.1 s); None picks the CNN only when dlib has CUDA. ``upsample``:
    how many times the image is doubled before the search (None: once for images up to
    ``UPSAMPLE_MAX_PIXELS``). ModelMissingError (naming ``pip install 'retouch[faces]'``) when
    dlib or the models are absent.
    """
    # 1. check inputs, pick the detector
    img = check_rgb(rgb)
    h, w = img.shape[:2]
    use_cnn = models.gpu() if cnn is None else cnn
    times = upsample if upsample is not None else int(h * w <= UPSAMPLE_MAX_PIXELS)
    if times < 0:
        raise InputError(f"upsample is {times}; it must be 0 or more")
    # 2. run it, once per image content and settings
    key = (hashlib.sha256(img).digest(), img.shape, use_cnn, times)  # img: C-contiguous
    return list(_FOUND.get(key, lambda: tuple(_detect(img, use_cnn, times))))


def _detect(img: np.ndarray, use_cnn: bool, times: int) -> list[Face]:
    """The detector's faces in ``img`` (checked uint8 RGB), largest first."""
    h, w = img.shape[:2]
    if use_cnn:
        found = models.load("cnn")(img, times)
        faces = [
            Face(box=_clip(d.rect, w, h), score=float(d.confidence), detector="cnn") for d in found
        ]
    else:
        rects, scores, _ = models.load("hog").run(img, times, 0.0)
        faces = [
            Face(box=_clip(r, w, h), score=float(s), detector="hog")
            for r, s in zip(rects, scores, strict=True)
            if s >= MIN_HOG_SCORE
        ]
    # 3. drop empty boxes (a face wholly outside after clipping), largest first
    faces = [f for f in faces if f.width > 0 and f.height > 0]
    return sorted(faces, key=lambda f: f.width * f.height, reverse=True)
