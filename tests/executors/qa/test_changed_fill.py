"""`changed` credits an exemplar fill that rebuilds a region much like its surroundings (it shares
none of the region's detail), and still fails a region left in place, blurred or noised."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from retouch.executors.classical.fill import ClassicalExecutor
from retouch.executors.qa import content
from retouch.executors.qa.measures import Frame
from retouch.planner import checklist as cl

# boxes where the PatchMatch fill moved the region less than Telea does (ratio alone 0.50-0.57).
# Not cases: a box on a plain brick wall, whose fill lines the bricks up with the ones that were
# there (detail correlation 0.7), fails, rightly saying the fill changed next to nothing; on a
# flat sky (camera) a blur keeps no detail to correlate, so there the check cannot tell.
CASES = [
    ("coffee", (267, 144, 312, 206)),
    ("coffee", (10, 51, 109, 85)),
]


def _photo(name: str) -> np.ndarray:
    arr = getattr(skimage.data, name)()
    return np.ascontiguousarray(np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr)


def _changed(src: np.ndarray, res: np.ndarray, region: np.ndarray) -> float:
    h, w = region.shape
    frame = Frame(
        source=src.astype(np.float32),
        result=res.astype(np.float32),
        known=np.ones((h, w), bool),
        region=region,
        nan=np.zeros((h, w), bool),
    )
    got = content.changed(frame.window(8))
    assert got is not None
    return got[0]


@pytest.mark.parametrize(("name", "box"), CASES)
def test_a_patchmatch_fill_passes_and_a_blur_fails(name: str, box: tuple[int, ...]) -> None:
    import cv2

    src = _photo(name)
    region = np.zeros(src.shape[:2], bool)
    x0, y0, x1, y1 = box
    region[y0:y1, x0:x1] = True
    limit = cl.changed().threshold
    filled = ClassicalExecutor()(src, region, seed=0)
    assert _changed(src, filled, region) >= limit
    blurred = np.where(region[..., None], cv2.GaussianBlur(src, (0, 0), 1.5), src)
    assert _changed(src, blurred, region) < limit
    noised = np.clip(src + np.random.default_rng(0).normal(0, 2, src.shape), 0, 255)
    assert _changed(src, np.where(region[..., None], noised, src).astype(np.uint8), region) < limit
    assert _changed(src, src.copy(), region) == 0.0
