"""Shared fixtures: real sample photos from scikit-image (offline), masks, and the gpu marker."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    want_weights = os.environ.get("RETOUCH_TEST_WEIGHTS") == "1"
    for item in items:
        if "gpu" in item.keywords:
            try:
                import torch

                has_gpu = torch.cuda.is_available()
            except ImportError:
                has_gpu = False
            if not has_gpu:
                item.add_marker(pytest.mark.skip(reason="needs a CUDA GPU"))
        if "weights" in item.keywords and not want_weights:
            item.add_marker(
                pytest.mark.skip(reason="needs real weights: set RETOUCH_TEST_WEIGHTS=1")
            )


def _sample(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)()


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    """512x512 RGB photo."""
    return Image.fromarray(_sample("astronaut"))


@pytest.fixture(scope="session")
def coffee() -> Image.Image:
    """600x400 RGB photo."""
    return Image.fromarray(_sample("coffee"))


@pytest.fixture
def astronaut_path(tmp_path: Path, astronaut: Image.Image) -> Path:
    p = tmp_path / "astronaut.png"
    astronaut.save(p)
    return p


def box_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    """Bool (H, W) mask, True inside the XYXY box. ``size`` is (W, H)."""
    w, h = size
    m = np.zeros((h, w), dtype=bool)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = True
    return m


@pytest.fixture
def write_mask(tmp_path: Path):  # type: ignore[no-untyped-def]
    """write_mask(size, box, name='mask.png') -> path of an L mask, 255 inside the box."""

    def _write(
        size: tuple[int, int], box: tuple[int, int, int, int], name: str = "mask.png"
    ) -> Path:
        p = tmp_path / name
        Image.fromarray(np.where(box_mask(size, box), 255, 0).astype(np.uint8), "L").save(p)
        return p

    return _write
