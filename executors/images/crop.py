"""Crop-and-stitch geometry: where the model runs, and at what size.

A *tile* is one model call: a box on the canvas (XYXY pixels, exclusive end) and the size the box is
resized to for the model. With crop on there is one box per separate mask region: the region's
bounding box grown by a context margin, its sides rounded up to the model's multiple, and shifted
inward at the canvas edges rather than clipped, so every box keeps its full context. Boxes that
overlap are merged (a pixel is stitched from one model call only). The box is then resized so its
long side is the model's native resolution, sides multiples of ``multiple_of``.

With crop off there is one tile: the whole canvas at its own size, padded (edge replicate) up to
the model's multiple; whole-image edits with no mask are resized down to native resolution when
larger, as instruction models break far above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from retouch.executors.images import masks

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Tile:
    box: Box  # XYXY canvas pixels, exclusive end
    work_size: tuple[int, int]  # (W, H) the model runs at
    pad: tuple[int, int] = (0, 0)  # (right, bottom) edge-replicate padding added at work size

    @property
    def size(self) -> tuple[int, int]:
        x0, y0, x1, y1 = self.box
        return x1 - x0, y1 - y0


def _round_up(v: int, m: int) -> int:
    return -(-v // m) * m


def _span(a: int, b: int, pad: int, limit: int, m: int) -> tuple[int, int]:
    """Grow [a, b) by ``pad`` each side, round its length up to ``m``, shift it inside [0, limit)."""
    a, b = a - pad, b + pad
    b = a + _round_up(b - a, m)
    if b - a >= limit:
        return 0, limit
    shift = max(0, -a) - max(0, b - limit)
    return a + shift, b + shift


def auto_padding(box: Box) -> int:
    """Context margin for a region's box: a quarter of its long side, 32..128 px (as the planner)."""
    x0, y0, x1, y1 = box
    return int(min(128, max(32, round(0.25 * max(x1 - x0, y1 - y0)))))


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def crop_boxes(edit: np.ndarray, *, padding: int | None, multiple_of: int) -> list[Box]:
    """One padded box per separate region of ``edit`` (bool (H, W), True = edit), largest first.

    ``padding`` None picks ``auto_padding`` per region. Overlapping boxes are merged into one.
    """
    h, w = edit.shape
    boxes: list[Box] = []
    for region in masks.regions(edit):
        pad = auto_padding(region) if padding is None else padding
        x0, x1 = _span(region[0], region[2], pad, w, multiple_of)
        y0, y1 = _span(region[1], region[3], pad, h, multiple_of)
        boxes.append((x0, y0, x1, y1))
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if _overlap(boxes[i], boxes[j]):
                    a, b = boxes[i], boxes[j]
                    x0, x1 = _span(min(a[0], b[0]), max(a[2], b[2]), 0, w, multiple_of)
                    y0, y1 = _span(min(a[1], b[1]), max(a[3], b[3]), 0, h, multiple_of)
                    boxes[i] = (x0, y0, x1, y1)
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def work_size(size: tuple[int, int], long_side: int, multiple_of: int) -> tuple[int, int]:
    """(W, H) with the long side scaled to ``long_side``, both sides multiples of ``multiple_of``."""
    w, h = size
    s = long_side / max(w, h)
    return (
        max(multiple_of, round(w * s / multiple_of) * multiple_of),
        max(multiple_of, round(h * s / multiple_of) * multiple_of),
    )


def crop_tiles(
    edit: np.ndarray, *, padding: int | None, multiple_of: int, resize_to: int
) -> list[Tile]:
    """Tiles for crop-and-stitch: one per (merged) region box, each resized to ``resize_to``."""
    boxes = crop_boxes(edit, padding=padding, multiple_of=multiple_of)
    return [Tile(b, work_size((b[2] - b[0], b[3] - b[1]), resize_to, multiple_of)) for b in boxes]


def full_tile(size: tuple[int, int], *, multiple_of: int, max_side: int | None = None) -> Tile:
    """The whole canvas as one tile: at its own size padded up to the multiple, or, when it is
    larger than ``max_side``, resized down to it."""
    w, h = size
    if max_side is not None and max(w, h) > max_side:
        return Tile((0, 0, w, h), work_size(size, max_side, multiple_of))
    pw, ph = _round_up(w, multiple_of), _round_up(h, multiple_of)
    return Tile((0, 0, w, h), (pw, ph), (pw - w, ph - h))


def cut(tile: Tile, rgb: np.ndarray) -> Image.Image:
    """The tile's box of ``rgb`` (uint8 (H, W, 3)) at the model's working size (Lanczos, or padding)."""
    x0, y0, x1, y1 = tile.box
    patch = rgb[y0:y1, x0:x1]
    if tile.pad != (0, 0):
        patch = np.pad(patch, ((0, tile.pad[1]), (0, tile.pad[0]), (0, 0)), mode="edge")
        return Image.fromarray(patch)
    img = Image.fromarray(np.ascontiguousarray(patch))
    return (
        img if img.size == tile.work_size else img.resize(tile.work_size, Image.Resampling.LANCZOS)
    )


def cut_mask(tile: Tile, edit: np.ndarray) -> Image.Image:
    """The tile's box of a bool mask as an L image (255 = edit) at working size.

    Downscaling keeps every pixel touched by the region (bilinear coverage > 0), so the model is
    always asked to regenerate at least the whole region.
    """
    x0, y0, x1, y1 = tile.box
    patch = edit[y0:y1, x0:x1]
    if tile.pad != (0, 0):
        patch = np.pad(patch, ((0, tile.pad[1]), (0, tile.pad[0])), mode="constant")
        return masks.to_pil(patch)
    img = masks.to_pil(patch)
    if img.size == tile.work_size:
        return img
    soft = np.asarray(img.resize(tile.work_size, Image.Resampling.BILINEAR))
    return masks.to_pil(soft > 0)


def paste_back(tile: Tile, result: Image.Image) -> np.ndarray:
    """A model output at working size -> uint8 (h, w, 3) patch the size of the tile's box."""
    if result.size != tile.work_size:
        result = result.resize(tile.work_size, Image.Resampling.LANCZOS)
    w, h = tile.size
    if tile.pad != (0, 0):
        return np.asarray(result.convert("RGB"))[:h, :w]
    if result.size != (w, h):
        result = result.resize((w, h), Image.Resampling.LANCZOS)
    return np.asarray(result.convert("RGB"))
