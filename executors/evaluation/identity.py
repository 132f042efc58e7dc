"""Identity preservation: the source's face against the result's, both cut from the source's face
box (found by the frontal-face cascade, ``executors.qa.faces``).

With an SFace ONNX model (setting ``face_model``): the cosine of the two embeddings. Without one
and without dlib's face models (identity_dlib.py measures identity then): a texture proxy (LBP
histogram intersection) reported under its own name, never as identity.
A run is not scored when the source shows no face or the result's size differs from the source's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from retouch.executors.evaluation.base import Loaded, Metric, Scored, Scorer, ScorerOptions, Skip
from retouch.executors.qa import identity
from retouch.executors.qa.faces import FaceBox, best_face

IDENTITY = "identity-cosine"
PROXY = "identity-proxy-lbph"


@dataclass(frozen=True)
class FaceReference:
    """The source's face box and its crop (HWC uint8 RGB), cut once per task."""

    box: FaceBox
    crop: np.ndarray


def _dlib_installed() -> bool:
    from retouch.executors.faces import faces_available

    return faces_available()


class IdentityScorer(Scorer):
    """SFace cosine when a face model is given, else the LBPH proxy (named as such)."""

    metrics = (
        Metric(
            IDENTITY,
            "higher",
            "cosine similarity of SFace embeddings of the source's and the result's face, both "
            "cut from the source's face box",
        ),
        Metric(
            PROXY,
            "higher",
            "a proxy, not identity: LBP histogram intersection (0..1) of the source's and the "
            "result's face crops, both cut from the source's face box",
        ),
    )

    def __init__(self, embedder: identity.FaceEmbedder | None) -> None:
        self.embedder = embedder

    @classmethod
    def load(cls, options: ScorerOptions) -> Loaded:
        if options.face_model is None and _dlib_installed():
            why = (
                "no face-embedding model given (the SFace ONNX file, "
                "face_recognition_sface_2021dec.onnx); identity-dlib measures identity instead"
            )
            return Loaded(None, {IDENTITY: Skip(why, "face_model")})
        if options.face_model is None:
            why = (
                "no face-embedding model given (the SFace ONNX file, "
                f"face_recognition_sface_2021dec.onnx); {PROXY} is reported instead, a texture "
                "proxy, not identity"
            )
            return Loaded(cls(None), {IDENTITY: Skip(why, "face_model")})
        return Loaded(cls(identity.FaceEmbedder(options.face_model)))

    def reference(self, source: Any, control: Any | None) -> FaceReference | None:
        rgb = np.asarray(source.convert("RGB"))
        box = best_face(rgb)
        return None if box is None else FaceReference(box, identity.crop(rgb, box))

    def score(self, ref: FaceReference | None, source: Any, result: Any) -> Scored:
        if ref is None:
            return Scored(note="identity not scored: no face found in the source")
        if result.size != source.size:
            return Scored(
                note=f"identity not scored: the result is {result.size[0]}x{result.size[1]}, "
                f"the source {source.size[0]}x{source.size[1]}"
            )
        theirs = identity.crop(np.asarray(result.convert("RGB")), ref.box)
        if self.embedder is not None:
            return Scored({IDENTITY: self.embedder.cosine(ref.crop, theirs)})
        return Scored({PROXY: identity.lbph_similarity(ref.crop, theirs)})
