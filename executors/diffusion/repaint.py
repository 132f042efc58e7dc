"""RePaint (RePaintPipeline + RePaintScheduler) with an unconditional UNet2DModel.

No trained inpaint model: at every reverse step the known pixels are replaced by a noised copy of
the source, and the chain jumps back ``jump_length`` steps ``jump_n_sample`` times to harmonise the
region with its surroundings. It runs in pixel space, with no prompt. diffusers' RePaint pipeline
has no step callback, so progress and cancellation go through its ``progress_bar`` iterator.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image
from retouch.executors.diffusion.calls import (
    ModelCall,
    PipelineExecutor,
    check_call,
    generator,
    run_pipeline,
)
from retouch.executors.diffusion.steps import StepReporter
from retouch.executors.images import masks


@contextmanager
def _reporting(pipe: Any, reporter: StepReporter | None) -> Iterator[None]:
    """Route the pipeline's step loop through ``reporter`` for the duration of one call."""
    if reporter is None or not reporter.active:
        yield
        return

    def progress_bar(iterable: Iterable[Any] | None = None, total: int | None = None) -> Any:
        items = list(iterable if iterable is not None else range(total or 0))

        def loop() -> Iterator[Any]:
            for item in items:
                yield item
                reporter.step(len(items))

        return loop()

    pipe.progress_bar = progress_bar
    try:
        yield
    finally:
        del pipe.progress_bar


JUMP_LENGTH = 10  # the RePaint paper's j
JUMP_N_SAMPLE = 10  # the RePaint paper's r


class RePaintExecutor(PipelineExecutor):
    """Fill the masked region with RePaint resampling. ``pipe``: a RePaintPipeline."""

    def __init__(
        self, pipe: Any, jump_length: int = JUMP_LENGTH, jump_n_sample: int = JUMP_N_SAMPLE
    ) -> None:
        super().__init__(pipe)
        self.jump_length = jump_length
        self.jump_n_sample = jump_n_sample

    @property
    def multiple_of(self) -> int:
        """Sides must survive the UNet's downsamplings: 2 ** (levels - 1)."""
        return 2 ** (len(self.pipe.unet.config.block_out_channels) - 1)

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        import torch

        check_call(call, mask=True, multiple_of=self.multiple_of)
        pixels = np.asarray(call.image, dtype=np.float32) / 127.5 - 1.0  # (H, W, 3) in -1..1
        image = torch.from_numpy(pixels).permute(2, 0, 1)[None]
        keep = masks.to_repaint(np.asarray(call.mask) >= 128)  # 1 = keep, 0 = inpaint
        mask = torch.from_numpy(keep)[None, None]
        with _reporting(self.pipe, call.reporter), warnings.catch_warnings():
            # the pipeline warns that its own image preprocessing is deprecated, even for tensors
            warnings.filterwarnings(
                "ignore", message="The preprocess method is deprecated", category=FutureWarning
            )
            return run_pipeline(
                self.pipe,
                image=image,
                mask_image=mask,
                num_inference_steps=call.steps,
                eta=0.0,
                jump_length=min(self.jump_length, call.steps),
                jump_n_sample=self.jump_n_sample,
                generator=generator(call.seed),
                output_type="pil",
            )
