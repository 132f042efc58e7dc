"""Identity on dlib's face models (the faces extra): the source's face against the result's face at
the same place, both aligned by their 5 landmarks and embedded by dlib's ResNet (128-D).

``identity-dlib`` is the Euclidean distance of the two embeddings (lower is better: 0 the same
face, under 0.6 the same person by dlib's LFW threshold; measured here, the astronaut and her
mirror image 0.19, the astronaut and Grace Hopper 0.70); ``identity-dlib-cosine`` their cosine
similarity. The source's face is its largest; the result's is the face dlib finds there again
(IoU > 0.3), else the result is read inside the source's box. With the models installed these
replace the LBP texture proxy (identity.py reports the proxy only without them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from retouch.executors.evaluation.base import Loaded, Metric, Scored, Scorer, ScorerOptions, Skip

DLIB = "identity-dlib"
DLIB_COSINE = "identity-dlib-cosine"


@dataclass(frozen=True)
class DlibReference:
    """The source's largest face (``retouch.executors.faces.Face``) and its embedding."""

    face: Any
    embedding: np.ndarray


class DlibIdentityScorer(Scorer):
    """Distance and cosine of dlib's aligned face embeddings, source face vs result face."""

    metrics = (
        Metric(
            DLIB,
            "lower",
            "Euclidean distance of dlib's 128-D embeddings of the source's face and the result's "
            "face at the same place, each aligned by its 5 landmarks (0 = the same face; under "
            "0.6 = the same person by dlib's LFW threshold)",
        ),
        Metric(
            DLIB_COSINE,
            "higher",
            "cosine similarity of the same two dlib face embeddings (1 = the same direction)",
        ),
    )

    @classmethod
    def load(cls, options: ScorerOptions) -> Loaded:
        from retouch.executors.faces import FACES_INSTALL, faces_available

        if faces_available():
            return Loaded(cls())
        why = f"needs dlib's face models, not installed: {FACES_INSTALL}"
        return Loaded(None, {DLIB: Skip(why), DLIB_COSINE: Skip(why)})

    def reference(self, source: Any, control: Any | None) -> DlibReference | None:
        from retouch.executors.faces import detect_faces
        from retouch.executors.faces.embed import embedding

        rgb = np.asarray(source.convert("RGB"))
        faces = detect_faces(rgb)
        return DlibReference(faces[0], embedding(rgb, faces[0])) if faces else None

    def score(self, ref: DlibReference | None, source: Any, result: Any) -> Scored:
        from retouch.executors.faces import detect_faces
        from retouch.executors.faces.embed import cosine, distance, embedding
        from retouch.executors.qa.identity import iou

        if ref is None:
            return Scored(note=f"{DLIB} not scored: dlib found no face in the source")
        if result.size != source.size:
            return Scored(
                note=f"{DLIB} not scored: the result is {result.size[0]}x{result.size[1]}, "
                f"the source {source.size[0]}x{source.size[1]}"
            )
        rgb = np.asarray(result.convert("RGB"))
        found = [f for f in detect_faces(rgb) if iou(f.box, ref.face.box) > 0.3]
        theirs = embedding(
            rgb, max(found, key=lambda f: iou(f.box, ref.face.box), default=ref.face)
        )
        return Scored(
            {DLIB: distance(ref.embedding, theirs), DLIB_COSINE: cosine(ref.embedding, theirs)}
        )
