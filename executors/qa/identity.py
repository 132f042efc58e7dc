"""Identity preservation: does the result's face belong to the same person as the source's?

Both faces are cut from the same box (the source's face box, ``retouch.executors.qa.faces``): the edit
keeps the frame, so the face the model made sits where the old one was.

- ``identity-cosine`` (the real metric): cosine similarity (-1..1) of SFace embeddings
  (``cv2.FaceRecognizerSF``, the ONNX file ``face_recognition_sface_2021dec.onnx`` from the OpenCV
  model zoo, loaded from a local path). SFace expects an aligned 112x112 face; the crop of the
  square face box resized to 112x112 stands in for the five-landmark alignment, which needs a
  second model (YuNet).
- ``identity-proxy-lbph`` (a proxy, reported under its own name when SFace is not given): local
  binary pattern histograms, as OpenCV's LBPH face recogniser computes them (8 neighbours, radius
  1, 8x8 cells) with the 59 non-rotation-invariant uniform patterns, of the two crops in grey at
  96x96, compared by histogram intersection averaged over the cells: 1 for identical crops, lower
  the more the texture differs. It measures similarity of face texture, not identity.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from retouch.executors.qa.faces import FaceBox
from retouch.planner.contract.errors import InputError

SFACE_SIDE = 112
LBPH_SIDE = 96
LBPH_GRID = 8
LBPH_BINS = 59  # P * (P - 1) + 3 for P = 8: the 58 uniform patterns and one for the rest
FACE_HINT = (
    "give the SFace ONNX file (face_recognition_sface_2021dec.onnx from the OpenCV model zoo, "
    "opencv/opencv_zoo models/face_recognition_sface)"
)


def crop(rgb: np.ndarray, box: FaceBox) -> np.ndarray:
    """The face box's pixels, uint8 (side, side, 3) RGB; the box must lie inside the image."""
    x0, y0, x1, y1 = box.xyxy()
    h, w = rgb.shape[:2]
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        raise ValueError(f"face box {box.xyxy()} is outside the {w}x{h} image")
    return np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])


class FaceEmbedder:
    """SFace (``cv2.FaceRecognizerSF``) loaded from a local ONNX file."""

    def __init__(self, path: Path) -> None:
        import cv2

        path = path.expanduser()
        if not path.is_file():
            raise InputError(f"face model file {path} does not exist; {FACE_HINT}")
        try:
            self._model = cv2.FaceRecognizerSF.create(str(path), "")
            self._model.feature(np.zeros((SFACE_SIDE, SFACE_SIDE, 3), dtype=np.uint8))
        except cv2.error as exc:
            msg = " ".join(str(exc).split())[-160:]
            raise InputError(
                f"cannot load {path} as a face-embedding model ({msg}); {FACE_HINT}"
            ) from None
        self.path = path

    def embedding(self, face: np.ndarray) -> np.ndarray:
        """The unit-length embedding of a face crop, uint8 (h, w, 3) RGB, as float32 (D,)."""
        import cv2

        img = cv2.resize(face[..., ::-1], (SFACE_SIDE, SFACE_SIDE), interpolation=cv2.INTER_AREA)
        vec = np.asarray(self._model.feature(np.ascontiguousarray(img)), np.float32).ravel()
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec

    def cosine(self, a: np.ndarray, b: np.ndarray) -> float:
        """Cosine similarity (-1..1) of two face crops' embeddings."""
        return float(np.dot(self.embedding(a), self.embedding(b)))


def lbph_histograms(face: np.ndarray) -> np.ndarray:
    """Per-cell LBP histograms of a face crop (uint8 (h, w, 3) RGB or (h, w) grey): float
    (LBPH_GRID * LBPH_GRID, LBPH_BINS), each row summing to 1."""
    import cv2
    from skimage.feature import local_binary_pattern

    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY) if face.ndim == 3 else face
    grey = cv2.resize(grey, (LBPH_SIDE, LBPH_SIDE), interpolation=cv2.INTER_AREA)
    codes = local_binary_pattern(grey, P=8, R=1, method="nri_uniform").astype(np.int64)
    cell = LBPH_SIDE // LBPH_GRID
    cells = codes.reshape(LBPH_GRID, cell, LBPH_GRID, cell).transpose(0, 2, 1, 3)
    cells = cells.reshape(LBPH_GRID * LBPH_GRID, cell * cell)
    hist = np.stack([np.bincount(c, minlength=LBPH_BINS) for c in cells]).astype(np.float64)
    return hist / hist.sum(axis=1, keepdims=True)


def lbph_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Histogram intersection of two face crops' LBP histograms, averaged over the cells: 0..1."""
    return float(np.minimum(lbph_histograms(a), lbph_histograms(b)).sum(axis=1).mean())


# ------------------------------------------------------------------ identity on dlib's face models


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


_FACES: dict[str, list] = {}  # image key -> dlib's faces: QA asks twice per source (touch, measure)
_FACES_LOCK = threading.Lock()


def source_faces(rgb: np.ndarray) -> list:
    """dlib's faces in ``rgb`` (uint8 (H, W, 3)), largest first; the last few images' answers are
    kept, so a check that asks twice detects once."""
    import hashlib

    from retouch.executors.faces import detect_faces

    key = hashlib.blake2b(rgb.tobytes(), digest_size=16).hexdigest() + str(rgb.shape)
    with _FACES_LOCK:
        if key in _FACES:
            return _FACES[key]
    faces = detect_faces(rgb)
    with _FACES_LOCK:
        while len(_FACES) >= 4:
            _FACES.pop(next(iter(_FACES)))
        _FACES[key] = faces
    return faces


def removes_a_person(plan: Any) -> bool:
    """Whether the edit takes a person away, face and all: a cut-out (the subject goes on its own
    layer) or a removal whose object is a person ("remove the man", "remove her"); not a removal
    of something on a face ("remove her freckles", whose box may cover the whole face)."""
    from retouch.executors.images.layers import is_cutout
    from retouch.planner.language.faces import PERSON_WORDS

    if plan.intent != "remove":
        return False
    removed = plan.sequence[0].object if plan.sequence else None  # as the plan read it
    return is_cutout(plan) or (bool(removed) and removed.split()[-1] in PERSON_WORDS)


REMOVED_COVER = 0.9  # a removal whose region covers this share of a face's box removes the face


def touches_face(rgb: np.ndarray, region: np.ndarray, removal: bool = False) -> bool:
    """Whether ``region`` (bool (H, W)) overlaps a face's box in ``rgb`` that should stay that
    person's; False without the face models (the identity check then cannot run anyway). With
    ``removal`` (the edit removes a person: ``removes_a_person``) a face the region
    covers whole (``REMOVED_COVER`` of its box) goes with them: not a face to keep. A region over
    part of a face still touches it."""
    from retouch.executors.faces import faces_available

    if not faces_available():
        return False
    for face in source_faces(rgb):
        inside = region[face.box[1] : face.box[3], face.box[0] : face.box[2]]
        if inside.any() and not (removal and inside.mean() >= REMOVED_COVER):
            return True
    return False


def face_distances(
    source: np.ndarray, result: np.ndarray, region: np.ndarray | None = None
) -> list[tuple[tuple[int, int, int, int], float, bool]] | str:
    """Per source face the edit touches: (its box XYXY, the embedding distance to the result's
    face at the same place, whether the result's detector found that face again), largest face
    first; or a sentence saying why nothing was measured (no models, no face, no face touched).

    source, result: uint8 (H, W, 3) RGB of one size; region: bool (H, W), True = regenerated
    (None: the whole image). Without a face at the same place in the result (IoU > 0.3) the result
    is read inside the source's box.
    """
    from retouch.executors.faces import FACES_INSTALL, detect_faces, faces_available
    from retouch.executors.faces.embed import distance, embedding

    if not faces_available():
        return f"needs the face models, not installed: {FACES_INSTALL}"
    faces = source_faces(source)
    if region is not None:
        faces = [f for f in faces if region[f.box[1] : f.box[3], f.box[0] : f.box[2]].any()]
    if not faces:
        return "no face in the source" + ("" if region is None else " inside the edit region")
    found = detect_faces(result)
    out = []
    for face in faces:
        match = max(found, key=lambda g: iou(face.box, g.box), default=None)
        again = match is not None and iou(face.box, match.box) > 0.3
        there = match if again else face
        out.append((face.box, distance(embedding(source, face), embedding(result, there)), again))
    return out
