"""Edits and masked fills with FLUX.2 klein (Flux2KleinPipeline, Flux2KleinInpaintPipeline), and
edits with FLUX.2 dev (Flux2Pipeline: the same call, a Mistral-3 text encoder and distilled
guidance as a transformer input).

klein 4B is step-distilled: 4 steps, and ``guidance_scale`` is ignored by the distilled weights
(the base variants run classifier-free guidance against an empty prompt, which the pipeline builds
itself; there is no negative prompt either way). The text encoder is Qwen3; prompts are read up to
``max_sequence_length`` (512) tokens.

- instruct: the tile is the pipeline's reference image (its latents join the noisy ones as extra
  tokens) and height/width are the tile's, so the output is exactly the tile's size. A
  multi-image edit's reference (``call.reference``) follows it, ``image=[tile, reference]``:
  image 1 and image 2, each at its own size (over 1 MP scaled down, sides floored to 16);
- inpaint/outpaint: Flux2KleinInpaintPipeline blends the source latents back outside the mask at
  every step and also sees the whole tile as a reference; ``strength`` 1.0 regenerates the region
  from noise. A multi-image edit's reference is its ``image_reference``, which conditions the
  masked area. Feathering and the byte-exact outside region are retouch's composite.

Sides are multiples of 16 (8x VAE, then 2x2 patches); the pipelines floor other sides silently, so
retouch's tiles are already on that grid (``multiple_of``).
"""

from __future__ import annotations

from typing import Any

from PIL import Image
from retouch.executors.diffusion.calls import (
    FluxExecutor,
    ModelCall,
    check_call,
    pipeline_args,
    run_pipeline,
)


class KleinExecutor(FluxExecutor):
    """Edit ``call.image`` by ``call.prompt``, or regenerate its masked region.

    ``pipe``: a Flux2KleinPipeline or Flux2Pipeline (instruction edits) or
    Flux2KleinInpaintPipeline (masked)."""

    @property
    def masked(self) -> bool:
        """Whether the loaded pipeline regenerates a masked region."""
        return type(self.pipe).__name__.endswith("InpaintPipeline")

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=self.masked, multiple_of=self.multiple_of)
        w, h = call.image.size
        args = pipeline_args(call)
        extra: dict[str, Any] = {}
        if self.masked:
            extra = {"mask_image": call.mask, "strength": 1.0}
            if call.reference is not None:
                extra["image_reference"] = call.reference
        elif call.reference is not None:  # image 1 the tile, image 2 the reference
            args["image"] = [call.image, call.reference]
        return run_pipeline(
            self.pipe,
            **args,
            **extra,
            height=h,
            width=w,
            max_sequence_length=self.max_sequence_length,
        )
