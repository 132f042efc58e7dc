"""Masks from clicks and boxes with Segment Anything, or GrabCut when no SAM checkpoint is present.

    segment(image, prompt)            one call: checks the prompt, picks SAM or the GrabCut fallback
    └── SamSegmenter(model, type)     one loaded SAM + SamPredictor + an LRU of image embeddings
        └── load_sam(path, type)      checkpoint (local path only) -> Sam, type checked before loading

Which model: ``checkpoint`` argument, else ``$RETOUCH_SAM_CHECKPOINT``, else GrabCut
(``executors/segment/grabcut.py``, stated as lower quality in ``MaskResult.note``). Nothing is downloaded.
The image encoder (the only expensive part: ~40 ms SAM-B, ~200 ms SAM-H at 1024 px on an L4) runs once
per image: its embedding is cached by image content, so further prompts on the same image only run
the prompt encoder and mask decoder (milliseconds). Loaded models are cached per (checkpoint, type,
device). Coordinates are pixels of the source image, boxes XYXY.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from retouch.executors.segment.checkpoints import CHECKPOINT_ENV
from retouch.executors.segment.prompts import (
    MaskResult,
    best_first,
    check_prompt,
    image_key,
    to_rgb,
)
from retouch.planner.catalog.registry import SAM_CHECKPOINT_HINT, SAM_CHECKPOINT_HINTS
from retouch.planner.contract.errors import InputError, ModelMissingError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import SamPrompt

if TYPE_CHECKING:
    from segment_anything.modeling import Sam

EMBEDDING_CACHE_SIZE = 8  # images per model; a 1024-px SAM embedding is 1x256x64x64 float32 = 4 MiB
MODEL_CACHE_SIZE = 2  # loaded SAM models kept (SAM-H is 2.4 GiB)


# ------------------------------------------------------------------------------------ architectures


@dataclass(frozen=True)
class SamArch:
    """A SAM architecture: how to build it untrained, and how to recognise its checkpoint."""

    build: Callable[[], Sam]  # untrained model; weights are loaded by load_sam
    embed_dim: int  # image-encoder width = patch_embed.proj.weight.shape[0]
    depth: int  # image-encoder blocks


def _official(name: str) -> Sam:
    from segment_anything import sam_model_registry

    return sam_model_registry[name]()


# The released types, built by segment-anything's own builders (tests/support/tiny_segment.py adds
# a random tiny one for tests).
SAM_ARCHS: dict[str, SamArch] = {
    "vit_b": SamArch(build=partial(_official, "vit_b"), embed_dim=768, depth=12),
    "vit_l": SamArch(build=partial(_official, "vit_l"), embed_dim=1024, depth=24),
    "vit_h": SamArch(build=partial(_official, "vit_h"), embed_dim=1280, depth=32),
}
RELEASED_TYPES = ("vit_b", "vit_l", "vit_h")
AUTO = "auto"  # read the type from the checkpoint's tensors


def check_sam_type(sam_type: str) -> None:
    """Raise InputError unless ``sam_type`` is a known architecture or ``auto``."""
    if sam_type != AUTO and sam_type not in SAM_ARCHS:
        raise InputError(
            f"SAM type {sam_type!r} is unknown; use one of "
            f"{', '.join(RELEASED_TYPES)} (or auto: read it from the checkpoint)"
        )


# ------------------------------------------------------------------------------------ loading


def _arch_of(state: dict[str, Any]) -> tuple[int, int] | None:
    """(encoder width, encoder blocks) read from a SAM state dict, or None if it is not one."""
    proj = state.get("image_encoder.patch_embed.proj.weight")
    if proj is None or not hasattr(proj, "shape"):
        return None
    blocks = {k.split(".")[2] for k in state if k.startswith("image_encoder.blocks.")}
    return int(proj.shape[0]), len(blocks)


def _type_named(width: int, depth: int) -> str | None:
    return next((n for n, a in SAM_ARCHS.items() if (a.embed_dim, a.depth) == (width, depth)), None)


def _read_checkpoint(path: Path, sam_type: str) -> tuple[dict[str, Any], str]:
    """(state dict, its type): ``sam_type`` checked against the tensors, or read from them (auto)."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a bad file
        raise InputError(
            f"SAM checkpoint {path} is not a PyTorch state dict ({type(exc).__name__})"
            "; give the .pth file from the segment-anything release"
        ) from exc
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    found = _arch_of(state) if isinstance(state, dict) else None
    if found is None:
        raise InputError(
            f"{path} is not a Segment Anything checkpoint (no image encoder weights); "
            "give a sam_vit_b/l/h_*.pth file"
        )
    named = _type_named(*found)
    if named is None:
        raise InputError(
            f"SAM checkpoint {path} has an unknown architecture (encoder width "
            f"{found[0]}, {found[1]} blocks); give a sam_vit_b/l/h_*.pth file"
        )
    if sam_type not in (AUTO, named):
        raise InputError(
            f"SAM checkpoint {path} is a {named} checkpoint (encoder width {found[0]}, "
            f"{found[1]} blocks), not {sam_type}; give the type {named}",
            [hint("sam_type", named)],
        )
    return state, named


def _load(checkpoint: str | os.PathLike[str], sam_type: str, device: str | None) -> tuple[Sam, str]:
    # 1. check inputs: the type, the file, and that the file holds this type
    check_sam_type(sam_type)
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise ModelMissingError(
            f"SAM checkpoint not found: {path}; {SAM_CHECKPOINT_HINT}", SAM_CHECKPOINT_HINTS
        )
    state, sam_type = _read_checkpoint(path, sam_type)
    # 2. build the architecture with segment-anything's builder and load the weights
    model = SAM_ARCHS[sam_type].build()
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise InputError(
            f"SAM checkpoint {path} does not fit {sam_type} ({first}); give an "
            f"unmodified sam_{sam_type}_*.pth file"
        ) from exc
    return model.to(pick_device(device)).eval(), sam_type


def load_sam(
    checkpoint: str | os.PathLike[str], sam_type: str = "vit_b", device: str | None = None
) -> Sam:
    """Build ``sam_type`` with segment-anything's builder and load a local checkpoint into it.

    The checkpoint's architecture is read from its tensors first, so a vit_l file passed as vit_b
    fails with a message naming both before any model is built; ``sam_type="auto"`` takes the
    type from the file. Raises ModelMissingError for a missing file, InputError for a file that is
    not a SAM checkpoint of ``sam_type``.
    """
    return _load(checkpoint, sam_type, device)[0]


def pick_device(device: str | None) -> str:
    """``device`` as given, else cuda when available, else cpu."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


_MODELS: OrderedDict[tuple[Any, ...], SamSegmenter] = OrderedDict()
_MODELS_LOCK = threading.Lock()


def get_segmenter(
    checkpoint: str | os.PathLike[str], sam_type: str = "vit_b", device: str | None = None
) -> SamSegmenter:
    """A SamSegmenter for this checkpoint, loaded once and kept (LRU of MODEL_CACHE_SIZE models).

    The key includes the file's size and modification time, so a replaced file is loaded again.
    """
    check_sam_type(sam_type)
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise ModelMissingError(
            f"SAM checkpoint not found: {path}; {SAM_CHECKPOINT_HINT}", SAM_CHECKPOINT_HINTS
        )
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, sam_type, pick_device(device))
    with _MODELS_LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            return _MODELS[key]
        segmenter = SamSegmenter(*_load(path, sam_type, key[-1]))
        _MODELS[key] = segmenter
        while len(_MODELS) > MODEL_CACHE_SIZE:
            _MODELS.popitem(last=False)
        return segmenter


def clear_model_cache() -> None:
    with _MODELS_LOCK:
        _MODELS.clear()


# ------------------------------------------------------------------------------------ SAM


class SamSegmenter:
    """One loaded SAM with its SamPredictor and an LRU cache of image embeddings.

    ``__call__(image, prompt)`` runs the image encoder only for an image it has not seen (by
    content); a second prompt on the same image reuses the cached embedding. Thread-safe.
    """

    def __init__(self, model: Sam, sam_type: str, cache_size: int = EMBEDDING_CACHE_SIZE) -> None:
        from segment_anything import SamPredictor

        if cache_size < 1:
            raise ValueError(f"cache_size is {cache_size}; it must be at least 1")
        self.model = model
        self.sam_type = sam_type
        self.predictor = SamPredictor(model)
        self.cache_size = cache_size
        self._embeddings: OrderedDict[str, tuple[Any, tuple[int, ...], tuple[int, ...]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def _set_image(self, rgb: np.ndarray) -> None:
        """Point the predictor at ``rgb``: from the cache, or by running the image encoder once."""
        key = image_key(rgb)
        p = self.predictor
        cached = self._embeddings.get(key)
        if cached is not None:
            self._embeddings.move_to_end(key)
            p.features, p.original_size, p.input_size = cached
            p.is_image_set = True
            return
        p.set_image(rgb, image_format="RGB")
        self._embeddings[key] = (p.features, p.original_size, p.input_size)
        while len(self._embeddings) > self.cache_size:
            self._embeddings.popitem(last=False)

    def __call__(self, image: Image.Image | np.ndarray, prompt: SamPrompt) -> MaskResult:
        """Segment the object the prompt marks. ``image``: PIL or RGB uint8 (H, W, 3)."""
        # 1. check inputs
        rgb = to_rgb(image)
        check_prompt(prompt, (rgb.shape[1], rgb.shape[0]))
        coords = labels = box = None
        if prompt.points:
            coords = np.array([[p.x, p.y] for p in prompt.points], dtype=np.float32)
            labels = np.array([p.label for p in prompt.points], dtype=np.int64)
        if prompt.box is not None:
            box = np.array(prompt.box, dtype=np.float32)
        # 2. embedding (cached) + prompt decoding, three candidate masks
        with self._lock:
            self._set_image(rgb)
            masks, ious, _ = self.predictor.predict(
                point_coords=coords, point_labels=labels, box=box, multimask_output=True
            )
        # 3. best predicted IoU first
        return best_first(masks, ious, self.sam_type, f"Segment Anything {self.sam_type}")

    @property
    def cached_images(self) -> int:
        return len(self._embeddings)


# ------------------------------------------------------------------------------------ entry point


def segment(
    image: Image.Image,
    prompt: SamPrompt,
    *,
    checkpoint: str | None = None,
    sam_type: str = "vit_b",
    device: str | None = None,
) -> MaskResult:
    """Mask of the object ``prompt`` marks on ``image``: SAM when a checkpoint is known, else GrabCut.

    ``checkpoint``: local .pth path; None reads ``$RETOUCH_SAM_CHECKPOINT``; neither -> the GrabCut
    fallback, which says so in ``note``. ``sam_type``: vit_b | vit_l | vit_h, or auto to read it
    from the checkpoint. Raises InputError for a bad prompt or a checkpoint that is not
    ``sam_type``; ModelMissingError for a checkpoint path that does not exist.
    """
    # 1. check inputs before loading anything
    check_sam_type(sam_type)
    rgb = to_rgb(image)
    check_prompt(prompt, (rgb.shape[1], rgb.shape[0]))
    path = checkpoint or os.environ.get(CHECKPOINT_ENV) or None
    # 2. SAM, or the classical fallback
    if path is None:
        from retouch.executors.segment.grabcut import GrabCutSegmenter

        return GrabCutSegmenter()(rgb, prompt)
    return get_segmenter(path, sam_type, device)(rgb, prompt)
