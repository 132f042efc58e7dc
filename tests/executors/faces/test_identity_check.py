"""The identity check on real photos with the real dlib models: a face edit's QA carries
``identity``, a mild change keeps it, another person's face fails it, and an edit meant to change
the face reports the distance without failing."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.faces import detect_faces, faces_available
from retouch.executors.qa.check import check
from retouch.executors.segment.editmask import resolve_mask
from retouch.planner import analyze, make_plan
from retouch.planner.checklist import IDENTITY_MAX
from retouch.planner.contract.schema import EditPlan, EditRequest

pytestmark = pytest.mark.skipif(
    not faces_available(), reason="needs the faces extra: pip install 'retouch[faces]'"
)


@pytest.fixture(scope="module")
def astronaut_png(tmp_path_factory) -> tuple[np.ndarray, str]:
    rgb = skimage.data.astronaut()
    path = tmp_path_factory.mktemp("faces") / "astronaut.png"
    Image.fromarray(rgb).save(path)
    return rgb, str(path)


def _plan(path: str, edit: str) -> EditPlan:
    request = EditRequest(image=path, edit=edit)
    return make_plan(request, analyze(request))


def _other_person(rgb: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Grace Hopper's face scaled onto the astronaut's face box (the rest of the photo kept)."""
    import cv2

    fa, fg = detect_faces(rgb)[0], detect_faces(other)[0]
    sx, sy = fa.width / fg.width, fa.height / fg.height
    warp = np.float32([[sx, 0, fa.box[0] - fg.box[0] * sx], [0, sy, fa.box[1] - fg.box[1] * sy]])
    return cv2.warpAffine(other, warp, (rgb.shape[1], rgb.shape[0]))


def _identity(report) -> object:
    return next(i for i in report.items if i.id == "identity")


def test_a_face_part_edit_is_planned_on_the_face_models_with_identity(astronaut_png) -> None:
    _, path = astronaut_png
    plan = _plan(path, "remove her glasses")
    assert (plan.mask.source, plan.mask.part, plan.mask.sam_model) == ("face", "glasses", None)
    assert "identity" in [q.id for q in plan.qa]
    assert next(q for q in plan.qa if q.id == "identity").threshold == IDENTITY_MAX
    # words for anything else still need SAM 3, and carry no identity check
    other = _plan(path, "remove the flag")
    assert other.mask.source == "text" and "identity" not in [q.id for q in other.qa]


def test_a_mild_change_keeps_the_identity_and_another_person_fails(
    astronaut_png, grace_hopper
) -> None:
    rgb, path = astronaut_png
    plan = _plan(path, "blur her face")
    mask = resolve_mask(plan, Image.fromarray(rgb))
    noisy = np.clip(rgb + np.random.default_rng(0).normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    mild = np.where(mask[..., None], noisy, rgb)
    kept = _identity(check(Image.fromarray(rgb), Image.fromarray(mild), mask, plan))
    assert kept.status == "pass" and kept.value < 0.3 and "identity kept" in kept.detail
    swapped = np.where(mask[..., None], _other_person(rgb, grace_hopper), rgb)
    changed = _identity(check(Image.fromarray(rgb), Image.fromarray(swapped), mask, plan))
    assert changed.status == "fail" and changed.value > IDENTITY_MAX
    assert "the face changed" in changed.detail and changed.fix is not None


def test_an_edit_meant_to_change_the_face_reports_without_failing(
    astronaut_png, grace_hopper
) -> None:
    rgb, path = astronaut_png
    plan = _plan(path, "make her look older")
    assert plan.mask.source == "none" and "identity" in [q.id for q in plan.qa]
    swapped = _other_person(rgb, grace_hopper)
    item = _identity(check(Image.fromarray(rgb), Image.fromarray(swapped), None, plan))
    assert item.status == "pass" and item.value > IDENTITY_MAX and "reported only" in item.detail


def test_a_whole_image_edit_of_a_photo_without_faces_skips_identity(tmp_path) -> None:
    rgb = skimage.data.coffee()
    path = tmp_path / "coffee.png"
    Image.fromarray(rgb).save(path)
    plan = _plan(str(path), "make it a watercolor painting")
    item = _identity(
        check(Image.fromarray(rgb), Image.fromarray(rgb[..., ::-1].copy()), None, plan)
    )
    assert item.status == "skipped" and "no face in the source" in item.detail


def test_a_mask_file_over_a_face_brings_identity_into_qa(astronaut_png, tmp_path) -> None:
    rgb, path = astronaut_png
    over_face, elsewhere = np.zeros((512, 512), bool), np.zeros((512, 512), bool)
    over_face[100:150, 190:260] = True  # across her eyes and nose
    elsewhere[300:365, 60:125] = True  # the suit
    for name, mask in (("face", over_face), ("suit", elsewhere)):
        Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / f"{name}.png")
    plan = make_plan(*_request(path, "remove the object", tmp_path / "face.png"))
    assert plan.mask.source == "given" and "identity" not in [q.id for q in plan.qa]
    noisy = np.clip(rgb + np.random.default_rng(1).normal(0, 6, rgb.shape), 0, 255)
    result = Image.fromarray(np.where(over_face[..., None], noisy, rgb).astype(np.uint8))
    report = check(Image.fromarray(rgb), result, over_face, plan)
    item = _identity(report)
    assert item.status == "pass" and item.value < 0.3
    plan = make_plan(*_request(path, "remove the object", tmp_path / "suit.png"))
    result = Image.fromarray(np.where(elsewhere[..., None], noisy, rgb).astype(np.uint8))
    report = check(Image.fromarray(rgb), result, elsewhere, plan)
    assert "identity" not in [i.id for i in report.items]


def _request(path: str, edit: str, mask) -> tuple[EditRequest, object]:
    request = EditRequest(image=path, edit=edit, mask=str(mask))
    return request, analyze(request)
