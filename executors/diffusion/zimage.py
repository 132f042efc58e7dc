"""Masked fills and SDEdit with Z-Image (ZImageInpaintPipeline, ZImageImg2ImgPipeline), and masked
fills that follow a control image (ZImageControlNetInpaintPipeline).

A 6B single-stream DiT with a Qwen3 text encoder (its second-to-last hidden state, prompts up to
512 tokens) and the FLUX.1 VAE. Z-Image-Turbo is distilled: 8 steps at ``guidance_scale`` 0, which
the pipeline reads as "no classifier-free guidance" (a second batch runs only above 1, against the
negative prompt, "" when none is given).

- inpaint/outpaint: ZImageInpaintPipeline blends the source latents back outside the mask at every
  step; ``strength`` 1.0 regenerates the region from noise. height/width are the tile's, so the
  output is exactly the tile's size;
- sdedit: ZImageImg2ImgPipeline noises the tile to ``strength`` (t/T) and denoises
  ``int(steps * strength)`` steps.

- inpaint with a ControlNet (the Z-Image-Turbo-Fun-Controlnet-Union 2.x weights, pose/edge/depth
  images): the ControlNet reads the control image's latents, the mask and the masked tile's
  latents, and the transformer generates the whole tile from noise (no blending: outside the mask
  retouch's composite restores the source). ``controlnet_conditioning_scale`` is the plan's (the
  diffusers example: 0.75); guidance above 0 runs CFG (Turbo: 0, none).

Sides are multiples of 16 (8x VAE, then 2x2 patches). Feathering and the byte-exact outside region
are retouch's composite.
"""

from __future__ import annotations

from typing import Any

from PIL import Image
from retouch.executors.diffusion.calls import (
    ModelCall,
    TransformerExecutor,
    check_call,
    pipeline_args,
    run_pipeline,
)
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint

CONDITIONING_SCALE = 0.75  # ZImageControlNetInpaintPipeline's default and its example's


class ZImageExecutor(TransformerExecutor):
    """Regenerate the masked region of ``call.image``, or SDEdit it at ``call.strength``.

    ``pipe``: a ZImageInpaintPipeline (masked) or ZImageImg2ImgPipeline (SDEdit)."""

    @property
    def masked(self) -> bool:
        """Whether the loaded pipeline regenerates a masked region."""
        return type(self.pipe).__name__.endswith("InpaintPipeline")

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=self.masked, strength=not self.masked, multiple_of=self.multiple_of)
        extra: dict[str, Any] = {"strength": 1.0}
        if self.masked:
            extra["mask_image"] = call.mask
        else:
            if int(call.steps * (call.strength or 0.0)) < 1:
                raise InputError(
                    f"steps {call.steps} x strength {call.strength} runs no denoising "
                    "step; raise the steps or the strength",
                    [hint("steps")],
                )
            extra["strength"] = call.strength
        w, h = call.image.size
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            **extra,
            negative_prompt=call.negative,
            height=h,
            width=w,
            max_sequence_length=self.max_sequence_length,
        )


class ZImageControlNetExecutor(TransformerExecutor):
    """Regenerate the masked region of ``call.image`` following ``call.control``.

    ``pipe``: a ZImageControlNetInpaintPipeline (its ``controlnet`` a ZImageControlNetModel)."""

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=True, control=True, multiple_of=self.multiple_of)
        w, h = call.image.size
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            mask_image=call.mask,
            control_image=call.control,
            controlnet_conditioning_scale=(
                CONDITIONING_SCALE if call.conditioning_scale is None else call.conditioning_scale
            ),
            negative_prompt=call.negative,
            height=h,
            width=w,
            max_sequence_length=self.max_sequence_length,
        )
