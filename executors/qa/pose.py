"""Pose adherence: body keypoints of a result against the OpenPose skeleton it was conditioned on.

Keypoints are the 18 OpenPose (COCO-18) body joints in pixels, an (18, 2) float array of (x, y)
with NaN for a joint that is absent. Three parts:

1. **The control's keypoints, read from its pixels.** OpenPose's renderer (controlnet_aux 0.0.10,
   ``open_pose/util.py`` ``draw_bodypose``) draws each joint as a filled radius-4 circle in one of
   18 fixed RGB colours (``BODY_COLOURS``, copied from that file) over limbs drawn at 0.6 of those
   colours; ``read_skeleton`` finds each colour (within ``COLOUR_TOL`` per channel) and takes the
   centre of its largest blob. No weights. ``draw_skeleton`` is the same renderer, for skeletons
   made from geometry (``retouch compare --example faces``) and for tests.
2. **The result's keypoints, detected** by controlnet_aux's OpenPose body estimator loaded from a
   local folder (``PoseDetector``): ``body_pose_model.pth`` from lllyasviel/Annotators. torch and
   controlnet_aux are imported only there.
3. **The scores** (``adherence``): with the face size F (``face_size``: the larger side of the box
   around the control's face joints, nose, eyes and ears), ``pck`` is the fraction of the control's
   joints whose detected joint lies within 0.1 F (a joint the detector missed counts as wrong),
   and ``mean_distance`` is the mean distance of the joints found in both, divided by F (unit: face
   sizes; multiply by F for pixels).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from retouch.planner.contract.errors import InputError, ModelMissingError

JOINTS = ("nose", "neck", "right shoulder", "right elbow", "right wrist", "left shoulder",
          "left elbow", "left wrist", "right hip", "right knee", "right ankle", "left hip",
          "left knee", "left ankle", "right eye", "left eye", "right ear", "left ear")  # fmt: skip
"""The 18 OpenPose body joints in their order (COCO-18; right/left are the subject's)."""

BODY_COLOURS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
"""RGB colour of each joint's circle, as controlnet_aux's draw_bodypose draws them."""

LIMBS = ((2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11), (2, 12),
         (12, 13), (13, 14), (2, 1), (1, 15), (15, 17), (1, 16), (16, 18))  # fmt: skip
"""Limbs as 1-based joint pairs, drawn in BODY_COLOURS[i] * 0.6 (draw_bodypose's limbSeq)."""

FACE_JOINTS = (0, 14, 15, 16, 17)
"""Nose, eyes and ears: the joints whose box gives the face size."""

COLOUR_TOL = 24
"""Per-channel tolerance when reading a joint colour (neighbouring colours differ by 85)."""

ALPHA = 0.1
"""PCK threshold as a fraction of the face size."""

BODY_WEIGHTS = "body_pose_model.pth"
POSE_HINT = (
    "give the folder holding body_pose_model.pth (from lllyasviel/Annotators: "
    "`hf download lllyasviel/Annotators body_pose_model.pth --local-dir DIR`)"
)


# 1. the control skeleton ------------------------------------------------------------------------


def draw_skeleton(size: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """An OpenPose body skeleton on black, drawn as controlnet_aux's ``draw_bodypose`` draws it.

    size: (W, H); points: (18, 2) px (x, y), NaN where absent. Returns uint8 (H, W, 3) RGB.
    """
    import cv2

    w, h = size
    canvas = np.zeros((h, w, 3), dtype=np.uint8)
    ok = ~np.isnan(points).any(axis=1)
    for (a, b), colour in zip(LIMBS, BODY_COLOURS, strict=False):
        if not (ok[a - 1] and ok[b - 1]):
            continue
        xs = np.array([points[a - 1, 1], points[b - 1, 1]])  # draw_bodypose's X is the row
        ys = np.array([points[a - 1, 0], points[b - 1, 0]])
        length = ((xs[0] - xs[1]) ** 2 + (ys[0] - ys[1]) ** 2) ** 0.5
        angle = math.degrees(math.atan2(xs[0] - xs[1], ys[0] - ys[1]))
        polygon = cv2.ellipse2Poly(
            (int(np.mean(ys)), int(np.mean(xs))), (int(length / 2), 4), int(angle), 0, 360, 1
        )
        cv2.fillConvexPoly(canvas, polygon, [int(float(c) * 0.6) for c in colour])
    for (x, y), colour, here in zip(points, BODY_COLOURS, ok, strict=True):
        if here:
            cv2.circle(canvas, (int(x), int(y)), 4, colour, thickness=-1)
    return canvas


def read_skeleton(rgb: np.ndarray) -> np.ndarray:
    """The joints of an OpenPose skeleton image, read from the joint colours.

    rgb: uint8 (H, W, 3). Returns (18, 2) px (x, y), the centre of the largest blob of each joint's
    colour, NaN where the colour is absent. A circle half covered by a later one shifts its centre
    by up to its radius (4 px at the drawn size).
    """
    import cv2

    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise InputError(f"control image is {rgb.shape}; it must be an RGB skeleton image")
    px = rgb[..., :3].astype(np.int16)
    out = np.full((len(JOINTS), 2), np.nan)
    for i, colour in enumerate(BODY_COLOURS):
        hit = (np.abs(px - np.array(colour, dtype=np.int16)) <= COLOUR_TOL).all(axis=2)
        if hit.sum() < 3:
            continue
        n, labels, st, centres = cv2.connectedComponentsWithStats(hit.astype(np.uint8), 8)
        best = 1 + int(np.argmax(st[1:, cv2.CC_STAT_AREA]))
        if st[best, cv2.CC_STAT_AREA] >= 3:
            out[i] = centres[best]
    return out


def face_size(points: np.ndarray) -> float | None:
    """The larger side of the box around the face joints present (nose, eyes, ears), px; None
    with fewer than two of them or a box of no extent."""
    face = points[list(FACE_JOINTS)]
    face = face[~np.isnan(face).any(axis=1)]
    if len(face) < 2:
        return None
    side = float((face.max(axis=0) - face.min(axis=0)).max())
    return side if side > 0 else None


# 2. the scores -----------------------------------------------------------------------------------


def pck(found: np.ndarray, control: np.ndarray, face_px: float, alpha: float = ALPHA) -> float:
    """Fraction of the control's joints whose found joint is within ``alpha * face_px`` px.

    found, control: (18, 2) px, NaN where absent; a control joint not found counts as wrong.
    """
    present = ~np.isnan(control).any(axis=1)
    if not present.any():
        raise ValueError("the control skeleton has no joints")
    d = np.linalg.norm(found[present] - control[present], axis=1)
    return float(np.mean(np.nan_to_num(d, nan=np.inf) <= alpha * face_px))


def mean_distance(found: np.ndarray, control: np.ndarray) -> float | None:
    """Mean distance in px over the joints present in both; None when none is."""
    d = np.linalg.norm(found - control, axis=1)
    d = d[~np.isnan(d)]
    return float(d.mean()) if d.size else None


@dataclass(frozen=True)
class Adherence:
    """Pose scores of one result: PCK@0.1 (0..1), mean distance in face sizes, the face size."""

    pck: float
    distance: float | None
    face_px: float
    joints: int


def adherence(people: list[np.ndarray], control: np.ndarray, face_px: float) -> Adherence | None:
    """Scores of the detected person that matches the control best (highest PCK, then least
    distance); None when no person was detected."""
    if not people:
        return None
    joints = int((~np.isnan(control).any(axis=1)).sum())

    def rank(p: np.ndarray) -> tuple[float, float]:
        d = mean_distance(p, control)
        return pck(p, control, face_px), -(d if d is not None else math.inf)

    best = max(people, key=rank)
    d = mean_distance(best, control)
    return Adherence(
        pck(best, control, face_px), None if d is None else d / face_px, face_px, joints
    )


# 3. the detector ---------------------------------------------------------------------------------


class PoseDetector:
    """controlnet_aux's OpenPose body estimator, loaded from a local folder's
    ``body_pose_model.pth`` (hand and face weights are not read: the control has body joints only).
    """

    def __init__(self, folder: Path) -> None:
        # 1. the folder and its weights, checked before the heavy imports
        folder = folder.expanduser()
        if not folder.is_dir():
            raise InputError(f"pose model folder {folder} does not exist; {POSE_HINT}")
        weights = folder / BODY_WEIGHTS
        if not weights.is_file():
            raise InputError(f"pose model folder {folder} has no {BODY_WEIGHTS}; {POSE_HINT}")
        # 2. controlnet_aux (an optional extra)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from controlnet_aux.open_pose import Body, OpenposeDetector
        except ImportError as exc:
            raise ModelMissingError(
                f"pose scoring needs controlnet_aux ({exc}); install it with "
                "`pip install 'retouch[compare]'`"
            ) from None
        # 3. the weights through controlnet_aux's own loader
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                body = Body(str(weights))
        except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file: say which
            msg = " ".join(str(exc).split())[:200]
            raise InputError(
                f"cannot load {weights} as the OpenPose body model ({type(exc).__name__}: {msg}); "
                f"{POSE_HINT}"
            ) from None
        self.folder = folder
        self._detector = OpenposeDetector(body)

    def people(self, rgb: np.ndarray) -> list[np.ndarray]:
        """Every person's body joints in ``rgb`` (uint8 (H, W, 3)), each (18, 2) px, NaN absent."""
        h, w = rgb.shape[:2]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            poses = self._detector.detect_poses(np.ascontiguousarray(rgb[..., :3]))
        out = []
        for pose in poses:
            pts = np.full((len(JOINTS), 2), np.nan)
            for i, k in enumerate(pose.body.keypoints[: len(JOINTS)]):
                if k is not None:
                    pts[i] = (k.x * w, k.y * h)
            out.append(pts)
        return out


def scale_points(points: np.ndarray, frm: tuple[int, int], to: tuple[int, int]) -> np.ndarray:
    """Points from an image of size ``frm`` (W, H) to one of size ``to``."""
    return points * np.array([to[0] / frm[0], to[1] / frm[1]])
