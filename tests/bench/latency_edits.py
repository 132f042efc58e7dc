"""The edits ``gpu_latency.py`` times: crop-to-mask, full frame, and instruction edits at native size.

``run_edit(pipe, fam, case, mode, steps, guidance, clock)`` makes one batch-1 call of the family's
diffusers pipeline; ``StepClock`` stamps the first and last denoising steps by wrapping the
pipeline's ``scheduler.step`` (called once per step by every pipeline benchmarked, including
LongCat's, which takes no step callback).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.bench.real_size import Family

PROMPT = "a red knitted hat"


@dataclass(frozen=True)
class Case:
    """A square source with a square mask in the middle; ``crop`` is the mask box padded by half."""

    image: Any  # PIL RGB, frame x frame
    mask: Any  # PIL L, 255 = edit
    crop: tuple[int, int, int, int]  # XYXY px


def make_case(frame: int) -> Case:
    """Astronaut photo at ``frame`` px square; mask side frame/4, crop side 1.5x the mask's."""
    import numpy as np
    import skimage.data
    from PIL import Image

    image = Image.fromarray(skimage.data.astronaut()).resize((frame, frame), Image.BICUBIC)
    side = frame // 4
    x0 = y0 = (frame - side) // 2
    mask = np.zeros((frame, frame), np.uint8)
    mask[y0 : y0 + side, x0 : x0 + side] = 255
    pad = side // 4
    crop = (x0 - pad, y0 - pad, x0 + side + pad, y0 + side + pad)
    return Case(image, Image.fromarray(mask, "L"), crop)


class StepClock:
    """Wall-clock stamps (synchronised) after the first and the last denoising step."""

    def __init__(self, steps: int, sync: Callable[[], None]) -> None:
        self.steps, self.sync, self.marks, self.calls = steps, sync, {}, 0

    @contextmanager
    def on(self, scheduler: Any) -> Iterator[None]:
        """Stamp while ``scheduler.step`` runs inside the ``with`` block; restore it afterwards."""
        step = scheduler.step

        def stamped(*args: Any, **kwargs: Any) -> Any:
            out = step(*args, **kwargs)
            i, self.calls = self.calls, self.calls + 1
            if i in (0, self.steps - 1):
                self.sync()
                self.marks[i] = time.perf_counter()
            return out

        scheduler.step = stamped
        try:
            yield
        finally:
            del scheduler.step  # the class's method again

    def per_step(self) -> float | None:
        if self.steps < 2 or len(self.marks) < 2:
            return None
        return (self.marks[self.steps - 1] - self.marks[0]) / (self.steps - 1)


def native_kwargs(fam: Family, side: int, guidance: float) -> dict[str, Any]:
    """Call kwargs of an instruction edit at ``side`` px: size and guidance as each pipeline names
    them. Kontext's resize to a preferred resolution stays on unless the run is tiny (they start at
    672 px); LongCat always edits at about 1024 x 1024 and takes no size; Qwen's true CFG needs a
    negative prompt, klein ignores the guidance (distilled)."""
    if fam.pipeline == "FluxKontextPipeline":
        sized = {"max_area": side * side, "_auto_resize": side >= 256}
        return {"height": side, "width": side, "guidance_scale": guidance, **sized}
    if fam.pipeline == "QwenImageEditPlusPipeline":
        cfg = {"negative_prompt": " "} if guidance > 1 else {}
        return {"height": side, "width": side, "true_cfg_scale": guidance, **cfg}
    if fam.pipeline == "LongCatImageEditPipeline":
        return {"guidance_scale": guidance}
    if fam.pipeline == "QwenImageLayeredPipeline":  # its own 640^2 / 1024^2 buckets, no size
        cfg = {"negative_prompt": " "} if guidance > 1 else {}
        resolution = 1024 if side >= 1024 else 640
        return {"true_cfg_scale": guidance, "layers": 4, "resolution": resolution, **cfg}
    return {"height": side, "width": side, "guidance_scale": guidance}


def run_edit(
    pipe: Any, fam: Family, case: Case, mode: str, steps: int, guidance: float, clock: StepClock
) -> Any:
    """One edit in ``mode`` ("crop", "full" or "native"); returns the PIL result at source size.

    crop: cut the padded mask box, resize it to ``fam.native``, edit, resize back, paste under the
    mask. full: edit the whole frame at its own size. native: an instruction edit of the source at
    native size (Kontext, klein, Qwen-Image-Edit, LongCat; JoyAI Plus with the source as its
    reference too).
    """
    import torch
    from PIL import Image

    kw: dict[str, Any] = {
        "prompt": PROMPT,
        "num_inference_steps": steps,
        "generator": torch.Generator(device="cpu").manual_seed(0),
    }
    if fam.denoiser == "unet":
        kw["strength"] = 1.0
    elif fam.pipeline == "JoyImageEditPlusPipeline":  # retouch's call: the pipeline's default
        kw["max_sequence_length"] = 4096
    elif fam.pipeline != "LongCatImageEditPipeline":  # LongCat pads to 512 itself
        kw["max_sequence_length"] = 512
    n = fam.native
    with clock.on(pipe.scheduler):
        if mode == "native":
            image = (
                case.image.convert("RGBA")
                if fam.pipeline == "QwenImageLayeredPipeline"
                else case.image
            )
            if fam.pipeline == "JoyImageEditPlusPipeline":  # the source and one reference
                kw["images"] = [image, image]
            else:
                kw["image"] = image
            out = pipe(**kw, **native_kwargs(fam, n, guidance))
            first = out.images[0]
            first = first[0] if isinstance(first, list) else first  # Layered: the bottom layer
            return first.convert("RGB").resize(case.image.size, Image.BICUBIC)
        kw["guidance_scale"] = guidance
        control = fam.pipeline == "ZImageControlNetInpaintPipeline"  # the source as control
        if mode == "full":
            side = case.image.size[0]
            if control:
                kw["control_image"] = case.image
            out = pipe(image=case.image, mask_image=case.mask, height=side, width=side, **kw)
            result = case.image.copy()
            result.paste(out.images[0], (0, 0), case.mask)
            return result
        box = case.crop
        size = (box[2] - box[0], box[3] - box[1])
        src = case.image.crop(box).resize((n, n), Image.BICUBIC)
        mask = case.mask.crop(box).resize((n, n), Image.NEAREST)
        if control:
            kw["control_image"] = src
        out = pipe(image=src, mask_image=mask, height=n, width=n, **kw)
    result = case.image.copy()
    result.paste(out.images[0].resize(size, Image.BICUBIC), box[:2], case.mask.crop(box))
    return result
