"""Extension from the background: the subject is found and kept out, a photo whose background
cannot be continued is refused before anything runs, and no face is copied into the new strip."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from retouch.executors.classical.extend import (
    extend_from_background,
    extension_background_ok,
    extension_subject,
    find_faces,
    foreign_to_edges,
    subject_mask,
)
from retouch.executors.classical.fill import ClassicalExecutor, extend_canvas
from retouch.planner.contract.errors import PlanError
from retouch.planner.contract.schema import Extend

SIXTEEN_NINE = Extend(left=199, top=0, right=199, bottom=0)  # 512 x 512 -> 910 x 512


def _new_area(shape: tuple[int, int], e: Extend) -> np.ndarray:
    h, w = shape
    new = np.ones((h + e.top + e.bottom, w + e.left + e.right), bool)
    new[e.top : e.top + h, e.left : e.left + w] = False
    return new


def test_the_astronauts_body_is_the_subject() -> None:
    img = skimage.data.astronaut()
    subject = subject_mask(img)
    (x0, y0, x1, y1), *_ = find_faces(img)
    assert subject[y0:y1, x0:x1].all()  # her face
    assert subject[450:, 150:300].all()  # her suit below it, to the bottom edge
    assert not subject[:, :30].any() and not subject[:, 410:].any()  # the flag, the shuttle side


def test_the_mask_joins_the_subject() -> None:
    img = skimage.data.coffee()
    mask = np.zeros(img.shape[:2], bool)
    mask[10:20, 10:20] = True
    assert not subject_mask(img).any()  # no face on the coffee photo
    assert np.array_equal(subject_mask(img, mask), mask)


def test_objects_the_edge_does_not_continue_are_kept_out() -> None:
    astronaut = skimage.data.astronaut()
    foreign = foreign_to_edges(astronaut, SIXTEEN_NINE)
    assert foreign[20:80, 405:425].mean() > 0.9  # the shuttle's brown tank in the right band
    assert foreign[:, 450:].mean() < 0.05  # the backdrop, table and helmet along the edge
    assert not foreign[:, 200:300].any()  # outside both bands
    assert (extension_subject(astronaut, SIXTEEN_NINE) >= foreign).all()
    coffee = skimage.data.coffee()  # wood grain: every colour in the band is on the edge too
    assert not foreign_to_edges(coffee, Extend(left=56, right=56)).any()


def test_background_ok_on_a_table_not_beside_a_portrait() -> None:
    coffee = skimage.data.coffee()  # 600 x 400: wood grain at both sides
    ok, reason = extension_background_ok(coffee, Extend(left=56, right=56), subject_mask(coffee))
    assert ok, reason
    astronaut = skimage.data.astronaut()
    ok, reason = extension_background_ok(astronaut, SIXTEEN_NINE, subject_mask(astronaut))
    assert not ok and "left edge" in reason and "background" in reason


def test_a_subject_along_the_edge_is_refused() -> None:
    img = skimage.data.coffee()
    subject = np.zeros(img.shape[:2], bool)
    subject[:300, 560:] = True  # 75% of the right edge
    ok, reason = extension_background_ok(img, Extend(right=80), subject)
    assert not ok and "reaches the right edge" in reason
    assert extension_background_ok(img, Extend(left=80), subject)[0]  # the left side is free


def test_a_structured_band_is_refused() -> None:
    img = np.zeros((200, 200, 3), np.uint8)
    img[:, :, :] = 120
    img[::4] = 250  # stripes every 4 px: edges everywhere
    ok, reason = extension_background_ok(img, Extend(bottom=40), np.zeros((200, 200), bool))
    assert not ok and "too structured" in reason


def test_refused_before_running_with_the_models_that_can() -> None:
    img = skimage.data.astronaut()
    canvas = extend_canvas(img, SIXTEEN_NINE)
    with pytest.raises(PlanError, match="SDXL-Inpaint") as err:
        ClassicalExecutor().extend(canvas, _new_area((512, 512), SIXTEEN_NINE), SIXTEEN_NINE)
    assert "background" in str(err.value)


def test_patches_come_from_the_band_never_from_the_subject() -> None:
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(100, 10, (120, 160, 3)), 0, 255).astype(np.uint8)
    img[50:70, 140:160] = (230, 20, 20)  # a red object on the right edge (1/6 of it)
    e = Extend(right=40)
    canvas = extend_canvas(img, e)
    new = _new_area((120, 160), e)
    red = lambda a: int(((a[..., 0] > 180) & (a[..., 1] < 80))[new].sum())  # noqa: E731
    subject = np.zeros((120, 160), bool)
    subject[50:70, 140:160] = True
    out, share = extend_from_background(canvas, new, e, seed=0, patch_size=3, mask=subject)
    assert red(out) == 0 and np.array_equal(out[~new], canvas[~new])
    assert 0 < share < 0.5  # the right band (40 px of 160) less the object
    # the same object, not marked as the subject, is continued into the strip
    plain, _ = extend_from_background(canvas, new, e, seed=0, patch_size=3)
    assert red(plain) > 0


def test_extension_is_deterministic_and_adds_no_face() -> None:
    img = skimage.data.coffee()[:, :, :3]
    e = Extend(left=56, right=56)
    canvas = extend_canvas(img, e)
    new = _new_area(img.shape[:2], e)
    a, _ = ClassicalExecutor().extend(canvas, new, e, seed=3)
    b, _ = ClassicalExecutor().extend(canvas, new, e, seed=3)
    assert np.array_equal(a, b) and np.array_equal(a[~new], canvas[~new])
    assert find_faces(a) == []
