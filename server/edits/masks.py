"""The one segmentation step: a mask from words (SAM 3), clicks and/or a box (SAM 1 / SAM 2.1,
else GrabCut), inverted and dilated as asked. ``retouch mask``, MCP ``make_mask`` and the pool's
Segmenter all run ``find_mask``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retouch.planner.contract.schema import SamPrompt

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image


def find_mask(
    image: Image.Image,
    prompt: SamPrompt,
    *,
    checkpoint: str | None = None,
    sam_type: str = "auto",
    pick: str | None = None,
    instance: int | str | None = None,
    invert: bool = False,
    dilate_px: int = 0,
) -> tuple[np.ndarray, Any]:
    """(bool (H, W) mask, True = edit; the segmentation, executors.segment's MaskResult) for
    ``prompt`` on ``image``. ExecutorError when the prompt selects nothing, InputError when the
    inverted mask is empty."""
    from retouch.executors.images import masks
    from retouch.executors.segment import dispatch
    from retouch.planner.contract.errors import ExecutorError, InputError

    found = dispatch.segment(
        image, prompt, checkpoint=checkpoint, sam_type=sam_type, pick=pick, instance=instance
    )
    if not found.mask.any():
        raise ExecutorError(
            f"{found.method} found no object for this prompt (it selected nothing); move the "
            "point onto the object, or draw the box tighter around it"
        )
    hard, _ = masks.prepare(found.mask, invert_it=invert, dilate_px=dilate_px)
    if not hard.any():
        raise InputError("the mask is empty after invert; the object covers the whole image")
    return hard, found
