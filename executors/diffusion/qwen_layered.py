"""An image split into RGBA layers with Qwen-Image-Layered (QwenImageLayeredPipeline).

Qwen-Image's 20B MMDiT, trained to decompose: the source (RGBA, through a 4-channel VAE) is the
condition, and ``layers`` noisy latents are denoised together into that many RGBA layers, bottom
(background) first. Guidance is true classifier-free guidance (``true_cfg_scale``, 4 in the model
card's example), run only when a negative prompt is given, so a plan without one sends ``" "``. Its
prompt is a caption of the whole image, not an instruction ("split into layers" is the plan's
prompt): the executor sends ``""``, and the pipeline captions the source with its own Qwen2.5-VL
first (``use_en_prompt``: in English), as the model card's example does.

The pipeline runs at a fixed area: ``resolution`` 640 or 1024 squared at the input's aspect, sides
rounded to 32 and floored to 16 (``layered_size``), and resizes the input there itself. retouch
sends the tile at exactly that size (``work_size``), so the pipeline's own resize is a no-op.

What comes back: the executor returns the layers' composite over the tile (opaque RGB, the run
path's one image: pasted back, composited, written as the result) and keeps the RGBA layers of its
last call in ``layers``. ``canvas_layers`` turns them into ``executors.images.layers.Layer``s at
the canvas size under the source, and the result into their composite, so
``layers.write_layers`` can write them (its check: the visible layers composite to the result).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from retouch.executors.diffusion.calls import (
    ModelCall,
    TransformerExecutor,
    check_call,
    pipeline_args,
    run_pipeline,
)
from retouch.executors.images.layers import Layer
from retouch.planner.contract.errors import ExecutorError

RESOLUTIONS = (640, 1024)  # the pipeline's two buckets; 640 is the model card's
LAYERS = 4  # RGBA layers asked of the model (the model card's example)


def layered_size(size: tuple[int, int], resolution: int = 640) -> tuple[int, int]:
    """(W, H) QwenImageLayeredPipeline runs a (W, H) input at: ``resolution`` squared at its
    aspect, sides rounded to 32 then floored to 16 (diffusers' ``calculate_dimensions``)."""
    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"image size {w}x{h} is empty")
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution {resolution} is not one of {RESOLUTIONS}")
    width = math.sqrt(resolution * resolution * w / h)
    height = width / (w / h)
    width, height = round(width / 32) * 32, round(height / 32) * 32
    return width // 16 * 16, height // 16 * 16


def resolution_for(native: int) -> int:
    """The pipeline bucket for a plan's native side: 1024 from 1024 up, else 640."""
    return 1024 if native >= 1024 else 640


def over(layers: list[Image.Image], base: Image.Image) -> Image.Image:
    """``layers`` (RGBA, bottom first) alpha-composited over the opaque ``base``; RGB."""
    out = base.convert("RGBA")
    for layer in layers:
        out = Image.alpha_composite(out, layer.convert("RGBA"))
    return out.convert("RGB")


class QwenLayeredExecutor(TransformerExecutor):
    """Split ``call.image`` into ``n_layers`` RGBA layers. ``pipe``: QwenImageLayeredPipeline."""

    size_rule = "Qwen-Image-Layered runs at 640^2 or 1024^2 at the input's aspect (sides to 32)"

    def __init__(self, pipe: object, max_sequence_length: int = 512, n_layers: int = LAYERS):
        super().__init__(pipe, max_sequence_length)
        self.n_layers = n_layers
        self.resolution = RESOLUTIONS[0]
        self.layers: list[Image.Image] = []  # the last call's RGBA layers, at working size

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) a tile of ``size`` runs at: the pipeline's bucket for ``native``."""
        self.resolution = resolution_for(native)
        return layered_size(size, self.resolution)

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the layers' composite over the tile (RGB, ``call.image.size``); the RGBA
        layers themselves are kept in ``self.layers``."""
        check_call(call, mask=False, multiple_of=self.multiple_of)
        w, h = call.image.size
        if (w, h) != layered_size((w, h), self.resolution):
            raise ExecutorError(
                f"Qwen-Image-Layered input is {w}x{h}; it must be "
                f"{layered_size((w, h), self.resolution)} (the pipeline's size at resolution "
                f"{self.resolution}), or the pipeline resizes it on its own"
            )
        if call.reference is not None:
            raise ExecutorError("Qwen-Image-Layered splits one image; it takes no reference image")
        args = pipeline_args(call)
        cfg = args.pop("guidance_scale")
        args["image"] = call.image.convert("RGBA")
        args["prompt"] = ""  # the pipeline captions the image itself (see the module docstring)
        out = run_pipeline(
            self.pipe,
            **args,
            true_cfg_scale=cfg,
            negative_prompt=(call.negative or " ") if cfg > 1 else None,
            layers=self.n_layers,
            resolution=self.resolution,
            cfg_normalize=False,
            use_en_prompt=True,
            max_sequence_length=self.max_sequence_length,
        )
        # run_pipeline returns the first sample: here the list of its layers
        layers = list(out) if isinstance(out, list) else [out]
        if not layers or any(layer.size != (w, h) for layer in layers):
            raise ExecutorError(
                f"QwenImageLayeredPipeline returned layers of {[x.size for x in layers]}; "
                f"expected {self.n_layers} of {w}x{h}"
            )
        self.layers = [layer.convert("RGBA") for layer in layers]
        return over(self.layers, call.image)


def canvas_layers(layers: list[Image.Image], canvas: np.ndarray) -> tuple[list[Layer], np.ndarray]:
    """The model's RGBA ``layers`` (bottom first, any one size) at the canvas size, under them the
    canvas itself (``source``, opaque: it shows wherever the model's layers leave alpha), and their
    composite: uint8 (H, W, 3), the run's result, so the visible layers composite to it exactly."""
    h, w = canvas.shape[:2]
    source = Image.fromarray(canvas).convert("RGBA")
    named = [Layer("source", source)]
    for i, layer in enumerate(layers, start=1):
        sized = layer if layer.size == (w, h) else layer.resize((w, h), Image.Resampling.LANCZOS)
        named.append(Layer(f"layer-{i}", sized.convert("RGBA")))
    merged = source
    for layer in named[1:]:
        merged = Image.alpha_composite(merged, layer.image)
    return named, np.asarray(merged.convert("RGB"))


EXECUTOR = QwenLayeredExecutor
