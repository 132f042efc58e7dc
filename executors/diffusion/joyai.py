"""Instruction edits with JoyAI-Image-Edit (JoyImageEditPipeline): moves, rotations, camera views;
and with JoyAI-Image-Edit Plus (JoyImageEditPlusPipeline), the same edits with reference images.

A double-stream DiT over Wan-VAE latents with a Qwen3-VL text encoder that also reads the source.
Classifier-free guidance (about 4) against the negative prompt ("" when the plan has none): two
transformer passes per step.

The pipeline runs at a fixed bucket: of its table of sizes around 1024 x 1024, the one whose aspect
is nearest the requested height/width (``find_best_bucket``), and resizes and centre-crops the
input to it. retouch resizes the tile to exactly that bucket first (``work_size``), so the
pipeline's own resize is a no-op and nothing is cropped, and maps the output back to the tile's box
(executors.images.crop.paste_back).

The pipeline samples the source's VAE latent with ``latent_dist.sample()`` and no generator, that
is from torch's global random state, so the same seed alone does not repeat a result. retouch seeds
the global state with the call's seed too (as the diffusers example's ``torch.manual_seed(0)``
does), inside ``torch.random.fork_rng`` so the caller's random state is left as it was.

Plus takes a list of images, each resized and centre-cropped to its own bucket and encoded on its
own (``latent_dist.mode()``: no random state), and generates at the height/width it is given.
retouch sends ``images=[tile, reference]`` (the tile first, at its bucket, so nothing of it is
cropped; the reference whole, the pipeline sizes it) and the tile's bucket as height/width; a call
without a reference sends the tile alone. Its guidance is the same CFG (about 4) against ``" "``
with the image tags when the plan has no negative prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PIL import Image
from retouch.executors.diffusion.calls import (
    ModelCall,
    TransformerExecutor,
    check_call,
    pipeline_args,
    run_pipeline,
)
from retouch.planner.contract.errors import ExecutorError

BASESIZE = 1024  # the pipeline's bucket table


def joyai_size(size: tuple[int, int]) -> tuple[int, int]:
    """(W, H) JoyImageEditPipeline runs a (W, H) input at: the bucket nearest its aspect."""
    from diffusers.pipelines.joyimage.image_processor import find_best_bucket

    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"image size {w}x{h} is empty")
    bh, bw = find_best_bucket(h, w, BASESIZE)
    return bw, bh


@contextmanager
def seeded(seed: int, pipe: Any) -> Iterator[None]:
    """Torch's global random state seeded with ``seed`` on the CPU and the pipeline's GPU, and
    restored afterwards."""
    import torch

    device = getattr(pipe, "_execution_device", None)
    gpus = [device] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=gpus):
        torch.manual_seed(seed)
        yield


class JoyAIEditExecutor(TransformerExecutor):
    """Edit ``call.image`` by the instruction ``call.prompt``. ``pipe``: JoyImageEditPipeline."""

    size_rule = "JoyAI-Image-Edit runs at the size bucket nearest the input's aspect (~1024x1024)"

    def __init__(self, pipe: Any, max_sequence_length: int = 4096) -> None:
        super().__init__(pipe, max_sequence_length)

    @property
    def multiple_of(self) -> int:
        """Image sides must be multiples of this: the VAE's spatial factor times the 2x2 patch."""
        return int(self.pipe.vae_scale_factor_spatial) * 2

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) the pipeline runs a tile of ``size`` at, whatever ``native``: see joyai_size."""
        return joyai_size(size)

    def _bucket(self, call: ModelCall, name: str) -> tuple[int, int]:
        """Check the call; the tile's (W, H), which must be its own size bucket already."""
        check_call(call, mask=False, multiple_of=self.multiple_of)
        w, h = call.image.size
        if (w, h) != joyai_size((w, h)):
            raise ExecutorError(
                f"{name} input is {w}x{h}; it must be {joyai_size((w, h))} (the pipeline's "
                "bucket), or the pipeline resizes and crops it on its own"
            )
        return w, h

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, the bucket's size)."""
        w, h = self._bucket(call, "JoyAI")
        if call.reference is not None:
            raise ExecutorError(
                "JoyImageEditPipeline reads one image; a reference edit needs JoyAI-Image-Edit-Plus"
            )
        with seeded(call.seed, self.pipe):  # the reference latent is sampled without a generator
            return run_pipeline(
                self.pipe,
                **pipeline_args(call),
                negative_prompt=call.negative or "",
                height=h,
                width=w,
                max_sequence_length=self.max_sequence_length,
            )


class JoyAIEditPlusExecutor(JoyAIEditExecutor):
    """Edit ``call.image`` by ``call.prompt`` with ``call.reference`` (when given) as a second
    image. ``pipe``: JoyImageEditPlusPipeline."""

    size_rule = "JoyAI-Image-Edit Plus runs the source at its size bucket (~1024x1024)"

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, the tile's bucket size)."""
        w, h = self._bucket(call, "JoyAI Plus")
        args = pipeline_args(call)
        tile = args.pop("image")
        images = [tile] if call.reference is None else [tile, call.reference]
        return run_pipeline(
            self.pipe,
            **args,
            images=images,
            negative_prompt=call.negative,  # None: the pipeline's " " with the image tags
            height=h,
            width=w,
            max_sequence_length=self.max_sequence_length,
        )
