"""Pose adherence on synthetic inputs with known answers: the skeleton drawn as controlnet_aux
draws it and read back to its joints, PCK and distance under known shifts, a foreign weights
file. The scorer built on them: tests/executors/evaluation/test_scorers.py."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from retouch.executors.qa import pose
from retouch.planner.contract.errors import InputError

SIZE = 256

# 18 joints of a standing figure, px; well apart so no circle covers another
JOINTS = np.array(
    [(128, 40), (128, 80), (100, 82), (80, 120), (70, 160), (156, 82), (176, 120), (186, 160),
     (110, 150), (108, 195), (106, 236), (146, 150), (148, 195), (150, 236), (118, 30),
     (138, 30), (106, 36), (150, 36)],
    dtype=float,
)  # fmt: skip


def test_the_skeleton_is_drawn_as_controlnet_aux_draws_it() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        util = pytest.importorskip("controlnet_aux.open_pose.util")
        from controlnet_aux.open_pose.body import Keypoint
    joints = JOINTS.copy()
    joints[[4, 10]] = np.nan  # a missing wrist and ankle: neither the joint nor its limbs drawn
    theirs = util.draw_bodypose(
        np.zeros((SIZE, SIZE, 3), dtype=np.uint8),
        [None if np.isnan(x) else Keypoint(x / SIZE, y / SIZE) for x, y in joints],
    )
    assert np.array_equal(pose.draw_skeleton((SIZE, SIZE), joints), theirs)


def test_a_skeleton_is_read_back_to_its_joints() -> None:
    joints = JOINTS.copy()
    joints[7] = np.nan
    img = pose.draw_skeleton((SIZE, SIZE), joints)
    got = pose.read_skeleton(img)
    assert np.isnan(got[7]).all()
    assert np.abs(np.delete(got, 7, axis=0) - np.delete(joints, 7, axis=0)).max() <= 0.5
    # on a wider canvas with the joints scaled
    big = pose.draw_skeleton((2 * SIZE, SIZE), joints * [2, 1])
    assert np.nanmax(np.abs(pose.read_skeleton(big) - joints * [2, 1])) <= 0.5


def test_face_size_is_the_larger_side_of_the_face_joints_box() -> None:
    # nose (128, 40), eyes (118, 30) (138, 30), ears (106, 36) (150, 36): 44 wide, 10 high
    assert pose.face_size(JOINTS) == 44.0
    only_nose = np.full_like(JOINTS, np.nan)
    only_nose[0] = JOINTS[0]
    assert pose.face_size(only_nose) is None


@pytest.mark.parametrize(("shift", "want_pck"), [(0.05, 1.0), (0.09, 1.0), (0.15, 0.0)])
def test_pck_and_distance_under_a_known_shift(shift: float, want_pck: float) -> None:
    face = pose.face_size(JOINTS)
    assert face is not None
    angle = np.linspace(0, 2 * np.pi, len(JOINTS), endpoint=False)  # every direction
    found = JOINTS + shift * face * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    got = pose.adherence([found], JOINTS, face)
    assert got is not None and got.pck == want_pck
    assert got.distance == pytest.approx(shift)  # in face sizes
    assert pose.mean_distance(found, JOINTS) == pytest.approx(shift * face)  # in px


def test_missing_joints_count_as_wrong_and_the_best_person_is_taken() -> None:
    face = 44.0
    found = JOINTS.copy()
    found[:6] = np.nan
    assert pose.pck(found, JOINTS, face) == pytest.approx(12 / 18)
    assert pose.mean_distance(found, JOINTS) == 0.0
    far = JOINTS + 100
    got = pose.adherence([far, found], JOINTS, face)
    assert got is not None and got.pck == pytest.approx(12 / 18) and got.joints == 18
    assert pose.adherence([], JOINTS, face) is None


def test_a_foreign_weights_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "body_pose_model.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot load .* as the OpenPose body model"):
        pose.PoseDetector(tmp_path)
