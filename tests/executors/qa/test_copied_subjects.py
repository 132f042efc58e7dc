"""The repetition check fails a result that copies a face into the new area (more faces than the
source, or a copy of a source face, mirrored or blurred) and passes clean fills."""

from __future__ import annotations

import numpy as np
import skimage.data
from retouch.executors.classical.fill import ClassicalExecutor, extend_canvas
from retouch.executors.qa import content, subjects
from retouch.executors.qa.measures import Frame
from retouch.planner import checklist as cl
from retouch.planner.contract.schema import Extend

E = Extend(left=200, top=0, right=200, bottom=0)


def _extended() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(astronaut, its mirror-prefilled 912 x 512 canvas, the new area)."""
    img = skimage.data.astronaut()
    canvas = extend_canvas(img, E)
    new = np.ones(canvas.shape[:2], bool)
    new[:, 200:712] = False
    return img, canvas, new


def _frame(img: np.ndarray, res: np.ndarray, new: np.ndarray) -> Frame:
    src = np.zeros_like(res)
    src[~new] = img.reshape(-1, 3)
    return Frame(
        source=src.astype(np.float32),
        result=res.astype(np.float32),
        known=~new,
        region=new,
        nan=np.zeros(new.shape, bool),
    )


def test_a_pasted_face_fails_repetition() -> None:
    img, canvas, new = _extended()
    pasted = canvas.copy()
    pasted[60:190, 40:160] = img[60:190, 160:280]  # her face in the left strip
    why = subjects.copied_subjects(_frame(img, pasted, new))
    assert why is not None and "2 faces" in why
    got = content.repetition(_frame(img, pasted, new))
    assert got is not None and got[0] > cl.repetition().threshold


def test_a_mirrored_blurred_face_fails_though_no_detector_sees_it() -> None:
    import cv2

    img, canvas, new = _extended()
    copy = canvas.copy()
    copy[200:330, 720:840] = cv2.GaussianBlur(img[60:190, 160:280][:, ::-1], (0, 0), 4)
    why = subjects.copied_subjects(_frame(img, copy, new))
    assert why is not None and "copy of the face" in why


def test_clean_fills_pass() -> None:
    import cv2

    img, canvas, new = _extended()
    telea = cv2.inpaint(canvas, new.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
    assert subjects.copied_subjects(_frame(img, telea, new)) is None
    hole = np.zeros(img.shape[:2], bool)
    hole[300:360, 420:480] = True  # the helmet's edge: a removal fill beside the face
    filled = ClassicalExecutor()(img, hole)
    frame = Frame(
        source=img.astype(np.float32),
        result=filled.astype(np.float32),
        known=np.ones(hole.shape, bool),
        region=hole,
        nan=np.zeros(hole.shape, bool),
    )
    assert subjects.copied_subjects(frame) is None
