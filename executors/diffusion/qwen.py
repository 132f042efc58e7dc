"""Edits and masked fills with Qwen-Image-Edit (QwenImageEditPlusPipeline, QwenImageEditInpaintPipeline).

A 20B MMDiT with a Qwen2.5-VL text encoder that also reads the source image. Guidance is *true*
classifier-free guidance (``true_cfg_scale``, about 4): a second transformer pass against the
negative prompt, which the pipeline only runs when a negative prompt is given, so a plan without
one sends ``" "`` (Qwen's own advice: an empty negative), and none at guidance 1 (a Lightning
LoRA: no second pass). ``guidance_scale`` is for guidance-distilled transformers only and is not
sent.

- instruct (Plus, 2509/2511): the tile is the reference image (encoded at about 1024 x 1024 and
  read by the VL encoder at about 384 x 384, whatever its size); the output has the tile's
  height/width, so it maps back to the source size exactly. A multi-image edit's reference
  (``call.reference``) follows it, ``image=[tile, reference]``: Picture 1 and Picture 2 to the
  encoder, each sized on its own, so the reference need not match the tile;
- inpaint: QwenImageEditInpaintPipeline ignores height/width and always runs at about 1024 x 1024
  (sides rounded to 32), so tiles go in at that size (``work_size``, as Flux Kontext's trained
  sizes) and come back through paste_back; ``strength`` 1.0 regenerates the region from noise.
  It reads one image only, so a call with a reference is refused. Feathering and the byte-exact
  outside region are retouch's composite.

Sides are multiples of 16 (8x VAE, then 2x2 packing). Prompts are read up to 512 tokens.
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

TARGET_AREA = 1024 * 1024  # the inpaint pipeline's fixed working area


def qwen_size(
    size: tuple[int, int], area: int = TARGET_AREA, multiple_of: int = 16
) -> tuple[int, int]:
    """(W, H) the inpaint pipeline runs a (W, H) input at: ``area`` at its aspect, sides rounded to
    32 and floored to ``multiple_of`` (diffusers' ``calculate_dimensions`` for Qwen-Image-Edit)."""
    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"image size {w}x{h} is empty")
    width = math.sqrt(area * w / h)
    height = width / (w / h)
    width, height = round(width / 32) * 32, round(height / 32) * 32
    return width // multiple_of * multiple_of, height // multiple_of * multiple_of


class QwenEditExecutor(TransformerExecutor):
    """Edit ``call.image`` by ``call.prompt``, or regenerate its masked region.

    ``pipe``: a QwenImageEditPlusPipeline (instructions) or QwenImageEditInpaintPipeline (masked)."""

    @property
    def masked(self) -> bool:
        """Whether the loaded pipeline regenerates a masked region."""
        return type(self.pipe).__name__.endswith("InpaintPipeline")

    @property
    def size_rule(self) -> str | None:
        """Why tiles run at ``work_size`` (the inpaint pipeline's fixed area); None for Plus."""
        if not self.masked:
            return None
        return "QwenImageEditInpaintPipeline always runs at about 1024x1024 (sides rounded to 32)"

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) a tile of ``size`` runs at with the inpaint pipeline (used when ``size_rule`` is
        set; Plus runs at the size it is given)."""
        return qwen_size(size, multiple_of=self.multiple_of)

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=self.masked, multiple_of=self.multiple_of)
        if call.reference is not None and self.masked:
            raise ExecutorError(
                "QwenImageEditInpaintPipeline reads one image and cannot take a reference; "
                "plan the edit again (a reference edit with Qwen runs as an instruction edit)"
            )
        w, h = call.image.size
        args = pipeline_args(call)
        cfg = args.pop("guidance_scale")
        if call.reference is not None:  # the tile is Picture 1, the reference Picture 2
            args["image"] = [call.image, call.reference]
        extra = (
            {"mask_image": call.mask, "strength": 1.0} if self.masked else {"height": h, "width": w}
        )
        return run_pipeline(
            self.pipe,
            **args,
            **extra,
            true_cfg_scale=cfg,
            negative_prompt=(call.negative or " ") if cfg > 1 else None,  # cfg 1: no CFG pass
            max_sequence_length=self.max_sequence_length,
        )
