"""The texture-restoring fill: grain comes back, nothing outside the hole moves, no edges copied."""

from __future__ import annotations

import numpy as np
import skimage.data
from retouch.executors.classical.fill import ClassicalExecutor
from retouch.executors.classical.texture import add_texture, detail_layer


def _hole(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = True
    return m


def _energy(img: np.ndarray, m: np.ndarray) -> float:
    return float(np.abs(detail_layer(img)[m]).mean())


def test_grain_returns_and_outside_is_untouched() -> None:
    img = np.ascontiguousarray(skimage.data.astronaut())
    hole = _hole(img.shape[:2], (310, 120, 350, 170))  # the mottled backdrop left of the shuttle
    plain = ClassicalExecutor("telea", texture=False)(img, hole)
    grain = ClassicalExecutor("telea", texture=True)(img, hole)
    assert np.array_equal(grain[~hole], img[~hole])
    truth = _energy(img, hole)
    # Telea leaves a smear (well under the photo's grain); the quilted detail brings it back
    assert _energy(plain, hole) < 0.6 * truth
    assert 0.6 * truth < _energy(grain, hole) < 1.6 * truth
    # the low frequencies are the fill's: the mean colour moves by less than 2 levels
    assert np.abs(grain[hole].mean(0) - plain[hole].mean(0)).max() < 2.0


def test_deterministic_per_seed() -> None:
    img = np.ascontiguousarray(skimage.data.coffee())
    hole = _hole(img.shape[:2], (60, 40, 110, 90))
    filled = ClassicalExecutor("telea", texture=False)(img, hole)
    a = add_texture(filled, img, hole, seed=1)
    assert np.array_equal(a, add_texture(filled, img, hole, seed=1))
    assert not np.array_equal(a, add_texture(filled, img, hole, seed=2))


def test_no_edges_are_copied_into_a_quiet_region() -> None:
    rng = np.random.default_rng(0)
    img = np.clip(120 + rng.normal(0, 3, (128, 128, 3)), 0, 255).astype(np.uint8)
    img[:, 20:22] = 255  # one bright line in the ring: energetic blocks must not be donors
    hole = _hole((128, 128), (40, 40, 90, 90))
    filled = ClassicalExecutor("telea", texture=False)(img, hole)
    out = add_texture(filled, img, hole)
    assert int(out[hole].max()) < 150


def test_flat_surroundings_leave_the_fill_alone() -> None:
    img = np.full((64, 64, 3), 90, dtype=np.uint8)
    hole = _hole((64, 64), (20, 20, 40, 40))
    filled = ClassicalExecutor("telea", texture=False)(img, hole)
    assert np.array_equal(add_texture(filled, img, hole), filled)


def test_grain_keeps_saturation_on_vivid_colours() -> None:
    import cv2
    from PIL import Image

    # at 64 px the ring is flag and orange suit: additive grain would clip a channel there
    img = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((64, 64)))
    hole = _hole((64, 64), (12, 12, 38, 38))
    filled = ClassicalExecutor("telea", texture=False)(img, hole)
    out = add_texture(filled, img, hole)
    assert not np.array_equal(out, filled)  # grain was added
    sat = lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2HSV)[..., 1].astype(int)[hole]  # noqa: E731
    vivid = sat(filled) > 60  # where hue is defined well enough to compare
    assert np.abs(sat(out) - sat(filled))[vivid].max() <= 6  # only rounding moves it
