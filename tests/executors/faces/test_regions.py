"""Face-part regions and face masks from words on real photos with the real dlib models."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.faces import detect_faces, faces_available
from retouch.executors.faces.landmarks import PARTS68, landmarks
from retouch.executors.faces.regions import PARTS, part_mask
from retouch.executors.segment.dispatch import segment
from retouch.planner.contract.errors import ExecutorError, InputError
from retouch.planner.contract.schema import SamPrompt

pytestmark = pytest.mark.skipif(
    not faces_available(), reason="needs the faces extra: pip install 'retouch[faces]'"
)


@pytest.fixture(scope="module")
def astronaut_face() -> tuple[np.ndarray, object, np.ndarray]:
    rgb = skimage.data.astronaut()
    face = detect_faces(rgb)[0]
    return rgb, face, landmarks(rgb, face, 68)


def _inside(mask: np.ndarray, points: np.ndarray) -> float:
    xs, ys = np.round(points).astype(int).T
    return float(mask[ys, xs].mean())


def test_the_glasses_region_covers_both_eyes_the_brows_and_the_bridge(astronaut_face) -> None:
    rgb, face, p = astronaut_face
    glasses = part_mask(rgb, face, "glasses")
    for part in ("eye_left", "eye_right", "brow_left", "brow_right", "nose_bridge"):
        assert (
            _inside(glasses, p[PARTS68[part]][:2] if part == "nose_bridge" else p[PARTS68[part]])
            == 1.0
        ), part
    # and stops above the mouth and the nose tip, inside the face
    assert _inside(glasses, p[PARTS68["lips_outer"]]) == 0.0
    assert _inside(glasses, p[33:34]) == 0.0
    assert glasses.sum() < part_mask(rgb, face, "face").sum() / 2


def test_each_part_holds_its_own_landmarks_and_not_the_others(astronaut_face) -> None:
    rgb, face, p = astronaut_face
    masks = {part: part_mask(rgb, face, part) for part in PARTS}
    assert _inside(masks["mouth"], p[PARTS68["lips_outer"]]) == 1.0
    assert _inside(masks["nose"], p[27:36]) == 1.0
    assert _inside(masks["eyes"], p[36:48]) >= 0.9
    assert _inside(masks["face"], p[:68]) == 1.0
    assert _inside(masks["beard"], p[PARTS68["lips_inner"]]) == 0.0  # a beard leaves the lips
    assert _inside(masks["eyes"], p[PARTS68["lips_outer"]]) == 0.0
    assert not (masks["mouth"] & masks["eyes"]).any()
    for part in ("eyes", "brows", "nose", "mouth", "beard", "glasses"):
        assert (masks[part] & ~masks["face"]).sum() < 0.05 * masks[part].sum(), part


def test_face_words_make_a_face_mask_without_sam3(astronaut_face, monkeypatch) -> None:
    monkeypatch.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)
    rgb, face, _ = astronaut_face
    found = segment(Image.fromarray(rgb), SamPrompt(text="her face"))
    assert found.method == "face" and found.chosen == [1]
    assert np.array_equal(found.mask, part_mask(rgb, face, "face"))
    assert "iBUG 300-W" in found.note  # the face outline needs the non-commercial 68 points
    eyes = segment(Image.fromarray(rgb), SamPrompt(text="his eyes"), pick="all")
    assert "5 landmarks" in eyes.note and eyes.mask.sum() < found.mask.sum() / 5


def test_left_and_right_pick_between_two_people(two_people) -> None:
    image = Image.fromarray(two_people)
    left = segment(image, SamPrompt(text="the face of the woman on the left"))
    right = segment(image, SamPrompt(text="the glasses on the right"))
    both = segment(image, SamPrompt(text="all the faces"))
    assert len(left.instances) == 2
    cols_left = np.flatnonzero(left.mask.any(axis=0))
    cols_right = np.flatnonzero(right.mask.any(axis=0))
    assert cols_left.max() < 512 <= cols_right.min()
    assert (
        both.mask.sum()
        == left.mask.sum() + segment(image, SamPrompt(text="the face"), pick="right").mask.sum()
    )
    second = segment(image, SamPrompt(text="the face"), instance=2)
    assert second.chosen == [2]
    with pytest.raises(InputError, match="out of range"):
        segment(image, SamPrompt(text="the face"), instance=3)


def test_no_face_is_a_clear_error_and_other_words_still_go_to_sam3(monkeypatch) -> None:
    monkeypatch.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)
    with pytest.raises(ExecutorError, match="no face was found"):
        segment(Image.fromarray(skimage.data.chelsea()), SamPrompt(text="the face"))
    with pytest.raises(Exception, match="SAM 3") as err:
        segment(Image.fromarray(skimage.data.chelsea()), SamPrompt(text="the cat's nose"))
    assert "face" not in type(err.value).__name__.lower()


def test_without_the_face_models_face_words_name_the_install_and_sam3(
    monkeypatch, tmp_path
) -> None:
    from retouch.planner.contract.errors import ModelMissingError

    monkeypatch.setenv("RETOUCH_FACE_MODELS", str(tmp_path))  # an empty folder: no models
    monkeypatch.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # and no SAM 3 in any cache
    with pytest.raises(ModelMissingError, match=r"pip install 'retouch\[faces\]'.*SAM 3"):
        segment(Image.fromarray(skimage.data.astronaut()), SamPrompt(text="her glasses"))
