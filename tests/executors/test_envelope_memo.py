"""The envelope's measures are kept per image and region content (executors/envelope.py): the same
inputs give the same measures, each caller its own copy, other content its own measures; the face
look-up follows $RETOUCH_FACE_MODELS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from retouch.executors import envelope
from retouch.executors.faces import faces_available, models


def _box(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    region = np.zeros((512, 512), bool)
    region[y0:y1, x0:x1] = True
    return region


def test_same_content_same_measures_each_caller_its_own_copy() -> None:
    rgb = skimage.data.astronaut()
    first = envelope.measure(rgb, _box(0, 292, 344, 474))
    first.width_px, first.notes = -1.0, ["changed by a caller"]
    again = envelope.measure(rgb.copy(), _box(0, 292, 344, 474))  # equal content, new arrays
    fresh = envelope._measure(rgb, _box(0, 292, 344, 474), True)  # measured without the memo
    assert (again.width_px, again.crossings, again.faces, again.face_cover, again.notes) == (
        fresh.width_px,
        fresh.crossings,
        fresh.faces,
        fresh.face_cover,
        [],
    )
    assert again.width_px == 130.0  # the 130 px wide shuttle box


def test_other_content_is_measured_anew() -> None:
    rgb = skimage.data.astronaut()
    narrow = envelope.measure(rgb, _box(0, 292, 344, 374))
    wide = envelope.measure(rgb, _box(0, 292, 344, 474))
    assert (narrow.width_px, wide.width_px) == (30.0, 130.0)
    flat = envelope.measure(rgb // 8, _box(0, 292, 344, 474))  # same shape, weaker edges
    assert flat.crossings == envelope._measure(rgb // 8, _box(0, 292, 344, 474), True).crossings
    assert flat.crossings < wide.crossings


@pytest.mark.skipif(not faces_available(), reason="needs dlib (retouch[faces])")
def test_faces_available_follows_the_models_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(models.MODELS_ENV, str(tmp_path))  # a folder without the .dat files
    assert not faces_available()
    region = _box(60, 200, 150, 300)  # over the astronaut's face
    assert envelope.measure(skimage.data.astronaut(), region).faces is None  # not "no face"
    monkeypatch.delenv(models.MODELS_ENV)
    assert faces_available()
    assert envelope.measure(skimage.data.astronaut(), region).faces == 1


def test_a_given_mask_file_is_read_again_once_rewritten(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "mask.png"
    Image.fromarray(_box(0, 292, 344, 474).astype(np.uint8) * 255).save(path)
    first = envelope._given_mask(str(path), (512, 512))
    first[:] = False  # a caller's change stays its own
    again = envelope._given_mask(str(path), (512, 512))
    assert again is not None and again.sum() == 292 * 130
    Image.fromarray(_box(0, 100, 0, 100).astype(np.uint8) * 255).save(path)  # same name
    assert envelope._given_mask(str(path), (512, 512)).sum() == 100 * 100
    assert envelope._given_mask(str(path), (256, 256)).sum() == 50 * 50  # another size
    path.unlink()
    assert envelope._given_mask(str(path), (512, 512)) is None
