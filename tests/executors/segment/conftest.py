"""Tiny random SAM 3 / SAM 2.1 folders (built once per session) and a no-network guard."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import torch

from executors.segment import checkpoints, sam2, sam3
from executors.segment.tiny import save_tiny_sam2, save_tiny_sam3


@pytest.fixture(scope="session")
def sam3_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SAM 3 whose instances score above the 0.5 threshold (some are found)."""
    return save_tiny_sam3(tmp_path_factory.mktemp("sam3") / "tiny-sam3")


@pytest.fixture(scope="session")
def sam3_blind_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SAM 3 whose presence score is ~0: it never finds anything."""
    return save_tiny_sam3(tmp_path_factory.mktemp("sam3") / "blind-sam3", score_bias=-20.0)


@pytest.fixture(scope="session")
def sam2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sam2(tmp_path_factory.mktemp("sam2") / "tiny-sam2")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No sockets, an empty Hugging Face cache, no $RETOUCH_SAM_CHECKPOINT, fresh model caches."""
    import huggingface_hub.constants

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv(checkpoints.CHECKPOINT_ENV, raising=False)
    torch.set_num_threads(1)
    sam3.clear_model_cache()
    sam2.clear_model_cache()
