"""The HOG detector's binary copy (executors/faces/models.py): written once, loaded after, the same
detector as dlib's built-in one; a damaged or unwritable copy falls back to building it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from retouch.executors.faces import faces_available, models

pytestmark = pytest.mark.skipif(
    not faces_available(), reason="needs the faces extra: pip install 'retouch[faces]'"
)


def _fresh(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """A process that has not loaded the HOG detector yet, caching under ``cache``."""
    monkeypatch.setenv(models.CACHE_ENV, str(cache))
    monkeypatch.delitem(models._LOADED, "hog", raising=False)


def _runs(detector: object, rgb: np.ndarray) -> tuple[list[tuple[int, ...]], list[float]]:
    rects, scores, _ = detector.run(rgb, 1, 0.0)  # type: ignore[attr-defined]
    boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
    return boxes, [round(s, 9) for s in scores]


def test_the_saved_copy_is_loaded_and_detects_as_the_built_in_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, two_people: np.ndarray
) -> None:
    import dlib

    built_in = dlib.get_frontal_face_detector()
    _fresh(monkeypatch, tmp_path)
    first = models.load("hog")
    path = models.hog_cache_path(dlib)
    assert path.is_file() and path.parent.parent == tmp_path
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    # a second process reads the copy: building the detector is not needed (nor possible here)
    _fresh(monkeypatch, tmp_path)

    def refuse() -> None:
        raise AssertionError("the detector was built, not read from its copy")

    monkeypatch.setattr(dlib, "get_frontal_face_detector", refuse)
    second = models.load("hog")
    want = _runs(built_in, two_people)
    assert len(want[0]) >= 2  # the astronaut and Grace Hopper
    assert _runs(first, two_people) == want
    assert _runs(second, two_people) == want


def test_a_damaged_copy_is_rebuilt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, two_people: np.ndarray
) -> None:
    import dlib

    path = models.hog_cache_path(dlib).relative_to(models.hog_cache_path(dlib).parents[1])
    damaged = tmp_path / path
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not a detector")
    _fresh(monkeypatch, tmp_path)
    detector = models.load("hog")
    assert _runs(detector, two_people) == _runs(dlib.get_frontal_face_detector(), two_people)
    assert damaged.stat().st_size > 100_000  # saved again, whole
    assert _runs(dlib.fhog_object_detector(str(damaged)), two_people) == _runs(detector, two_people)


def test_an_unwritable_cache_still_gives_the_detector(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, two_people: np.ndarray
) -> None:
    import dlib

    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder's place is taken by a file")
    _fresh(monkeypatch, blocker)
    detector = models.load("hog")
    assert _runs(detector, two_people) == _runs(dlib.get_frontal_face_detector(), two_people)
    assert blocker.read_text().startswith("the cache folder")
