"""Bounded canvases (issue 31, item 3): an extended canvas and every work size are checked against
the canvas pixel limit before anything is allocated, in the planner and again at the executor's
entry; the error names the largest extension that fits at this aspect."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from retouch.planner import analyze, make_plan
from retouch.planner.contract.bounds import DEFAULT_MAX_CANVAS_PIXELS
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import EditRequest, Extend
from retouch.planner.language.sizes import (
    canvas_limit,
    check_canvas,
    largest_extension,
)


@pytest.fixture
def square(tmp_path: Path) -> Path:
    """A 1000x1000 PNG of a few KB: the review's case."""
    p = tmp_path / "square.png"
    Image.fromarray(np.full((1000, 1000, 3), 90, np.uint8)).save(p)
    return p


def test_the_reviews_canvas_is_refused_at_once_naming_the_largest_extension(square: Path) -> None:
    request = EditRequest(
        image=str(square),
        edit="extend the background",
        extend=Extend(left=2000, top=2000, right=2000, bottom=2000),
    )
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        make_plan(request, analyze(request))
    assert time.perf_counter() - start < 5  # it took 114 s of CPU to run before
    msg = str(err.value)
    assert "5000x5000 = 25000000 pixels" in msg and f"{DEFAULT_MAX_CANVAS_PIXELS}-pixel" in msg
    assert "at most 1548 px per side at this aspect" in msg  # (1000 + 2*1548)^2 <= 4096^2
    assert (
        err.value.hints[0].setting == "extend" and err.value.hints[0].value == "1548,1548,1548,1548"
    )
    fits = Extend(left=1548, top=1548, right=1548, bottom=1548)
    make_plan(*(lambda r: (r, analyze(r)))(request.model_copy(update={"extend": fits})))


def test_size_words_are_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.fromarray(np.full((256, 256, 3), 90, np.uint8)).save(tmp_path / "a.png")
    monkeypatch.setenv("RETOUCH_MAX_CANVAS_PIXELS", "100000")
    request = EditRequest(image=str(tmp_path / "a.png"), edit="make it 16:9")  # 456x256 > 1e5
    with pytest.raises(InputError, match="over the 100000-pixel canvas limit; extend at most"):
        make_plan(request, analyze(request))


def test_the_limit_never_exceeds_the_image_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETOUCH_MAX_CANVAS_PIXELS", str(10**12))
    monkeypatch.setenv("RETOUCH_MAX_PIXELS", "5000")
    assert canvas_limit() == 5000
    with pytest.raises(InputError, match="leaves no room to extend"):
        check_canvas(80, 80, Extend(left=8))
    with pytest.raises(InputError, match="the work size would be 80x80 = 6400 pixels"):
        check_canvas(80, 80, None, "work size")
    monkeypatch.setenv("RETOUCH_MAX_CANVAS_PIXELS", "many")
    with pytest.raises(InputError, match="not a whole number"):
        canvas_limit()


@settings(max_examples=300, deadline=None)
@given(
    w=st.integers(1, 5000),
    h=st.integers(1, 5000),
    sides=st.tuples(*[st.integers(0, 16_384)] * 4).filter(any),
    limit=st.integers(1, 50_000_000),
)
def test_the_named_extension_is_the_largest_that_fits(
    w: int, h: int, sides: tuple[int, int, int, int], limit: int
) -> None:
    ext = Extend(left=sides[0], top=sides[1], right=sides[2], bottom=sides[3])
    fit = largest_extension(w, h, ext, limit)
    cw, ch = w + fit[0] + fit[2], h + fit[1] + fit[3]
    if w * h >= limit:
        assert fit == (0, 0, 0, 0)
        return
    assert cw * ch <= limit and all(0 <= f <= s for f, s in zip(fit, sides, strict=True))
    if fit != sides:  # one pixel more on the longest side, the others in proportion: too big
        t = (max(fit) + 1) / max(sides)
        grown = (w + t * (sides[0] + sides[2])) * (h + t * (sides[1] + sides[3]))
        assert grown > limit * (1 - 1e-9)


def test_the_executor_entry_checks_again(square: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan made under a larger limit (or edited by hand) is refused before the canvas exists."""
    from retouch.executors.run import run_plan

    request = EditRequest(
        image=str(square), edit="extend the background", extend=Extend(left=400, right=400)
    )
    plan = make_plan(request, analyze(request))
    monkeypatch.setenv("RETOUCH_MAX_CANVAS_PIXELS", "1500000")
    start = time.perf_counter()
    with pytest.raises(InputError, match="1800x1000 = 1800000 pixels.*at most 250 px per side"):
        run_plan(plan, executor="classical")
    assert time.perf_counter() - start < 5
