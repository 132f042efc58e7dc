"""SDEdit: img2img with strength t/T (SD or SDXL: StableDiffusion[XL]Img2ImgPipeline).

The source is noised to step t and denoised with the new prompt: t/T = 0.3 stays close to the
source, 0.6 keeps coarse structure, 0.9 keeps little. Confined to a mask, the result is composited
back by the caller (executors.run), so only the region changes.
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
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint


class SDEditExecutor(PipelineExecutor):
    """Re-noise and denoise ``call.image`` at ``call.strength``. ``pipe``: an SD or SDXL img2img."""

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=False, strength=True, multiple_of=self.multiple_of)
        if int(call.steps * (call.strength or 0.0)) < 1:
            raise InputError(
                f"steps {call.steps} x strength {call.strength} runs no denoising "
                "step; raise the steps or the strength",
                [hint("steps")],
            )
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            negative_prompt=call.negative,
            strength=call.strength,
        )
