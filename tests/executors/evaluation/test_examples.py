"""The faces example task set, written directly (the CLI's --example is tested with compare): the
skeleton's joints sit on the detected face, arms differ only as the lesson's exercise says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from retouch.executors.evaluation.examples import SIDE, arms, head_joints, write_faces
from retouch.executors.qa.faces import FaceBox
from retouch.executors.qa.pose import JOINTS, face_size, read_skeleton


def test_head_joints_follow_the_face_box() -> None:
    joints = head_joints(FaceBox(100, 50, 100), (512, 512))
    assert tuple(joints[JOINTS.index("nose")]) == (150.0, 110.0)
    assert tuple(joints[JOINTS.index("left eye")]) == (167.0, 92.0)
    # a shoulder outside the image is absent, as are the joints a head-and-shoulders lacks
    edge = head_joints(FaceBox(0, 50, 100), (512, 512))
    assert np.isnan(edge[JOINTS.index("right shoulder")]).all()
    assert np.isnan(edge[JOINTS.index("right wrist")]).all()


def test_the_two_arms() -> None:
    sd, flux = arms()
    assert sd == {"name": "sd15-inpaint-openpose", "executor": "diffusers", "model": None,
                  "overrides": []}  # fmt: skip
    changed = {o["field"]: o["value"] for o in flux["overrides"]}
    assert changed["model.family"] == "flux-fill" and changed["controlnet"] is None
    assert changed["guidance.text"] == 30.0


def test_write_faces(tmp_path: Path) -> None:
    tasks, arms_file = write_faces(tmp_path)
    lines = [json.loads(x) for x in tasks.read_text().splitlines()]
    assert len(lines) == 20 and len({x["preferences"]["seed"] for x in lines}) == 20
    assert json.loads(arms_file.read_text()) == arms()
    first = lines[0]
    with Image.open(tmp_path / first["control"]) as pose, Image.open(tmp_path / first["mask"]) as m:
        assert pose.size == m.size == (SIDE, SIDE)
        joints = read_skeleton(np.asarray(pose.convert("RGB")))
        mask = np.asarray(m) > 0
    nose = joints[JOINTS.index("nose")]
    assert mask[int(nose[1]), int(nose[0])] and face_size(joints) is not None
    assert not (tmp_path / "README.md").exists()  # the CLI writes its own words
