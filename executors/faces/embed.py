"""Identity embeddings: dlib's ResNet (``dlib_face_recognition_resnet_model_v1``, public domain)
on the face aligned by its 5 landmarks (``dlib.get_face_chip``, 150x150, 25% padding).

Two faces of one person lie under ``SAME_PERSON`` apart (Euclidean distance of the 128-D vectors;
dlib's published threshold, 99.38% on LFW). Measured here: the astronaut and her mirror image
0.19 apart, the astronaut and Grace Hopper (matplotlib's sample photo) 0.70.
"""

from __future__ import annotations

import numpy as np
from retouch.executors.faces import models
from retouch.executors.faces.detect import Face, check_rgb
from retouch.executors.faces.landmarks import shape

SAME_PERSON = 0.6
"""dlib's threshold: embeddings closer than this are taken for one person (LFW, 99.38%)."""
CHIP_SIDE = 150
CHIP_PADDING = 0.25


def aligned_chip(rgb: np.ndarray, face: Face) -> np.ndarray:
    """The face rotated and scaled so its eyes and nose sit where the embedding expects them:
    uint8 (150, 150, 3) RGB."""
    import dlib

    img = check_rgb(rgb)
    return np.asarray(dlib.get_face_chip(img, shape(img, face, 5), CHIP_SIDE, CHIP_PADDING))


def embedding(rgb: np.ndarray, face: Face) -> np.ndarray:
    """The face's 128-D identity embedding, float64 (128,)."""
    chip = aligned_chip(rgb, face)
    return np.asarray(models.load("embedding").compute_face_descriptor(chip), dtype=np.float64)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance of two embeddings: 0 for one face, under 0.6 for one person."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity (-1..1) of two embeddings."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.dot(a, b) / (na * nb)) if na and nb else 0.0
