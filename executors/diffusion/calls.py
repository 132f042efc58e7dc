"""One model call's inputs (``ModelCall``) and the helpers every diffusers executor shares.

Each executor (inpaint, controlnet, sdedit, instruct, repaint) is a class that takes its loaded
pipeline in ``__init__`` and has one entry point, ``__call__(call) -> PIL image``, like a diffusers
pipeline. It checks the call first, then runs the pipeline exactly as a user calling diffusers
would: same arguments, a CPU ``torch.Generator`` seeded with ``call.seed``, PIL output.

A multi-image edit's reference image (``ModelCall.reference``) is the same for every tile of a run:
``run_plan`` reads it once and the runner puts it in each tile's call. Executors whose pipeline
reads references (qwen, klein) pass it on; run_plan refuses a run whose family reads none
(executors/diffusion/reference.py), so no executor ignores one silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image
from retouch.executors.diffusion.steps import StepReporter
from retouch.planner.contract.errors import ExecutorError, InputError, RetouchError
from retouch.planner.contract.hints import hint


class PipelineExecutor:
    """Base of the per-mode executors: holds one diffusers pipeline; ``__call__(ModelCall)`` is the
    one entry point each subclass defines. Implements executors/diffusion/interface.py's
    ``DiffusionExecutor`` with its defaults: tiles run at the size they are cut (``size_rule``
    None) and the pipeline reports each step."""

    size_rule: str | None = None  # set by executors whose pipeline runs only at its own sizes
    step_progress: bool = True  # False where the pipeline has no step callback

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe

    @property
    def multiple_of(self) -> int:
        """Image sides must be multiples of this (the VAE's downscale factor)."""
        return int(self.pipe.vae_scale_factor)

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) a tile of ``size`` runs at when ``size_rule`` is set; here: its own size."""
        return size

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        raise NotImplementedError(f"{type(self).__name__} does not define __call__")


class TransformerExecutor(PipelineExecutor):
    """Base of the executors whose denoiser is a transformer over 2x2-packed latents (Flux,
    Qwen-Image, LongCat, Z-Image, JoyAI): prompts of up to ``max_sequence_length`` text-encoder
    tokens, and sides a multiple of the VAE's factor times the 2x2 latent packing."""

    def __init__(self, pipe: Any, max_sequence_length: int = 512) -> None:
        super().__init__(pipe)
        self.max_sequence_length = max_sequence_length

    @property
    def multiple_of(self) -> int:
        """Image sides must be multiples of this: the VAE's factor times the 2x2 packing."""
        return int(self.pipe.vae_scale_factor) * 2


class FluxExecutor(TransformerExecutor):
    """Base of the Flux executors (FLUX.1 Fill and Kontext, FLUX.2): T5 or Mistral prompts of
    ``max_sequence_length`` tokens (FLUX.1 [dev] is trained with 512)."""


@dataclass(frozen=True)
class ModelCall:
    """Inputs of one model call on one tile, all at the model's working size (W, H)."""

    image: Image.Image  # RGB
    mask: Image.Image | None  # L, 255 = regenerate; None for whole-image edits
    control: Image.Image | None  # RGB control image (an OpenPose skeleton), or None
    prompt: str
    negative: str | None  # None: no negative prompt (distilled families, or none given)
    steps: int
    guidance_text: float
    guidance_image: float | None
    strength: float | None  # SDEdit t/T in (0, 1]
    conditioning_scale: float | None  # ControlNet conditioning scale
    seed: int
    reporter: StepReporter | None = None
    # a multi-image edit's reference (RGB, its own size; the pipeline sizes it), or None
    reference: Image.Image | None = None


def check_call(
    call: ModelCall,
    *,
    mask: bool,
    control: bool = False,
    strength: bool = False,
    multiple_of: int = 8,
) -> None:
    """Validate a call before computing: sizes agree, required inputs are there."""
    w, h = call.image.size
    if call.image.mode != "RGB":
        raise InputError(f"model input image is {call.image.mode}; it must be RGB")
    if w % multiple_of or h % multiple_of:
        raise InputError(f"model input is {w}x{h}; both sides must be multiples of {multiple_of}")
    if mask:
        if call.mask is None:
            raise InputError("this model regenerates a masked region but no mask was given")
        if call.mask.size != call.image.size:
            raise InputError(
                f"mask is {call.mask.size[0]}x{call.mask.size[1]}, image is {w}x{h}; "
                "they must match"
            )
    if control:
        if call.control is None:
            raise InputError("this plan uses a ControlNet: give a control image", [hint("control")])
        if call.control.size != call.image.size:
            raise InputError(
                f"control image is {call.control.size[0]}x{call.control.size[1]}, "
                f"image is {w}x{h}; they must match"
            )
    if strength and (call.strength is None or not 0.0 < call.strength <= 1.0):
        raise InputError(f"SDEdit strength {call.strength} must be in (0, 1]")
    if call.steps < 1:
        raise InputError(f"steps {call.steps} must be at least 1")
    if call.reference is not None and call.reference.mode != "RGB":
        raise InputError(f"reference image is {call.reference.mode}; it must be RGB")


def generator(seed: int) -> Any:
    """A CPU generator: the same seed gives the same noise on every device."""
    import torch

    return torch.Generator("cpu").manual_seed(seed)


def step_hooks(call: ModelCall) -> dict[str, Any]:
    """``callback_on_step_end`` when the caller wants progress or cancellation, else nothing."""
    if call.reporter is not None and call.reporter.active:
        return {"callback_on_step_end": call.reporter}
    return {}


def pipeline_args(call: ModelCall) -> dict[str, Any]:
    """What every text-conditioned pipeline takes from a call: prompt, image, steps, text guidance,
    the seeded generator, PIL output, and the step callback when wanted. Executors add their own."""
    return {
        "prompt": call.prompt,
        "image": call.image,
        "num_inference_steps": call.steps,
        "guidance_scale": call.guidance_text,
        "generator": generator(call.seed),
        "output_type": "pil",
        **step_hooks(call),
    }


def run_pipeline(pipe: Any, **kwargs: Any) -> Image.Image:
    """Call a diffusers pipeline; return its first image. Failures become one-line ExecutorErrors."""
    import torch

    name = type(pipe).__name__
    try:
        out = pipe(**kwargs)
    except RetouchError:
        raise
    except torch.cuda.OutOfMemoryError as exc:
        raise ExecutorError(
            f"{name} ran out of GPU memory; plan for a smaller hardware class "
            "(it turns on CPU offload) or crop to the mask",
            [hint("hardware")],
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any pipeline failure is reported in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ExecutorError(
            f"{name} failed ({type(exc).__name__}: {first}); check the model "
            "folder and the plan's sizes"
        ) from exc
    flagged = getattr(out, "nsfw_content_detected", None)
    if flagged and any(flagged):
        raise ExecutorError(
            f"{name}'s safety checker blanked the result; change the prompt or the region"
        )
    return out.images[0]
