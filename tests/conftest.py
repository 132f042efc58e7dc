"""Shared fixtures: real sample photos from scikit-image (offline), masks, and the gpu marker."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

# Files retouch keeps between runs (dlib's detector in binary form) go to a folder of this test
# session, not the user's cache; subprocesses inherit it.
if "RETOUCH_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["RETOUCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="retouch-test-cache-")


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


# ------------------------------------------------------------------ Segment Anything 2/3 (issue 16)
# Tiny random SAM 3 / SAM 2.1 folders (built once per session) and a no-network guard.


@pytest.fixture(scope="session")
def sam3_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SAM 3 whose instances score above the 0.5 threshold (some are found)."""
    from tests.support.tiny_segment import save_tiny_sam3

    return save_tiny_sam3(tmp_path_factory.mktemp("sam3") / "tiny-sam3")


@pytest.fixture(scope="session")
def sam3_blind_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SAM 3 whose presence score is ~0: it never finds anything."""
    from tests.support.tiny_segment import save_tiny_sam3

    return save_tiny_sam3(tmp_path_factory.mktemp("sam3") / "blind-sam3", score_bias=-20.0)


@pytest.fixture(scope="session")
def sam2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.tiny_segment import save_tiny_sam2

    return save_tiny_sam2(tmp_path_factory.mktemp("sam2") / "tiny-sam2")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No sockets, an empty Hugging Face cache, no $RETOUCH_SAM_CHECKPOINT, fresh model caches."""
    import socket

    import huggingface_hub.constants
    import torch
    from retouch.executors.segment import checkpoints, sam2, sam3

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv(checkpoints.CHECKPOINT_ENV, raising=False)
    torch.set_num_threads(1)
    sam3.clear_model_cache()
    sam2.clear_model_cache()
