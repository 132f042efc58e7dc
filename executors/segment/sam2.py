"""Masks from clicks and boxes with SAM 2.1 (transformers ``Sam2Model``), beside SAM 1 (sam.py).

    get_sam2(folder, device)          one loaded Sam2Segmenter per (folder, device), kept (LRU)
    └── Sam2Segmenter(model, proc)    __call__(image, prompt) -> MaskResult, three candidates
        └── embeddings(rgb)           the Hiera encoder's output, cached by image content

As with SAM 1, the image encoder runs once per image; further prompts on it only run the prompt
encoder and mask decoder. Loads from a local folder only (``local_files_only``). Coordinates are
pixels of the source image, boxes XYXY.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from retouch.executors.segment.lru import Lru
from retouch.executors.segment.prompts import (
    MaskResult,
    best_first,
    check_prompt,
    image_key,
    to_rgb,
)
from retouch.executors.segment.sam3 import pick_device
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import SamPrompt

if TYPE_CHECKING:
    from transformers import Sam2Model, Sam2Processor

EMBEDDING_CACHE_SIZE = 8  # images
MODEL_CACHE_SIZE = 2
# Hiera widths of the released SAM 2.1 checkpoints -> the name the latency table uses.
SIZES = {96: "sam2.1-tiny", 112: "sam2.1-base-plus", 144: "sam2.1-large"}

_MODELS: Lru[Sam2Segmenter] = Lru(MODEL_CACHE_SIZE)


def size_name(model: Sam2Model) -> str:
    """sam2.1-tiny / -small / -base-plus / -large from the encoder's shape, else 'sam2.1'."""
    backbone = model.config.vision_config.backbone_config
    width, blocks = backbone.hidden_size, sum(backbone.blocks_per_stage)
    if width == 96:
        return "sam2.1-tiny" if blocks <= 12 else "sam2.1-small"
    return SIZES.get(width, "sam2.1")


def load_sam2(folder: Path, device: str | None = None) -> Sam2Segmenter:
    """Sam2Model + Sam2Processor from a local folder (``local_files_only``), fp32.

    Raises InputError for a folder transformers cannot read as SAM 2."""
    from transformers import Sam2Model, Sam2Processor

    try:
        processor = Sam2Processor.from_pretrained(folder, local_files_only=True)
        model = Sam2Model.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"{folder} is not a complete SAM 2.1 folder ({first}); it needs config.json, the "
            "weights and processor_config.json of e.g. facebook/sam2.1-hiera-tiny"
        ) from exc
    return Sam2Segmenter(model.to(pick_device(device)).eval(), processor)


def get_sam2(folder: Path, device: str | None = None) -> Sam2Segmenter:
    """The Sam2Segmenter for ``folder``, loaded once and kept; a changed config.json reloads."""
    config = folder / "config.json"
    stamp = config.stat().st_mtime_ns if config.exists() else 0
    key = (str(folder.resolve()), stamp, pick_device(device))
    return _MODELS.get(key, lambda: load_sam2(folder, key[-1]))


def clear_model_cache() -> None:
    _MODELS.clear()


class Sam2Segmenter:
    """One loaded SAM 2.1 with an LRU of image embeddings per image content. Thread-safe."""

    def __init__(
        self, model: Sam2Model, processor: Sam2Processor, cache_size: int = EMBEDDING_CACHE_SIZE
    ) -> None:
        self.model = model
        self.processor = processor
        self.sam_type = size_name(model)
        self._embeddings: Lru[tuple[Any, list[list[int]]]] = Lru(cache_size)

    @property
    def cached_images(self) -> int:
        return len(self._embeddings)

    def embeddings(self, rgb: np.ndarray) -> tuple[Any, list[list[int]]]:
        """(image embeddings, original sizes [[H, W]]) for RGB uint8 (H, W, 3), cached."""
        import torch

        def encode() -> tuple[Any, list[list[int]]]:
            inputs = self.processor(images=Image.fromarray(rgb), return_tensors="pt")
            pixels = inputs["pixel_values"].to(self.model.device, self.model.dtype)
            with torch.inference_mode():
                emb = self.model.get_image_embeddings(pixels)
            return emb, inputs["original_sizes"].tolist()

        return self._embeddings.get(image_key(rgb), encode)

    def __call__(self, image: Image.Image | np.ndarray, prompt: SamPrompt) -> MaskResult:
        """Segment the object the clicks/box mark. ``image``: PIL or RGB uint8 (H, W, 3)."""
        import torch

        # 1. check inputs
        rgb = to_rgb(image)
        check_prompt(prompt, (rgb.shape[1], rgb.shape[0]))
        if prompt.text is not None:
            raise InputError("SAM 2.1 takes clicks and boxes; words need SAM 3")
        emb, sizes = self.embeddings(rgb)
        kwargs: dict[str, Any] = {}
        if prompt.points:
            kwargs["input_points"] = [[[[p.x, p.y] for p in prompt.points]]]
            kwargs["input_labels"] = [[[p.label for p in prompt.points]]]
        if prompt.box is not None:
            kwargs["input_boxes"] = [[list(prompt.box)]]
        inputs = self.processor(original_sizes=sizes, return_tensors="pt", **kwargs)
        # 2. prompt encoder + mask decoder on the cached embedding, three candidates
        with torch.inference_mode():
            out = self.model(
                image_embeddings=emb,
                multimask_output=True,
                **{k: v.to(self.model.device) for k, v in inputs.items() if k != "original_sizes"},
            )
        masks = self.processor.post_process_masks(out.pred_masks.cpu(), sizes)[0][0].numpy()
        ious = out.iou_scores[0, 0].float().cpu().numpy()
        # 3. best predicted IoU first
        return best_first(masks, ious, self.sam_type, f"SAM 2.1 ({self.sam_type})")
