"""The weight-free content checks on real photos: planted unchanged / mirrored / copied / wrong-mask
results fail, clean fills pass (thresholds from planner/checklist.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.executors.qa import content
from retouch.executors.qa.check import check
from retouch.executors.qa.measures import Frame
from retouch.planner import analyze, make_plan
from retouch.planner import checklist as cl
from retouch.planner.contract.schema import EditRequest

from tests.conftest import box_mask

BOX = (300, 120, 380, 200)  # x0, y0, x1, y1 on coffee (600x400): the cup's rim and the saucer


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    import skimage.data

    return skimage.data.coffee()


def _frame(src: np.ndarray, res: np.ndarray, region: np.ndarray, known=None) -> Frame:  # type: ignore[no-untyped-def]
    h, w = region.shape
    return Frame(
        source=src.astype(np.float32),
        result=res.astype(np.float32),
        known=np.ones((h, w), bool) if known is None else known,
        region=region,
        nan=np.zeros((h, w), bool),
    )


def _telea(src: np.ndarray, mask: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.inpaint(src, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)


def test_changed_fails_unchanged_and_near_equal_passes_fills(coffee: np.ndarray) -> None:
    mask = box_mask((600, 400), BOX)
    limit = cl.changed().threshold
    noisy = np.clip(coffee + np.random.default_rng(0).normal(0, 2, coffee.shape), 0, 255)
    for bad in (coffee, noisy.astype(np.uint8)):
        got = content.changed(_frame(coffee, bad, mask).window(8))
        assert got is not None and got[0] < limit
    got = content.changed(_frame(coffee, _telea(coffee, mask), mask).window(8))
    assert got is not None and got[0] >= limit


def _photo(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)()


# photo, box (x0, y0, x1, y1), where a shifted copy comes from (dx, dy): textured parts of each
COPY_CASES = [
    ("coffee", (200, 140, 360, 300), (200, -140)),  # the cup's right side and the saucer
    ("astronaut", (300, 300, 400, 400), (-250, -200)),  # the suit's arm and the flag
    ("astronaut", (250, 150, 294, 210), (-100, -120)),  # narrow: searched finer than 256 px
]


@pytest.mark.parametrize(("name", "box", "offset"), COPY_CASES)
def test_repetition_fails_mirrored_and_shifted_copies(
    name: str, box: tuple[int, int, int, int], offset: tuple[int, int]
) -> None:
    src = _photo(name)
    h, w = src.shape[:2]
    x0, y0, x1, y1 = box
    mask = box_mask((w, h), box)
    limit = cl.repetition().threshold
    mirrored = src.copy()  # the strip left of the box, mirrored into it
    mirrored[y0:y1, x0:x1] = src[y0:y1, 2 * x0 - x1 : x0][:, ::-1]
    dx, dy = offset
    shifted = src.copy()
    shifted[y0:y1, x0:x1] = src[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
    for bad in (mirrored, shifted):
        got = content.repetition(_frame(src, bad, mask))
        assert got is not None and got[0] > limit, got


@pytest.mark.parametrize(("name", "box", "offset"), COPY_CASES)
def test_repetition_passes_fills_and_new_content(
    name: str, box: tuple[int, int, int, int], offset: tuple[int, int]
) -> None:
    import cv2

    src = _photo(name)
    h, w = src.shape[:2]
    mask = box_mask((w, h), box)
    limit = cl.repetition().threshold
    other = _photo("chelsea" if name != "chelsea" else "coffee")
    pasted = np.where(mask[..., None], cv2.resize(other, (w, h)), src)  # new texture, no copy
    for clean in (_telea(src, mask), src, pasted):
        got = content.repetition(_frame(src, clean, mask))
        assert got is not None and got[0] <= limit, got


def test_repetition_fails_the_mirror_outpaint(coffee: np.ndarray) -> None:
    from retouch.executors.classical.fill import extend_canvas
    from retouch.planner.contract.schema import Extend

    canvas = extend_canvas(coffee, Extend(left=0, top=0, right=0, bottom=100))
    known = np.zeros(canvas.shape[:2], bool)
    known[:400] = True
    source = np.zeros_like(canvas)
    source[:400] = coffee
    got = content.repetition(_frame(source, canvas, ~known, known))
    assert got is not None and got[0] > cl.repetition().threshold, got
    other = np.where(
        known[..., None], source, np.random.default_rng(1).integers(0, 255, canvas.shape)
    )
    got = content.repetition(_frame(source, other.astype(np.uint8), ~known, known))
    assert got is not None and got[0] <= cl.repetition().threshold


def _click_plan(tmp_path: Path, src: np.ndarray, mask: np.ndarray, x: int, y: int):  # type: ignore[no-untyped-def]
    Image.fromarray(src).save(tmp_path / "source.png")
    request = EditRequest(
        image=str(tmp_path / "source.png"),
        edit="remove the spoon",
        sam={"points": [{"x": x, "y": y, "label": 1}]},
        scene="a cup of coffee on a saucer",
    )
    return make_plan(request, analyze(request))


def _mask_fit(report) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    item = next(i for i in report.items if i.id == "mask-fit")
    return item.status, item.detail


def test_mask_fit_fails_sliver_oversized_and_outside_click(
    tmp_path: Path, coffee: np.ndarray
) -> None:
    plan = _click_plan(tmp_path, coffee, box_mask((600, 400), BOX), 340, 160)
    assert "mask-fit" in [i.id for i in plan.qa]
    src = Image.fromarray(coffee)
    sliver = box_mask((600, 400), (338, 158, 344, 163))
    huge = box_mask((600, 400), (20, 20, 580, 380))
    elsewhere = box_mask((600, 400), (20, 20, 100, 100))
    for region, words in ((sliver, "covers"), (huge, "covers"), (elsewhere, "outside the mask")):
        status, detail = _mask_fit(
            check(src, Image.fromarray(_telea(coffee, region)), region, plan)
        )
        assert status == "fail" and words in detail, detail
    # a segment that follows the cup's edges, clicked inside: fits
    from skimage.segmentation import felzenszwalb

    seg = felzenszwalb(coffee, scale=300, sigma=0.8, min_size=200)
    good = seg == seg[160, 340]
    assert 0.0005 < good.mean() < 0.25
    plan = plan.model_copy(update={"mask": plan.mask.model_copy(update={"dilate_px": 0})})
    status, detail = _mask_fit(check(src, Image.fromarray(_telea(coffee, good)), good, plan))
    assert status == "pass", detail


def test_checklist_adds_content_checks_where_they_apply() -> None:
    ids = [i.id for i in cl.checklist("inpaint", None, False, True, "remove", "sam-points")]
    assert {"changed", "repetition", "mask-fit"} <= set(ids)
    ids = [i.id for i in cl.checklist("inpaint", None, False, True, "add", "given")]
    assert "changed" not in ids and "mask-fit" not in ids and "repetition" in ids
    assert "repetition" not in [i.id for i in cl.checklist("sdedit", 0.5, False, False)]
