"""Instruction edits with Flux.1 Kontext (FluxKontextPipeline): one pass, no mask.

The source image enters the transformer as context tokens next to the noisy latents; the
instruction is the prompt. Kontext is trained on a fixed set of resolutions (about 1 megapixel,
aspect ratios 0.43 to 2.33, ``PREFERRED_RESOLUTIONS``). diffusers resizes to them on its own and
returns the output at that size; retouch instead chooses the size itself (``work_size``: the
preferred resolution closest to the tile's aspect ratio, scaled when the native side is not 1024),
so the tile is resized once on the way in and once on the way out, back to the source's exact size
(executors.images.crop.paste_back). Pixels are not preserved by the model itself: a whole-image edit has
no outside region, and with a mask the composite keeps every pixel outside it.

Guidance is distilled (about 2.5): an input of the transformer, no negative prompt, no second batch.
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

TRAINED_SIDE = 1024  # the long side the preferred resolutions are given for (1024 x 1024 area)

# (W, H) Kontext is trained at; the same list as diffusers' PREFERRED_KONTEXT_RESOLUTIONS.
PREFERRED_RESOLUTIONS: tuple[tuple[int, int], ...] = (
    (672, 1568),
    (688, 1504),
    (720, 1456),
    (752, 1392),
    (800, 1328),
    (832, 1248),
    (880, 1184),
    (944, 1104),
    (1024, 1024),
    (1104, 944),
    (1184, 880),
    (1248, 832),
    (1328, 800),
    (1392, 752),
    (1456, 720),
    (1504, 688),
    (1568, 672),
)


def kontext_size(
    size: tuple[int, int], native: int = TRAINED_SIDE, multiple_of: int = 16
) -> tuple[int, int]:
    """(W, H) to run Kontext at for a (W, H) input: the preferred resolution nearest in aspect.

    At ``native`` 1024 this is diffusers' own choice; at another native side the chosen resolution
    is scaled by native / 1024 (sides rounded to ``multiple_of``), keeping its aspect ratio.
    """
    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"image size {w}x{h} is empty")
    _, pw, ph = min((abs(w / h - bw / bh), bw, bh) for bw, bh in PREFERRED_RESOLUTIONS)
    if native == TRAINED_SIDE:
        return pw, ph
    s = native / TRAINED_SIDE
    return (
        max(multiple_of, round(pw * s / multiple_of) * multiple_of),
        max(multiple_of, round(ph * s / multiple_of) * multiple_of),
    )


class FluxKontextExecutor(FluxExecutor):
    """Edit ``call.image`` by the instruction ``call.prompt``. ``pipe``: a FluxKontextPipeline."""

    size_rule = "Flux Kontext runs at the trained resolution nearest the frame's aspect"

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) the model runs at for a tile of ``size``: see ``kontext_size``."""
        return kontext_size(size, native, self.multiple_of)

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        check_call(call, mask=False, multiple_of=self.multiple_of)
        w, h = call.image.size
        return run_pipeline(
            self.pipe,
            **pipeline_args(call),
            height=h,
            width=w,
            max_area=w * h,  # with height/width, keeps the output at exactly (w, h)
            _auto_resize=False,  # the size is already a preferred one (work_size)
            max_sequence_length=self.max_sequence_length,
        )
