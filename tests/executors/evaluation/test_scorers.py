"""The scorers through their registry and the loaded set: what is skipped and why (with the setting
that would give it), notes for runs that cannot be measured, SFace identity through a tiny ONNX
model, the LBPH proxy under its own name, and OpenPose loaded from random weights."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.evaluation import scorers
from retouch.executors.evaluation.base import ENV, ScorerOptions, Skip
from retouch.executors.evaluation.identity import IDENTITY, PROXY
from retouch.executors.evaluation.identity_dlib import DLIB, DLIB_COSINE
from retouch.executors.evaluation.pose import DISTANCE, PCK, PoseScorer
from retouch.executors.qa import pose
from retouch.executors.qa.faces import best_face
from retouch.planner.contract.errors import InputError

from tests.executors.qa.tiny_onnx import write_tiny_embedder

NONE = ScorerOptions()


@pytest.fixture(autouse=True)
def _no_scorer_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)
    # without the faces extra: dlib's identity is tests/executors/evaluation/test_identity_dlib.py
    monkeypatch.setenv("RETOUCH_FACE_MODELS", str(tmp_path))


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut())


def test_the_registry_names_each_metric_once() -> None:
    names = [m.name for cls in scorers.SCORERS.values() for m in cls.metrics]
    assert len(names) == len(set(names)) == len(scorers.METRICS)
    assert scorers.DIRECTIONS == {PCK: "higher", DISTANCE: "lower", IDENTITY: "higher",
                                  PROXY: "higher", DLIB: "lower", DLIB_COSINE: "higher"}  # fmt: skip
    assert all(scorers.DEFINITIONS[n] for n in names)


def test_nothing_given_skips_with_the_setting_that_would_give_it() -> None:
    measure = scorers.prepare(NONE)
    assert set(measure.skipped) == {PCK, DISTANCE, IDENTITY, DLIB, DLIB_COSINE}
    assert {m: s.setting for m, s in measure.skipped.items()} == {
        PCK: "pose_model", DISTANCE: "pose_model", IDENTITY: "face_model", DLIB: None,
        DLIB_COSINE: None,
    }  # fmt: skip
    assert "pip install 'retouch[faces]'" in measure.skipped[DLIB].why
    assert measure.skipped[PCK].why.startswith("no OpenPose detector weights given")
    assert "identity-proxy-lbph is reported instead" in measure.skipped[IDENTITY].why
    whys = " ".join(s.why for s in measure.skipped.values())
    assert "--pose-model" not in whys and "--face-model" not in whys  # each front names them


def test_the_proxy_is_named_as_such(astronaut: Image.Image) -> None:
    measure = scorers.prepare(NONE)
    got = measure.score("t", "a", measure.reference(astronaut, None), astronaut, astronaut)
    assert [(m, round(v, 6), d) for m, v, d in got] == [(PROXY, 1.0, "higher")]
    assert measure.notes == []  # pose is not loaded: no pose note, only the skip


def test_identity_cosine_with_a_face_model_from_the_env(
    tmp_path: Path, astronaut: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV["face_model"], str(write_tiny_embedder(tmp_path / "sface.onnx")))
    measure = scorers.prepare(NONE)
    assert IDENTITY not in measure.skipped
    photo = np.asarray(astronaut)
    box = best_face(photo)
    assert box is not None
    changed = photo.copy()
    x0, y0, x1, y1 = box.xyxy()
    changed[y0:y1, x0:x1] = 255 - changed[y0:y1, x0:x1]  # the face replaced
    refs = measure.reference(astronaut, None)
    same = {m: v for m, v, _ in measure.score("t", "a", refs, astronaut, astronaut)}
    other = {m: v for m, v, _ in measure.score("t", "a", refs, astronaut, Image.fromarray(changed))}
    assert set(same) == set(other) == {IDENTITY}  # the real metric, no proxy
    assert same[IDENTITY] == pytest.approx(1.0, abs=1e-5) and other[IDENTITY] < 0.99


def test_runs_that_cannot_be_measured_get_notes(astronaut: Image.Image) -> None:
    measure = scorers.prepare(NONE)
    flat = Image.new("RGB", (96, 96), (90, 120, 150))
    assert measure.score("t", "a", measure.reference(flat, None), flat, flat) == []
    small = astronaut.resize((256, 256))
    assert measure.score("t", "b", measure.reference(astronaut, None), astronaut, small) == []
    assert measure.notes == [
        "t / a: identity not scored: no face found in the source",
        "t / b: identity not scored: the result is 256x256, the source 512x512",
    ]


def test_a_bad_face_model_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        scorers.prepare(ScorerOptions(face_model=tmp_path / "nowhere.onnx"))


def _random_body_weights(folder: Path) -> Path:
    """A randomly initialised OpenPose body model saved as controlnet_aux's loader reads it (the
    original file's layer names: the model's names less their first part)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pytest.importorskip("controlnet_aux.open_pose.model")
    torch.manual_seed(0)
    state = model.bodypose_model().state_dict()
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(
        {".".join(k.split(".")[1:]): v for k, v in state.items()}, folder / "body_pose_model.pth"
    )
    return folder


JOINTS = np.array(
    [(128, 40), (128, 80), (100, 82), (80, 120), (70, 160), (156, 82), (176, 120), (186, 160),
     (110, 150), (108, 195), (106, 236), (146, 150), (148, 195), (150, 236), (118, 30),
     (138, 30), (106, 36), (150, 36)],
    dtype=float,
)  # fmt: skip
"""18 joints of a standing figure on a 256 px canvas, well apart."""


def test_the_detector_loads_and_says_when_it_finds_no_person(tmp_path: Path) -> None:
    folder = _random_body_weights(tmp_path / "annotators")
    measure = scorers.prepare(ScorerOptions(pose_model=folder))
    assert PCK not in measure.skipped and DISTANCE not in measure.skipped
    assert any(isinstance(s, PoseScorer) for s in measure.loaded)
    source = Image.new("RGB", (96, 96), (90, 120, 150))
    control = Image.fromarray(pose.draw_skeleton((96, 96), JOINTS * 96 / 256))
    refs = measure.reference(source, control)
    pose_ref = next(
        r for s, r in zip(measure.loaded, refs, strict=True) if isinstance(s, PoseScorer)
    )
    assert pose_ref.face_px == pytest.approx(44 * 96 / 256, abs=1)
    got = measure.score("t", "a", refs, source, source)
    # random weights find nobody: no pose value, a note saying so (and no face in a flat image)
    assert not [m for m, _, _ in got if m.startswith("pose")]
    assert "t / a: pose not scored: no person found in the result" in measure.notes
    assert "t / a: identity not scored: no face found in the source" in measure.notes
    # a task without a control image: a note, not a value
    measure.score("u", "a", measure.reference(source, None), source, source)
    assert "u / a: pose not scored: the task has no control skeleton" in measure.notes


def test_without_controlnet_aux_pose_is_skipped_with_no_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "body_pose_model.pth").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "controlnet_aux", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "controlnet_aux.open_pose", None)
    measure = scorers.prepare(ScorerOptions(pose_model=tmp_path))
    assert not any(isinstance(s, PoseScorer) for s in measure.loaded)
    for metric in (PCK, DISTANCE):
        skip = measure.skipped[metric]
        assert isinstance(skip, Skip) and "retouch[compare]" in skip.why and skip.setting is None
