"""planner.regions against scipy.ndimage, which planning no longer loads: the region count
(8-connected) and the square growth, on random masks of every density and on edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from retouch.planner.regions import count_regions, grow_square
from scipy import ndimage

EIGHT = np.ones((3, 3), dtype=bool)


def _random_masks() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    masks = []
    for density in (0.02, 0.1, 0.3, 0.5, 0.7, 0.95):
        for shape in ((1, 1), (1, 37), (29, 1), (17, 23), (64, 64), (97, 131)):
            masks.append(rng.random(shape) < density)
    return masks


@pytest.mark.parametrize("mask", _random_masks(), ids=lambda m: f"{m.shape}-{m.mean():.2f}")
def test_regions_and_growth_match_scipy(mask: np.ndarray) -> None:
    assert count_regions(mask) == ndimage.label(mask, structure=EIGHT)[1]
    for radius in (0, 1, 2, 12):
        expected = ndimage.maximum_filter(mask.view(np.uint8), size=2 * radius + 1) > 0
        assert np.array_equal(grow_square(mask, radius), expected), radius


def test_edge_cases() -> None:
    empty = np.zeros((8, 8), dtype=bool)
    assert count_regions(empty) == 0 and not grow_square(empty, 3).any()
    assert count_regions(~empty) == 1
    diagonal = np.eye(6, dtype=bool)  # touching at corners only: one 8-connected region
    assert count_regions(diagonal) == 1
    assert count_regions(np.eye(6, dtype=bool)[:, ::-1]) == 1
    gap = np.zeros((5, 5), dtype=bool)
    gap[0, 0] = gap[2, 2] = gap[4, 4] = True  # a pixel apart: three regions
    assert count_regions(gap) == 3
    u_shape = np.zeros((6, 7), dtype=bool)
    u_shape[:, 0] = u_shape[:, 6] = u_shape[5, :] = True  # two arms joined only at the bottom
    assert count_regions(u_shape) == 1
    corner = np.zeros((7, 7), dtype=bool)
    corner[0, 6] = True
    grown = grow_square(corner, 2)
    assert grown[:3, 4:].all() and grown.sum() == 9
