"""Inpainting guided by a ControlNet (StableDiffusionControlNetInpaintPipeline), for hands and faces.

The control image is an OpenPose skeleton the caller supplies (pose detection needs weights retouch
may not have); it keeps the pose while the prompt re-describes the subject.
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


class ControlNetInpaintExecutor(PipelineExecutor):
    """Masked regeneration steered by ``call.control``. ``pipe``: StableDiffusionControlNetInpaint."""

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=True, control=True, multiple_of=self.multiple_of)
        w, h = call.image.size
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            negative_prompt=call.negative,
            mask_image=call.mask,
            control_image=call.control,
            height=h,
            width=w,
            strength=1.0,
            controlnet_conditioning_scale=1.0
            if call.conditioning_scale is None
            else call.conditioning_scale,
        )
