"""Real face photos for the face tests: scikit-image's astronaut and matplotlib's Grace Hopper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _grace_hopper() -> np.ndarray:
    """matplotlib's sample portrait of Grace Hopper, uint8 (600, 512, 3)."""
    matplotlib = pytest.importorskip("matplotlib")  # its sample photo is the second face

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="session")
def two_people() -> np.ndarray:
    """The astronaut (left) and Grace Hopper (right) side by side, uint8 (512, 1024, 3)."""
    import skimage.data

    right = np.asarray(Image.fromarray(_grace_hopper()).resize((437, 512)))
    canvas = np.full((512, 512 + 437, 3), 255, np.uint8)
    canvas[:, :512] = skimage.data.astronaut()
    canvas[:, 512:] = right
    return canvas


@pytest.fixture(scope="session")
def grace_hopper() -> np.ndarray:
    """matplotlib's sample portrait of Grace Hopper, uint8 (600, 512, 3): another person."""
    return _grace_hopper()
