"""Inpainting and outpainting with a 9-channel inpaint model: SD 1.x/2.x or SDXL.

``StableDiffusionInpaintPipeline`` and ``StableDiffusionXLInpaintPipeline`` take the same call. The
UNet sees the noisy latent, the VAE-encoded source with the region blanked, and the mask
(4 + 4 + 1 channels), so it fills the region in the context around it. Outpainting is the same
call on the extended canvas with the new area as the mask.

SDXL specifics: both text encoders get the prompt (``prompt_2`` defaults to it); its size
conditioning (original and target size, 6 added time ids with no aesthetic score) defaults to the
tile's size; ``strength`` is passed as 1.0 (the SDXL default, 0.9999, keeps a trace of the
blanked source); the VAE is upcast to fp32 inside the pipeline where its config says
``force_upcast``; the pipeline is loaded with ``add_watermarker=False`` (executors.diffusion.pipelines).
"""

from __future__ import annotations

from PIL import Image
from retouch.executors.diffusion.calls import (
    ModelCall,
    PipelineExecutor,
    check_call,
    pipeline_args,
    run_pipeline,
)


class InpaintExecutor(PipelineExecutor):
    """Regenerate the masked region of ``call.image``. ``pipe``: an SD or SDXL inpaint pipeline."""

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=True, multiple_of=self.multiple_of)
        w, h = call.image.size
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            negative_prompt=call.negative,
            mask_image=call.mask,
            height=h,
            width=w,
            strength=1.0,
        )
