"""Identity preservation on photos with known answers: the face box of the astronaut, the LBPH
proxy (identical faces 1, a shifted or mirrored face lower, another face or no face lower still),
and the SFace path through cv2.FaceRecognizerSF with a tiny random ONNX model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from retouch.executors.qa.faces import FaceBox, best_face
from retouch.executors.qa.identity import FaceEmbedder, crop, lbph_similarity
from retouch.planner.contract.errors import InputError

from tests.executors.qa.tiny_onnx import write_tiny_embedder


@pytest.fixture(scope="module")
def face() -> tuple[np.ndarray, FaceBox]:
    photo = skimage.data.astronaut()
    box = best_face(photo)
    assert box is not None
    return photo, box


def test_the_astronaut_face_is_found(face: tuple[np.ndarray, FaceBox]) -> None:
    _, box = face
    # her face spans about x 175-265, y 70-160 in the 512 px photo
    assert 165 <= box.x <= 190 and 60 <= box.y <= 85 and 75 <= box.side <= 100
    assert best_face(np.full((128, 128, 3), 120, dtype=np.uint8)) is None


def test_the_lbph_proxy_orders_same_shifted_and_different(
    face: tuple[np.ndarray, FaceBox],
) -> None:
    photo, box = face
    mine = crop(photo, box)
    shifted = crop(photo, FaceBox(box.x + 6, box.y + 6, box.side))
    mirrored = np.ascontiguousarray(mine[:, ::-1])
    not_a_face = crop(skimage.data.coffee(), FaceBox(300, 100, box.side))
    lfw = skimage.data.lfw_subset()[0]  # another person's face, 25 px grey
    other = (np.repeat(lfw[..., None], 3, axis=2) * 255).astype(np.uint8)
    same = lbph_similarity(mine, mine)
    assert same == pytest.approx(1.0)
    near = [lbph_similarity(mine, x) for x in (shifted, mirrored)]
    far = [lbph_similarity(mine, x) for x in (not_a_face, other)]
    assert all(0 < v < 0.8 for v in near + far)
    assert min(near) > max(far)  # (measured: 0.53, 0.49 vs 0.35, 0.28)


def test_sface_path_with_a_tiny_model(tmp_path: Path, face: tuple[np.ndarray, FaceBox]) -> None:
    photo, box = face
    model = FaceEmbedder(write_tiny_embedder(tmp_path / "sface.onnx"))
    mine = crop(photo, box)
    assert model.cosine(mine, mine) == pytest.approx(1.0, abs=1e-5)
    assert model.cosine(mine, np.ascontiguousarray(255 - mine)) < 0.99


@pytest.mark.parametrize(("content", "words"), [(None, "does not exist"), (b"junk", "cannot load")])
def test_a_bad_face_model_is_one_clear_error(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "sface.onnx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=words) as err:
        FaceEmbedder(path)
    assert "face_recognition_sface_2021dec.onnx" in str(err.value) and "\n" not in str(err.value)


def test_a_removal_that_takes_the_whole_face_keeps_no_identity_to_check() -> None:
    """Removing a person (or cutting one out) takes their face along: no identity to keep. A
    removal over part of the face ("remove her freckles") and any other edit over it still do."""
    pytest.importorskip("dlib")
    from retouch.executors.qa.identity import source_faces, touches_face

    photo = skimage.data.astronaut()
    (x0, y0, x1, y1) = source_faces(photo)[0].box
    whole = np.zeros(photo.shape[:2], bool)
    whole[max(0, y0 - 20) : y1 + 20, max(0, x0 - 20) : x1 + 20] = True
    part = np.zeros_like(whole)
    part[(y0 + y1) // 2 : y1, x0:x1] = True  # the lower half: mouth and chin
    assert not touches_face(photo, whole, removal=True)
    assert touches_face(photo, whole, removal=False)
    assert touches_face(photo, part, removal=True)


@pytest.mark.parametrize(
    ("edit", "person"),
    [
        ("remove the man", True),
        ("remove her", True),
        ("put her on her own layer", True),  # a cut-out
        ("remove her freckles", False),  # on the face: its box may cover the whole face
        ("remove the sign", False),
        ("make her hair red", False),
    ],
)
def test_only_an_edit_that_removes_a_person_lets_their_face_go(
    tmp_path: Path, edit: str, person: bool
) -> None:
    from PIL import Image
    from retouch.executors.qa.identity import removes_a_person
    from retouch.planner import EditRequest, analyze, make_plan

    photo, mask = tmp_path / "a.png", tmp_path / "m.png"
    Image.fromarray(skimage.data.astronaut()).resize((128, 128)).save(photo)
    m = np.zeros((128, 128), np.uint8)
    m[5:70, 40:90] = 255
    Image.fromarray(m).save(mask)
    request = EditRequest(image=str(photo), edit=edit, mask=str(mask))
    assert removes_a_person(make_plan(request, analyze(request))) is person
