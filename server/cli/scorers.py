"""The pose and identity scorers of ``retouch compare``: set up once, then scored per run.

``prepare`` loads what is given (``--pose-model DIR`` / ``RETOUCH_POSE_MODEL``, ``--face-model
FILE`` / ``RETOUCH_FACE_MODEL``): a path that is wrong is an InputError (exit 2) before anything
runs; what is not given, or a missing optional package, makes the metric *skipped*, with the
reason in report.md and no value in scores.csv. Without SFace, identity is measured by the proxy
``identity-proxy-lbph`` under that name. ``Scorers.score`` measures one run; a run it cannot
measure (no control skeleton, no face in the source, no person detected in the result) gets a note
instead of a value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from retouch.executors.qa import identity, pose
from retouch.executors.qa.faces import FaceBox, best_face
from retouch.planner.errors import ModelMissingError
from retouch.server.cli.scores import Direction

POSE_ENV = "RETOUCH_POSE_MODEL"
FACE_ENV = "RETOUCH_FACE_MODEL"

PCK = "pose-pck@0.1"
DISTANCE = "pose-distance"
IDENTITY = "identity-cosine"
PROXY = "identity-proxy-lbph"

DIRECTIONS: dict[str, Direction] = {PCK: "higher", DISTANCE: "lower", IDENTITY: "higher",
                                    PROXY: "higher"}  # fmt: skip
DEFINITIONS = {
    PCK: "fraction of the control skeleton's body joints that the OpenPose detector finds in the "
    "result within 0.1 face sizes (face size: the larger side of the box around the control's "
    "nose, eyes and ears); a joint not found counts as wrong",
    DISTANCE: "mean distance between the control's joints and the result's, over the joints found "
    "in both, in face sizes (x face size = px)",
    IDENTITY: "cosine similarity of SFace embeddings of the source's and the result's face, both "
    "cut from the source's face box",
    PROXY: "a proxy, not identity: LBP histogram intersection (0..1) of the source's and the "
    "result's face crops, both cut from the source's face box",
}


@dataclass
class Reference:
    """What a task's runs are scored against: the source's face box, the control's joints (px of
    the control image), the control image's size (W, H), the face size in px, and the source's
    face crop (cut once per task, compared with every arm's result)."""

    face: FaceBox | None
    joints: np.ndarray | None
    control_size: tuple[int, int] | None
    face_px: float | None
    face_rgb: np.ndarray | None = None


@dataclass
class Scorers:
    """The loaded scorers, the metrics skipped with why, and per-run notes."""

    pose: pose.PoseDetector | None
    face: identity.FaceEmbedder | None
    skipped: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def reference(self, source: Any, control: Any) -> Reference:
        """The task's reference from its source and control image (PIL, or None)."""
        rgb = np.asarray(source.convert("RGB"))
        joints = size = face_px = None
        if control is not None:
            joints = pose.read_skeleton(np.asarray(control.convert("RGB")))
            size = control.size
            face_px = pose.face_size(joints)
        face = best_face(rgb)
        crop = identity.crop(rgb, face) if face is not None else None
        return Reference(face, joints, size, face_px, crop)

    def score(
        self, task: str, arm: str, ref: Reference, source: Any, result: Any
    ) -> list[tuple[str, float, Direction]]:
        """The pose and identity values of one run (PIL source and result); notes for the rest."""
        out: list[tuple[str, float, Direction]] = []
        rgb = np.asarray(result.convert("RGB"))
        where = f"{task} / {arm}"
        # 1. pose, against the control skeleton
        if self.pose is not None:
            if ref.joints is None or not (~np.isnan(ref.joints)).all(axis=1).any():
                self.notes.append(f"{where}: pose not scored: the task has no control skeleton")
            elif ref.face_px is None or ref.control_size is None:
                self.notes.append(
                    f"{where}: pose not scored: the control skeleton has fewer than two face "
                    "joints (nose, eyes, ears), so no face size"
                )
            else:
                people = [
                    pose.scale_points(p, result.size, ref.control_size)
                    for p in self.pose.people(rgb)
                ]
                got = pose.adherence(people, ref.joints, ref.face_px)
                if got is None:
                    self.notes.append(f"{where}: pose not scored: no person found in the result")
                else:
                    out.append((PCK, got.pck, "higher"))
                    if got.distance is not None:
                        out.append((DISTANCE, got.distance, "lower"))
        # 2. identity, on the source's face box
        if ref.face is None or ref.face_rgb is None:
            self.notes.append(f"{where}: identity not scored: no face found in the source")
        elif result.size != source.size:
            self.notes.append(
                f"{where}: identity not scored: the result is {result.size[0]}x{result.size[1]}, "
                f"the source {source.size[0]}x{source.size[1]}"
            )
        else:
            a, b = ref.face_rgb, identity.crop(rgb, ref.face)
            if self.face is not None:
                out.append((IDENTITY, self.face.cosine(a, b), "higher"))
            else:
                out.append((PROXY, identity.lbph_similarity(a, b), "higher"))
        return out


def prepare(pose_model: Path | None, face_model: Path | None) -> Scorers:
    """Load the pose detector and the face model that are given (options, else the env vars).

    Raises InputError for a path that does not hold what it should.
    """
    skipped: dict[str, str] = {}
    detector = None
    pose_path = pose_model or _env(POSE_ENV)
    if pose_path is None:
        why = (
            f"no OpenPose detector weights given: pass --pose-model DIR or set {POSE_ENV} "
            f"({pose.POSE_HINT.removeprefix('give the folder holding ')})"
        )
        skipped |= {PCK: why, DISTANCE: why}
    else:
        try:
            detector = pose.PoseDetector(pose_path)
        except ModelMissingError as exc:
            skipped |= {PCK: str(exc), DISTANCE: str(exc)}
    face = None
    face_path = face_model or _env(FACE_ENV)
    if face_path is None:
        skipped[IDENTITY] = (
            f"no face-embedding model given: pass --face-model FILE or set {FACE_ENV} (the SFace "
            f"ONNX file, face_recognition_sface_2021dec.onnx); {PROXY} is reported instead, a "
            "texture proxy, not identity"
        )
    else:
        face = identity.FaceEmbedder(face_path)
    return Scorers(detector, face, skipped)


def _env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None
