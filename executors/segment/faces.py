"""Face and face-part masks from words, without SAM 3: the face models (``retouch.executors.faces``)
find every face, the words' part (planner/language/faces.py) is drawn from each face's landmarks, and
the words' pick chooses among the faces as it chooses among SAM 3's instances (instances.py).

    face_mask(rgb, part, pick) -> MaskResult   method "face"; instances = the faces found
"""

from __future__ import annotations

import numpy as np
from retouch.executors.segment import instances
from retouch.executors.segment.prompts import Instance, MaskResult
from retouch.planner.contract.errors import ExecutorError
from retouch.planner.contract.hints import hint


def face_instances(rgb: np.ndarray, part: str) -> list[Instance]:
    """Every face in ``rgb`` (uint8 (H, W, 3)) as an instance whose mask is its ``part``, numbered
    from 1 largest first; its score is the detector's."""
    from retouch.executors.faces import detect_faces
    from retouch.executors.faces.regions import part_mask

    found = []
    for n, face in enumerate(detect_faces(rgb), start=1):
        mask = part_mask(rgb, face, part)
        found.append(
            Instance(
                id=n,
                box=tuple(float(v) for v in face.box),  # type: ignore[arg-type]
                score=face.score,
                area=float(mask.mean()),
                mask=mask,
            )
        )
    return found


def face_mask(
    rgb: np.ndarray, part: str, pick: str | None = None, instance: int | str | None = None
) -> MaskResult:
    """The ``part`` of the face(s) ``instance`` (an id, 1 = the largest, or "all") or else
    ``pick`` chooses (None: the largest face).

    Raises ExecutorError when no face is found, InputError for a pick or an instance asking for
    more faces than were found, ModelMissingError (naming ``pip install 'retouch[faces]'``)
    without the models.
    """
    from retouch.executors.faces.regions import PART_MODEL

    found = face_instances(rgb, part)
    if not found:
        raise ExecutorError(
            "no face was found on this image (dlib's frontal-face detector); for a face in "
            "profile or a small face, mark it with clicks or a box, or draw the mask",
            [hint("points"), hint("box"), hint("mask")],
        )
    size = (rgb.shape[1], rgb.shape[0])
    if instance is not None:
        ids, how = instances.select(found, instance), f"instance {instance}"
    else:
        ids = instances.choose(found, pick or "largest", size)
        how = f"'{pick}'" if pick else "the largest"
    chosen = [i for i in found if i.id in ids]
    points = PART_MODEL[part]
    licence = "" if points == 5 else " (68-point model: iBUG 300-W, not for commercial use)"
    return MaskResult(
        mask=instances.union(found, ids),
        score=min(i.score for i in chosen),
        method="face",
        sam_type=None,
        candidates=[i.mask for i in found],
        scores=[i.score for i in found],
        note=f"face models found {len(found)} face(s); the mask is the {part} of "
        f"#{', #'.join(str(i) for i in ids)} ({how}) from {points} landmarks{licence}",
        instances=found,
        chosen=ids,
    )
