"""Prompt adherence with CLIP, when CLIP weights are on this machine (never downloaded).

The ``prompt-adherence`` check compares the CLIP similarity of the plan's positive prompt with the
edited area of the result and with the same area of the source: an edit that carried the prompt out
moves the area toward it. Without weights the check is reported ``skipped``, never passed. Weights
come from ``RETOUCH_CLIP_MODEL`` (a local CLIP folder or a model id in the local Hugging Face cache),
else ``openai/clip-vit-base-patch32`` from the local cache. torch and transformers are imported here
only when weights were found.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

DEFAULT_CLIP = "openai/clip-vit-base-patch32"
CONTEXT = 0.25  # the area CLIP sees: the region's box grown by this fraction of its long side
_CACHE: dict[Path, tuple[Any, Any]] = {}
_LOCK = threading.Lock()


def clip_folder() -> Path | None:
    """The local CLIP folder to use, or None when there is none on this machine."""
    name = os.environ.get("RETOUCH_CLIP_MODEL") or DEFAULT_CLIP
    path = Path(name).expanduser()
    if path.is_dir():
        return path if (path / "config.json").is_file() else None
    try:
        from huggingface_hub import snapshot_download

        found = Path(snapshot_download(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - not in the cache (or no hub library): no weights
        return None
    return found if (found / "config.json").is_file() else None


def _load(folder: Path) -> tuple[Any, Any]:
    with _LOCK:
        if folder not in _CACHE:
            from transformers import CLIPModel, CLIPProcessor

            model = CLIPModel.from_pretrained(folder, local_files_only=True).eval()
            processor = CLIPProcessor.from_pretrained(folder, local_files_only=True)
            _CACHE[folder] = (model, processor)
        return _CACHE[folder]


def crop_box(region: np.ndarray) -> tuple[int, int, int, int]:
    """XYXY box (exclusive end) CLIP looks at: the region's box plus CONTEXT, clipped."""
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    h, w = region.shape
    if rows.size == 0:
        return 0, 0, w, h
    pad = int(CONTEXT * max(rows[-1] + 1 - rows[0], cols[-1] + 1 - cols[0]))
    return (max(0, cols[0] - pad), max(0, rows[0] - pad), min(w, cols[-1] + 1 + pad),
            min(h, rows[-1] + 1 + pad))  # fmt: skip


def similarities(folder: Path, images: list[np.ndarray], text: str) -> list[float]:
    """Cosine similarity (-1..1) of ``text`` with each image, uint8/float (H, W, 3) RGB 0..255."""
    import torch

    model, processor = _load(folder)
    pil = [Image.fromarray(np.clip(im, 0, 255).astype(np.uint8)) for im in images]
    inputs = processor(text=[text], images=pil, return_tensors="pt", padding=True, truncation=True)
    with torch.no_grad():
        out = model(**inputs)
    image = torch.nn.functional.normalize(out.image_embeds, dim=-1)
    words = torch.nn.functional.normalize(out.text_embeds, dim=-1)
    return [float(v) for v in (image @ words.T)[:, 0]]


def adherence(
    folder: Path, source: np.ndarray, result: np.ndarray, region: np.ndarray, text: str
) -> tuple[float, str]:
    """(similarity of the result's area with ``text`` minus the source's, one-line detail).

    source, result: float32 (H, W, 3) RGB 0..255 on the result's grid; region: bool (H, W).
    """
    x0, y0, x1, y1 = crop_box(region)
    after, before = similarities(folder, [result[y0:y1, x0:x1], source[y0:y1, x0:x1]], text)
    return after - before, (
        f"CLIP similarity with the prompt {after:.3f} after vs {before:.3f} before, over the "
        f"{x1 - x0}x{y1 - y0} area around the edit ({folder.name})"
    )
