"""What every segmenter shares: the prompt check, RGB input, the image's content key, the result.

Coordinates are pixels of the source image; boxes are XYXY. SAM (sam.py, sam2.py, sam3.py) and
GrabCut (grabcut.py) take a ``SamPrompt`` and return a ``MaskResult``; SAM 3 adds its ``Instance`` list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import SamPrompt


@dataclass
class Instance:
    """One object SAM 3 found for a phrase. ``id`` counts from 1 in order of score."""

    id: int
    box: tuple[float, float, float, float]  # XYXY pixels of the source image
    score: float  # SAM 3's detection score x presence score, 0..1
    area: float  # fraction of the image the mask covers, 0..1
    mask: np.ndarray  # bool (H, W)


@dataclass
class MaskResult:
    """A segmentation. ``mask`` may be empty (check ``mask.any()``) when nothing was found."""

    mask: np.ndarray  # bool (H, W), True = the segmented object (not inverted, not dilated)
    score: float  # SAM's predicted IoU, or GrabCut's colour-separation proxy, 0..1
    method: Literal["sam", "grabcut", "face"]
    sam_type: str | None  # vit_b | vit_l | vit_h | sam2.1-* | sam3 when method == "sam"
    candidates: list[np.ndarray] = field(default_factory=list)  # every output (bool), best first
    scores: list[float] = field(default_factory=list)  # their scores, same order
    note: str = ""  # one sentence: how the mask was made and how good to expect it
    instances: list[Instance] = field(default_factory=list)  # text prompts: every instance found
    chosen: list[int] = field(default_factory=list)  # text prompts: ids of those in ``mask``


def to_rgb(image: Image.Image | np.ndarray) -> np.ndarray:
    """PIL image (any mode) or HWC uint8 array -> contiguous RGB uint8 (H, W, 3)."""
    if isinstance(image, Image.Image):
        return np.ascontiguousarray(np.asarray(image.convert("RGB")))
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise InputError(f"image array is {arr.dtype} {arr.shape}; give RGB uint8 (H, W, 3)")
    return np.ascontiguousarray(arr)


def check_prompt(prompt: SamPrompt, size: tuple[int, int]) -> None:
    """Raise InputError unless the prompt is usable on an image of ``size`` (W, H) pixels.

    Points must lie on the image (0 <= x < W, 0 <= y < H); a box must be ordered and inside
    (0 <= x0 < x1 <= W, 0 <= y0 < y1 <= H); a prompt of background points only marks no object.
    """
    w, h = size
    if prompt.text is not None:
        if prompt.points or prompt.box is not None:
            raise InputError(
                "give the object in words or as clicks/a box, not both: words pick among what "
                "SAM 3 finds, clicks and a box mark one object"
            )
        return
    if prompt.empty:
        raise InputError(
            "no prompt: give at least one click on the object or a box around it (pixels)",
            [hint("points"), hint("box")],
        )
    for p in prompt.points:
        if not (0 <= p.x < w and 0 <= p.y < h):
            raise InputError(
                f"point ({p.x:g}, {p.y:g}) is outside the {w}x{h} image; x must be in "
                f"0..{w - 1} and y in 0..{h - 1}"
            )
    if prompt.box is not None:
        x0, y0, x1, y1 = prompt.box
        if x1 <= x0 or y1 <= y0:
            raise InputError(
                f"box {prompt.box} is inverted or empty; give X0, Y0, X1, Y1 with X1 > X0 and Y1 > Y0"
            )
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            raise InputError(
                f"box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) reaches outside the {w}x{h} "
                f"image; keep 0 <= X0 < X1 <= {w} and 0 <= Y0 < Y1 <= {h}"
            )
    elif not any(p.label == 1 for p in prompt.points):
        raise InputError(
            "the prompt has only background clicks (label 0); add a click on the object "
            "(label 1) or a box around it",
            [hint("points", "1"), hint("box")],
        )


def image_key(rgb: np.ndarray) -> str:
    """Content hash of an RGB uint8 (H, W, 3) image: equal pixels, equal key."""
    digest = hashlib.blake2b(rgb.tobytes(), digest_size=16)
    digest.update(str(rgb.shape).encode())
    return digest.hexdigest()


def best_first(masks: np.ndarray, ious: np.ndarray, sam_type: str, model: str) -> MaskResult:
    """A SAM-family result from its candidate masks (N, H, W) and predicted IoUs (N,): the best
    predicted IoU first. ``model`` names it in the note (e.g. "Segment Anything vit_b")."""
    order = np.argsort(-ious, kind="stable")
    candidates = [np.asarray(masks[i], dtype=bool) for i in order]
    scores = [float(ious[i]) for i in order]
    return MaskResult(
        mask=candidates[0],
        score=scores[0],
        method="sam",
        sam_type=sam_type,
        candidates=candidates,
        scores=scores,
        note=f"{model}: best of {len(scores)} masks (predicted IoU {scores[0]:.2f})",
    )
