"""Instruction edits with InstructPix2Pix (StableDiffusionInstructPix2PixPipeline).

Two guidance scales: text (how strongly to apply the instruction) and image (how closely to stay
with the source; 1.0-2.0, higher keeps more).
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

DEFAULT_IMAGE_GUIDANCE = 1.5


class InstructExecutor(PipelineExecutor):
    """Edit ``call.image`` by the instruction ``call.prompt``. ``pipe``: InstructPix2Pix pipeline."""

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=False, multiple_of=self.multiple_of)
        image_scale = DEFAULT_IMAGE_GUIDANCE if call.guidance_image is None else call.guidance_image
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            negative_prompt=call.negative,
            image_guidance_scale=image_scale,
        )
