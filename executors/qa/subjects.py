"""Copied subjects: does a fill or an extension put a face of the source into the new area?

Part of the repetition check (executors/qa/content.py ``repetition`` fails outright on it): a
result with more faces in the new area than the source has there, or a source face matched in
the new area as it is or mirrored, sharp or blurred. Faces come from executors.faces (dlib), or
from the scikit-image cascade (executors/qa/faces.py) where dlib is not installed.
"""

from __future__ import annotations

import numpy as np
from retouch.executors.qa.measures import Frame, grey

# a source face matched this well in the new area is a copy; tests/bench/bench_fill.py: clean
# fills and extensions score <= 0.77 (a Telea strip beside the astronaut 0.64), planted copies
# (pasted, mirrored and blurred, the photo shifted in) >= 0.99
FACE_COPY_NCC = 0.85
FACE_IN_REGION = 0.3  # a face is in the new area when this share of its box is regenerated


def _faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes (XYXY) in ``rgb``: dlib's HOG detector (executors.faces), or the scikit-image
    cascade (executors/qa/faces.py) where dlib is not installed."""
    from retouch.planner.contract.errors import ModelMissingError

    try:
        from retouch.executors.faces import detect_faces

        return [f.box for f in detect_faces(rgb, cnn=False)]
    except ModelMissingError:
        from retouch.executors.qa.faces import best_face

        face = best_face(rgb)
        return [] if face is None else [face.xyxy()]


def _face_copy(frame: Frame, box: tuple[int, int, int, int]) -> float:
    """Best normalised cross-correlation of the source face ``box`` (as is and mirrored) with the
    result's new area, both at 48 px face side and blurred by 3 px (a blurred copy still matches)."""
    import cv2

    x0, y0, x1, y1 = box
    scale = 48 / max(1, x1 - x0)
    size = (
        max(1, round(frame.region.shape[1] * scale)),
        max(1, round(frame.region.shape[0] * scale)),
    )
    src = cv2.resize(grey(frame.source), size, interpolation=cv2.INTER_AREA)
    res = cv2.resize(grey(frame.result), size, interpolation=cv2.INTER_AREA)
    region = cv2.resize(frame.region.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    src, res = cv2.GaussianBlur(src, (0, 0), 3), cv2.GaussianBlur(res, (0, 0), 3)
    fx0, fy0 = round(x0 * scale), round(y0 * scale)
    face = np.ascontiguousarray(src[fy0 : fy0 + 48, fx0 : fx0 + 48])
    if face.shape != (48, 48) or face.std() < 1 or min(res.shape) < 48:
        return 0.0
    # only windows that lie mostly in the new area count
    share = cv2.boxFilter(region.astype(np.float32), -1, (48, 48), anchor=(0, 0))
    share = share[: res.shape[0] - 47, : res.shape[1] - 47]
    best = 0.0
    for flip in (face, face[:, ::-1]):
        ncc = cv2.matchTemplate(res, np.ascontiguousarray(flip), cv2.TM_CCOEFF_NORMED)
        ncc = np.where(share > 0.5, ncc, -1.0)
        best = max(best, float(ncc.max()))
    return best


def copied_subjects(frame: Frame) -> str | None:
    """Why the result copies a subject into the new area, or None when it does not.

    1. faces: the result has more faces (executors.faces) than the source, counting only faces
       whose box lies FACE_IN_REGION or more in the regenerated area (a fill may not add one);
    2. copies: a source face matches the new area (NCC >= FACE_COPY_NCC, as is or mirrored,
       both blurred so a blurred copy still matches) at 48 px face side.
    """
    if not frame.region.any() or frame.region.all():
        return None
    src = np.clip(frame.source, 0, 255).astype(np.uint8)
    res = np.clip(frame.result, 0, 255).astype(np.uint8)
    before = _faces(src)

    def inside(b: tuple[int, int, int, int]) -> bool:
        return float(frame.region[b[1] : b[3], b[0] : b[2]].mean()) >= FACE_IN_REGION

    after = _faces(res)
    new_before = sum(inside(b) for b in before)
    new_after = sum(inside(b) for b in after)
    if len(after) > len(before) and new_after > new_before:
        return (
            f"the result has {len(after)} faces, the source {len(before)}: the new area "
            f"holds {new_after - new_before} more"
        )
    for b in before:
        if inside(b):
            continue
        ncc = _face_copy(frame, b)
        if ncc >= FACE_COPY_NCC:
            return f"the new area holds a copy of the face at {b} (match {ncc:.2f})"
    return None
