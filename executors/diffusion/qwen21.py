"""Instruction edits with Qwen-Image 2.1 (QwenImage21Pipeline).

A 7B-transformer MMDiT over a 16x VAE (sides multiples of 32 after 2x2 packing) with a Qwen3-VL
text encoder that reads the source as vision context; the source also enters as reference latents.
Guidance is *true* classifier-free guidance (``true_cfg_scale``): a second transformer pass against
the negative prompt, which the pipeline only runs above 1 and with a negative prompt, so a plan
without one sends ``" "``; at 1 (the pipeline's default) no negative prompt is sent.

The pipeline resizes the source to ``output_resolution``'s area at its aspect, sides rounded to 32
(``calculate_dimensions``). retouch cuts each tile at exactly that size for the native side
(``work_size``) and passes the tile's own side as ``output_resolution``, so the pipeline's resize
keeps the tile's size, and maps the output back to the tile's box (executors.images.crop).

Its VAE decodes four channels and the pipeline returns RGBA; the executor returns RGB (the alpha
is dropped: the result's mode and alpha follow the source, restored by retouch's composite).
"""

from __future__ import annotations

import math

from PIL import Image
from retouch.executors.diffusion.calls import (
    ModelCall,
    TransformerExecutor,
    check_call,
    pipeline_args,
    run_pipeline,
)
from retouch.planner.contract.errors import ExecutorError


def qwen21_size(size: tuple[int, int], native: int = 1024) -> tuple[int, int]:
    """(W, H) at ``native`` squared area and the aspect of ``size``, sides rounded to 32 (at
    least 32): diffusers' ``calculate_dimensions`` for QwenImage21Pipeline."""
    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"image size {w}x{h} is empty")
    width = math.sqrt(native * native * w / h)
    height = width / (w / h)
    return max(32, round(width / 32) * 32), max(32, round(height / 32) * 32)


class QwenImage21Executor(TransformerExecutor):
    """Edit ``call.image`` by the instruction ``call.prompt``. ``pipe``: QwenImage21Pipeline."""

    size_rule = "Qwen-Image 2.1 runs at its output area at the input's aspect (sides rounded to 32)"

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) a tile of ``size`` runs at: ``native`` squared area at its aspect."""
        return qwen21_size(size, native)

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image, its alpha dropped (RGB, ``call.image.size``)."""
        check_call(call, mask=False, multiple_of=self.multiple_of)
        w, h = call.image.size
        side = self.output_side((w, h))
        if call.reference is not None:
            raise ExecutorError(
                "Qwen-Image 2.1 runs here with one image; a reference is not passed"
            )
        args = pipeline_args(call)
        cfg = args.pop("guidance_scale")
        out = run_pipeline(
            self.pipe,
            **args,
            true_cfg_scale=cfg,
            negative_prompt=(call.negative or " ") if cfg > 1 else None,
            height=h,
            width=w,
            output_resolution=side,
        )
        return out.convert("RGB")

    @staticmethod
    def output_side(size: tuple[int, int]) -> int:
        """The ``output_resolution`` whose resize keeps ``size``: the side of a square of its
        area; refused when the pipeline would resize it anyway."""
        w, h = size
        side = round(math.sqrt(w * h))
        if qwen21_size((w, h), side) != (w, h):
            raise ExecutorError(
                f"Qwen-Image 2.1 input is {w}x{h}; it must be {qwen21_size((w, h), side)} (the "
                "pipeline's size for that area), or the pipeline resizes it on its own"
            )
        return side
