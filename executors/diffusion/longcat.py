"""Instruction edits with LongCat-Image-Edit (LongCatImageEditPipeline): one pass, no mask.

A 6B DiT with a Qwen2.5-VL text encoder that also reads the source (at half the working size).
Classifier-free guidance (about 4.5) against the negative prompt ("" when the plan has none).

The pipeline takes no height/width: it always works at 1024 x 1024 area at the input's aspect,
sides rounded *up* to 16 (diffusers' ``calculate_dimensions``), and returns that size. retouch
resizes the tile to exactly that size first (``work_size``), so the pipeline's own resize is a
no-op, and maps the output back to the tile's box (executors.images.crop.paste_back).

The pipeline has no ``callback_on_step_end``: per-step progress and cancellation cannot be had.
Cancellation is checked between model calls only, and the provenance says ``step_progress:
false`` (``step_progress`` below); nothing pretends to report steps.
"""

from __future__ import annotations

import math

from PIL import Image
from retouch.executors.diffusion.calls import (
    ModelCall,
    TransformerExecutor,
    check_call,
    generator,
    run_pipeline,
)
from retouch.planner.contract.errors import ExecutorError

TARGET_AREA = 1024 * 1024


def longcat_size(size: tuple[int, int], area: int = TARGET_AREA) -> tuple[int, int]:
    """(W, H) LongCat-Image-Edit runs a (W, H) input at: ``area`` at its aspect, sides rounded up
    to 16 (diffusers' ``calculate_dimensions`` in pipeline_longcat_image_edit)."""
    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"image size {w}x{h} is empty")
    width = math.sqrt(area * w / h)
    return _up16(width), _up16(width / (w / h))


def _up16(v: float) -> int:
    return int(v if v % 16 == 0 else (v // 16 + 1) * 16)


class LongCatEditExecutor(TransformerExecutor):
    """Edit ``call.image`` by the instruction ``call.prompt``. ``pipe``: LongCatImageEditPipeline."""

    size_rule = "LongCat-Image-Edit always runs at about 1024x1024 (sides rounded up to 16)"
    step_progress = False  # the pipeline has no step callback

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) the pipeline runs a tile of ``size`` at, whatever ``native``: see longcat_size."""
        return longcat_size(size)

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=False, multiple_of=self.multiple_of)
        if call.image.size != longcat_size(call.image.size):
            w, h = call.image.size
            raise ExecutorError(
                f"LongCat input is {w}x{h}; it must be {longcat_size((w, h))} (the pipeline's "
                "fixed working size), or the pipeline resizes it on its own"
            )
        return run_pipeline(
            self.pipe,
            image=call.image,
            prompt=call.prompt,
            negative_prompt=call.negative or "",
            num_inference_steps=call.steps,
            guidance_scale=call.guidance_text,
            generator=generator(call.seed),
            output_type="pil",
        )
