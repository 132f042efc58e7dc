"""Inpainting and outpainting with Flux.1 Fill (FluxFillPipeline).

The transformer sees, per packed 2x2 latent token, the noisy latents, the VAE-encoded source with
the region blanked and the pixel mask folded in (64 + 64 + 256 = 384 channels for the real model).
Differences from the SD-family inpaint call that this executor takes care of:

- guidance is *distilled*: ``guidance_scale`` (about 30 for Fill) is an input of the transformer,
  not classifier-free guidance; there is no negative prompt and no second batch;
- sides must be multiples of 16 (8x VAE, then 2x2 packing) or the pipeline silently shrinks them:
  ``multiple_of`` is 16, so retouch's tiles pad or resize to it and map the output back;
- the pipeline binarises the mask at 0.5, so feathering happens in retouch's composite;
- height and width are always passed (the pipeline would otherwise run at 1024 x 1024);
- diffusers' Fill pipeline has no crop option: crop-and-stitch is retouch's (executors.images.crop).
"""

from __future__ import annotations

from PIL import Image
from retouch.executors.diffusion.calls import (
    FluxExecutor,
    ModelCall,
    check_call,
    pipeline_args,
    run_pipeline,
)


class FluxFillExecutor(FluxExecutor):
    """Regenerate the masked region of ``call.image``. ``pipe``: a FluxFillPipeline."""

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=True, multiple_of=self.multiple_of)
        w, h = call.image.size
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            mask_image=call.mask,
            height=h,
            width=w,
            strength=1.0,
            max_sequence_length=self.max_sequence_length,
        )
