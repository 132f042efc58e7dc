"""Pose adherence: how well a result's person follows the task's control skeleton (OpenPose).

Needs the OpenPose body weights (``body_pose_model.pth``, setting ``pose_model``) and
controlnet_aux; without either, both metrics are skipped with the reason. A run is not scored
when the task has no control skeleton, the skeleton has no face size, or no person is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from retouch.executors.evaluation.base import Loaded, Metric, Scored, Scorer, ScorerOptions, Skip
from retouch.executors.qa import pose
from retouch.planner.contract.errors import ModelMissingError

PCK = "pose-pck@0.1"
DISTANCE = "pose-distance"


@dataclass(frozen=True)
class PoseReference:
    """The control's joints (18, 2) px of the control image, NaN where absent; the control's size
    (W, H); the face size in px (None: fewer than two face joints)."""

    joints: np.ndarray
    control_size: tuple[int, int]
    face_px: float | None


class PoseScorer(Scorer):
    """PCK@0.1 and mean joint distance between the control skeleton and the result's people."""

    metrics = (
        Metric(
            PCK,
            "higher",
            "fraction of the control skeleton's body joints that the OpenPose detector finds in "
            "the result within 0.1 face sizes (face size: the larger side of the box around the "
            "control's nose, eyes and ears); a joint not found counts as wrong",
        ),
        Metric(
            DISTANCE,
            "lower",
            "mean distance between the control's joints and the result's, over the joints found "
            "in both, in face sizes (x face size = px)",
        ),
    )

    def __init__(self, detector: pose.PoseDetector) -> None:
        self.detector = detector

    @classmethod
    def load(cls, options: ScorerOptions) -> Loaded:
        if options.pose_model is None:
            weights = pose.POSE_HINT.removeprefix("give the folder holding ")
            skip = Skip(f"no OpenPose detector weights given ({weights})", "pose_model")
            return Loaded(None, {PCK: skip, DISTANCE: skip})
        try:
            return Loaded(cls(pose.PoseDetector(options.pose_model)))
        except ModelMissingError as exc:  # controlnet_aux is not installed
            return Loaded(None, {PCK: Skip(str(exc)), DISTANCE: Skip(str(exc))})

    def reference(self, source: Any, control: Any | None) -> PoseReference | None:
        if control is None:
            return None
        joints = pose.read_skeleton(np.asarray(control.convert("RGB")))
        return PoseReference(joints, control.size, pose.face_size(joints))

    def score(self, ref: PoseReference | None, source: Any, result: Any) -> Scored:
        if ref is None or not (~np.isnan(ref.joints)).all(axis=1).any():
            return Scored(note="pose not scored: the task has no control skeleton")
        if ref.face_px is None:
            return Scored(
                note="pose not scored: the control skeleton has fewer than two face joints "
                "(nose, eyes, ears), so no face size"
            )
        rgb = np.asarray(result.convert("RGB"))
        people = [
            pose.scale_points(p, result.size, ref.control_size) for p in self.detector.people(rgb)
        ]
        got = pose.adherence(people, ref.joints, ref.face_px)
        if got is None:
            return Scored(note="pose not scored: no person found in the result")
        values = {PCK: got.pck}
        if got.distance is not None:
            values[DISTANCE] = got.distance
        return Scored(values)
