"""Face detection on real photos with the real dlib models (the faces extra; skipped without it)."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from retouch.executors.faces import Face, detect_faces, faces_available, models
from retouch.planner.contract.errors import InputError, ModelMissingError

needs_faces = pytest.mark.skipif(
    not faces_available(), reason="needs the faces extra: pip install 'retouch[faces]'"
)


@needs_faces
def test_the_astronaut_has_one_face_around_her_head() -> None:
    faces = detect_faces(skimage.data.astronaut())
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0].box
    # her face sits in the upper middle of the 512x512 photo (eyes near y=115, nose near x=220)
    assert 150 < x0 < 200 and 60 < y0 < 100 and 240 < x1 < 290 and 150 < y1 < 190
    assert faces[0].score >= 1.0 and faces[0].detector == "hog"


@needs_faces
@pytest.mark.parametrize("name", ["coffee", "rocket", "chelsea"])
def test_photos_without_people_have_no_face(name: str) -> None:
    # chelsea is a cat: a cat is not a face
    assert detect_faces(getattr(skimage.data, name)()) == []


@needs_faces
def test_two_faces_side_by_side_are_both_found_largest_first() -> None:
    photo = skimage.data.astronaut()
    small = photo[::2, ::2]
    canvas = np.zeros((512, 512 + 256, 3), np.uint8)
    canvas[:, :512] = photo
    canvas[:256, 512:] = small
    faces = detect_faces(canvas)
    assert len(faces) == 2
    assert faces[0].width > faces[1].width and faces[1].box[0] >= 512


@needs_faces
def test_bad_arrays_are_input_errors() -> None:
    with pytest.raises(InputError, match="uint8"):
        detect_faces(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(InputError, match="shape"):
        detect_faces(np.zeros((64, 64), np.uint8))


def test_without_the_models_every_call_names_the_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(models, "_LOADED", {})
    monkeypatch.setenv(models.MODELS_ENV, str(tmp_path))
    assert not faces_available()
    with pytest.raises(ModelMissingError, match=r"pip install 'retouch\[faces\]'"):
        models.load("landmarks5")
    monkeypatch.setitem(__import__("sys").modules, "dlib", None)
    with pytest.raises(ModelMissingError, match=r"pip install 'retouch\[faces\]'"):
        detect_faces(skimage.data.astronaut())


def test_licences_say_the_68_point_model_is_not_for_commercial_use() -> None:
    assert models.FACE_MODELS["landmarks68"].commercial is False
    assert "iBUG 300-W" in models.FACE_MODELS["landmarks68"].licence
    assert all(m.commercial for k, m in models.FACE_MODELS.items() if k != "landmarks68")


def test_a_face_is_typed_and_frozen() -> None:
    face = Face(box=(1, 2, 11, 22), score=1.0, detector="hog")
    assert (face.width, face.height, face.center) == (10, 20, (6.0, 12.0))
    with pytest.raises(ValueError):
        Face(box=(1, 2, 11, 22), score=1.0, detector="hog", extra=1)


@needs_faces
@pytest.mark.slow
def test_the_cnn_detector_finds_the_same_face_as_hog() -> None:
    photo = skimage.data.astronaut()
    (hog,) = detect_faces(photo, cnn=False)
    (cnn,) = detect_faces(photo[::2, ::2].copy(), cnn=True, upsample=1)  # 256 px: ~4x faster
    x0, y0, x1, y1 = (2 * v for v in cnn.box)
    inter = max(0, min(x1, hog.box[2]) - max(x0, hog.box[0])) * max(
        0, min(y1, hog.box[3]) - max(y0, hog.box[1])
    )
    union = (x1 - x0) * (y1 - y0) + hog.width * hog.height - inter
    assert cnn.detector == "cnn" and inter / union > 0.5


@needs_faces
def test_a_photo_is_searched_once_per_content(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning, the envelope, run_plan and QA ask about the same photo: the detector runs once
    per pixel content and settings; a changed pixel or other settings search again."""
    from retouch.executors.faces import detect

    calls = []
    real = detect._detect
    monkeypatch.setattr(detect, "_FOUND", detect.Lru(16))
    monkeypatch.setattr(detect, "_detect", lambda *a: calls.append(1) or real(*a))
    rgb = np.asarray(skimage.data.astronaut()).copy()
    first = detect.detect_faces(rgb)
    again = detect.detect_faces(rgb.copy())
    assert len(calls) == 1 and first == again and len(first) == 1
    first.clear()  # the caller's list is its own
    assert detect.detect_faces(rgb) == again
    rgb[0, 0, 0] ^= 1
    detect.detect_faces(rgb)
    detect.detect_faces(rgb, upsample=0)
    assert len(calls) == 3
