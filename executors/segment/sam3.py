"""Masks from words with SAM 3 (transformers ``Sam3Model``) or SAM 3 LiteText
(``Sam3LiteTextModel``, the same model with a MobileCLIP text encoder): every instance of a noun
phrase.

    get_sam3(folder, device)          one loaded Sam3Segmenter per (folder, device), kept (LRU)
    └── Sam3Segmenter(model, proc)    __call__(image, text) -> [Instance], best score first
        └── features(rgb)             the vision encoder's output, cached by image content

SAM 3 runs its vision encoder (the ViT, nearly all of the cost: ~88 ms of an H100's frame) once per
image; a second phrase on the same image reuses the cached features and runs only the text encoder,
the DETR encoder/decoder and the mask head. Loads from a local folder only (``local_files_only``),
with the class its config's model_type names (checkpoints.variant_of); both read the same
``Sam3Processor`` and give the same masks contract. Finding the folder, and choosing between SAM 3
and LiteText, is executors/segment/checkpoints.py's job. Coordinates are pixels of the source
image, boxes XYXY.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from retouch.executors.segment.checkpoints import VARIANT_NAMES, Variant, variant_of
from retouch.executors.segment.lru import Lru
from retouch.executors.segment.prompts import Instance, image_key, to_rgb
from retouch.planner.contract.errors import InputError

if TYPE_CHECKING:
    from transformers import Sam3Model, Sam3Processor

SCORE_THRESHOLD = 0.5  # instance score (detection x presence) kept; the SAM 3 model card's value
MASK_THRESHOLD = 0.5  # mask probability that counts as inside
MAX_TOKENS = 32  # SAM 3's text encoder reads 32 tokens (start and end included)
FEATURE_CACHE_SIZE = 4  # images; SAM 3's features at 1008 px are ~110 MB in fp32
MODEL_CACHE_SIZE = 1  # SAM 3 is 3.4 GB in fp32

_MODELS: Lru[Sam3Segmenter] = Lru(MODEL_CACHE_SIZE)


def pick_device(device: str | None) -> str:
    """``device`` as given, else cuda when available, else cpu."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_sam3(folder: Path, device: str | None = None) -> Sam3Segmenter:
    """Sam3Model (or Sam3LiteTextModel, by the config's model_type) + Sam3Processor from a local
    folder (``local_files_only``), fp32 on CPU, bf16 on CUDA. Raises InputError for a folder
    transformers cannot read as either."""
    import torch
    from transformers import Sam3LiteTextModel, Sam3Model, Sam3Processor

    variant: Variant = variant_of(folder) or "sam3"
    model_class = Sam3LiteTextModel if variant == "sam3-litetext" else Sam3Model
    dev = pick_device(device)
    dtype = torch.bfloat16 if dev.startswith("cuda") else torch.float32
    try:
        processor = Sam3Processor.from_pretrained(folder, local_files_only=True)
        model = model_class.from_pretrained(folder, local_files_only=True, dtype=dtype)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        like = "yonigozlan/sam3-litetext-s0" if variant == "sam3-litetext" else "facebook/sam3"
        raise InputError(
            f"{folder} is not a complete {VARIANT_NAMES[variant]} folder ({first}); it needs "
            f"config.json, the weights and the processor/tokenizer files of {like}"
        ) from exc
    return Sam3Segmenter(model.to(dev).eval(), processor, variant=variant)


def get_sam3(folder: Path, device: str | None = None) -> Sam3Segmenter:
    """The Sam3Segmenter for ``folder``, loaded once and kept; a changed config.json reloads."""
    config = folder / "config.json"
    stamp = config.stat().st_mtime_ns if config.exists() else 0
    key = (str(folder.resolve()), stamp, pick_device(device))
    return _MODELS.get(key, lambda: load_sam3(folder, key[-1]))


def clear_model_cache() -> None:
    _MODELS.clear()


class Sam3Segmenter:
    """One loaded SAM 3 (or LiteText) with an LRU of vision features per image content. Thread-safe."""

    def __init__(
        self,
        model: Sam3Model,
        processor: Sam3Processor,
        cache_size: int = FEATURE_CACHE_SIZE,
        variant: Variant = "sam3",
    ) -> None:
        self.model = model
        self.processor = processor
        self.sam_type: Variant = variant  # "sam3" | "sam3-litetext": what ran
        self._features: Lru[tuple[Any, list[list[int]]]] = Lru(cache_size)

    @property
    def cached_images(self) -> int:
        return len(self._features)

    def features(self, rgb: np.ndarray) -> tuple[Any, list[list[int]]]:
        """(vision encoder output, original sizes [[H, W]]) for RGB uint8 (H, W, 3), cached."""
        import torch

        def encode() -> tuple[Any, list[list[int]]]:
            inputs = self.processor(images=Image.fromarray(rgb), return_tensors="pt")
            pixels = inputs["pixel_values"].to(self.model.device, self.model.dtype)
            with torch.inference_mode():
                return self.model.get_vision_features(pixel_values=pixels), inputs[
                    "original_sizes"
                ].tolist()

        return self._features.get(image_key(rgb), encode)

    def tokens(self, text: str) -> dict[str, Any]:
        """The phrase as input_ids/attention_mask; InputError when it is longer than SAM 3 reads."""
        n = len(self.processor.tokenizer(text)["input_ids"])
        if n > MAX_TOKENS:
            raise InputError(
                f"text {text!r} is {n} tokens; SAM 3 reads at most {MAX_TOKENS}: name the "
                "object in a few words ('the red car') and say which one with words like "
                "'on the left'"
            )
        return self.processor(text=text, return_tensors="pt")

    def __call__(
        self,
        image: Image.Image | np.ndarray,
        text: str,
        *,
        threshold: float = SCORE_THRESHOLD,
        mask_threshold: float = MASK_THRESHOLD,
    ) -> list[Instance]:
        """Every instance of ``text`` on ``image`` (PIL or RGB uint8 (H, W, 3)) scoring above
        ``threshold``, best first, ids 1..n; [] when none does. Empty masks are dropped."""
        import torch

        # 1. check inputs
        if not text or not text.strip():
            raise InputError("text is empty; name the object, e.g. 'the dog'")
        rgb = to_rgb(image)
        words = self.tokens(text.strip())
        # 2. vision features (cached per image) + the phrase through the detector
        vision, sizes = self.features(rgb)
        with torch.inference_mode():
            out = self.model(
                vision_embeds=vision,
                input_ids=words["input_ids"].to(self.model.device),
                attention_mask=words["attention_mask"].to(self.model.device),
            )
        found = self.processor.post_process_instance_segmentation(
            out, threshold=threshold, mask_threshold=mask_threshold, target_sizes=sizes
        )[0]
        # 3. instances, best score first
        scores = found["scores"].float().cpu().numpy()
        boxes = found["boxes"].float().cpu().numpy()
        masks = found["masks"].cpu().numpy().astype(bool)
        h, w = rgb.shape[:2]
        boxes = np.clip(boxes, 0, [w, h, w, h])
        order = [i for i in np.argsort(-scores, kind="stable") if masks[i].any()]
        return [
            Instance(
                id=n,
                box=tuple(float(v) for v in boxes[i]),  # type: ignore[arg-type]
                score=float(scores[i]),
                area=float(masks[i].mean()),
                mask=masks[i],
            )
            for n, i in enumerate(order, start=1)
        ]
