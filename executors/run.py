"""Carry out a plan: ``run_plan(plan) -> RunOutput`` with the result image and its provenance.

run_plan
1. inputs    the source (EXIF-oriented; any common mode, split into RGB + alpha), the edit mask
             (resolve_mask: given / canvas / SAM, then invert and dilate), the control image, the
             reference image of a multi-image edit (executors.diffusion.reference)
2. executor  auto: the plan's, but the weight-free classical fill when the plan's model is not
             on this machine and the task is a removal or an extension; generative edits
             without weights are a ModelMissingError, never a fake result; a reference the
             chosen executor or family would ignore is refused
3. canvas    the source, or for outpainting the extended canvas pre-filled by mirroring
4. model     classical fill, or the diffusers pipeline per tile (executors.diffusion.runner); a VAE
             encode of pixels already encoded reuses their latents (executors.diffusion.latents)
5. composite stitch weights = the edit mask feathered inward; pixels outside the mask are
             the source's exactly; the source's mode, bit depth, alpha and ICC profile come
             back. New canvas of a source with alpha takes the source's edge alpha mirrored
             outward (a transparent background stays transparent) unless the edit text asks to
             fill it (FILL_WORDS); colour under alpha 0 is never shown (executors.images.modes)
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from retouch.executors.classical.fill import ClassicalExecutor, extend_canvas
from retouch.executors.diffusion.loading import ModelRef, pick_device, pick_dtype, wants_download
from retouch.executors.diffusion.pipelines import article
from retouch.executors.diffusion.reference import check_takes_reference, read_reference
from retouch.executors.diffusion.steps import StepReporter
from retouch.executors.diffusion.variants import Ran, differences
from retouch.executors.images import masks
from retouch.executors.images import modes as imagemodes
from retouch.executors.images.composite import composite, stitch_weights
from retouch.executors.images.layers import Layer
from retouch.executors.segment.editmask import canvas_size, resolve_mask, resolve_with_source
from retouch.executors.select import choose_executor, measure_envelope, substitutions
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.imageio import open_image, upright
from retouch.planner.contract.schema import Degradation, EditPlan
from retouch.planner.language.sizes import check_canvas

__all__ = ["Provenance", "RunOutput", "choose_executor", "resolve_mask", "run_plan"]

ExecutorChoice = Literal["auto", "diffusers", "classical"]
MASKED_MODES = ("inpaint", "outpaint", "repaint")
ParamValue = str | float | int | bool | None
FILL_WORDS = re.compile(r"\b(fill|filled|opaque|solid)\b", re.IGNORECASE)
"""Words of an edit that asks for the new canvas of a transparent image to be filled (opaque)."""


class Provenance(BaseModel):
    """How a result was made: enough to reproduce it and to explain it."""

    model_config = ConfigDict(extra="forbid")

    degraded: list[Degradation] = Field(
        default_factory=list,
        description="Every way this run differs from the plan (executor, model, mask source, "
        "hardware), most important first; empty when it ran as planned.",
    )
    executor: Literal["diffusers", "classical"] = Field(description="Executor that ran the edit.")
    model_id: str | None = Field(description="Model id or folder used; null for classical.")
    family: str | None = Field(description="Model family used; null for classical.")
    pipeline: str | None = Field(description="diffusers pipeline class; null for classical.")
    device: str = Field(description="Device the model ran on (cpu, cuda, cuda:N, mps).")
    dtype: str | None = Field(
        description="Weights dtype (float16, bfloat16, float32); null for classical."
    )
    seed: int = Field(description="Random seed of the model calls.")
    steps: int | None = Field(description="Denoising steps asked for; null for classical.")
    strength: float | None = Field(description="SDEdit t/T; null for other modes.")
    guidance_text: float | None = Field(description="Text guidance scale; null when unused.")
    guidance_image: float | None = Field(description="Image guidance scale; null when unused.")
    mask_sha256: str | None = Field(
        description="sha256 of the final edit mask as PNG bytes (mode L, 255 = edit); null for "
        "whole-image edits."
    )
    crop_boxes: list[tuple[int, int, int, int]] = Field(
        description="Boxes the model ran on, XYXY canvas pixels, exclusive end (first = raw's); "
        "the whole canvas when crop was off; empty for classical."
    )
    timings: dict[str, float] = Field(
        description="Seconds per stage: mask, load, model (the pipeline calls), stitch, composite, "
        "total; vae_encode is the part of model spent in VAE encodes."
    )
    params: dict[str, ParamValue] = Field(
        description="Every other parameter used (latent_reuse: whether a VAE encode of this edit "
        "was answered from the latent cache)."
    )


@dataclass
class RunOutput:
    """The result of ``run_plan``."""

    image: Image.Image  # final result: the source's mode; source size (extended for outpaint)
    raw: Image.Image | None  # first pipeline output before stitch/composite (None for classical)
    edit_mask: np.ndarray  # bool (H, W): the region regenerated (after invert/dilate)
    provenance: Provenance
    # a layered family's layers (bottom first, RGBA, the result's size), whose visible layers
    # composite to ``image`` (executors.images.layers.write_layers writes them); None otherwise
    layers: list[Layer] | None = None


# ------------------------------------------------------------------------------------ inputs


def _source(plan: EditPlan, image: Image.Image | None) -> Image.Image:
    image = open_image(plan.request.image) if image is None else upright(image)
    want = (plan.facts.width, plan.facts.height)
    if image.size != want:
        raise InputError(
            f"image is {image.size[0]}x{image.size[1]} but the plan was made for "
            f"{want[0]}x{want[1]}; plan again for this image"
        )
    return image


def _control(
    plan: EditPlan, control: Image.Image | None, size: tuple[int, int]
) -> np.ndarray | None:
    if plan.controlnet is None:
        if control is not None:
            raise InputError(
                "a control image was given but this plan uses no ControlNet (only "
                "hand and face fixes do); leave the control image out",
                [hint("control", drop=True)],
            )
        return None
    if control is None:
        raise InputError(
            f"this plan uses an {plan.controlnet.type} ControlNet: give its control "
            "image (the size of the image)",
            [hint("control")],
        )
    if control.size != size:
        raise InputError(
            f"control image is {control.size[0]}x{control.size[1]}, image is "
            f"{size[0]}x{size[1]}; they must match"
        )
    return np.asarray(control.convert("RGB"))


def _new_alpha(
    plan: EditPlan, src: imagemodes.Source, size: tuple[int, int], offset: tuple[int, int]
) -> tuple[np.ndarray | None, str | None]:
    """Alpha of the new canvas (see step 5) and how it was chosen, for the provenance."""
    if src.alpha is None or size == src.size:
        return None, None
    if FILL_WORDS.search(plan.request.edit or ""):
        return None, "opaque (the edit asks to fill)"
    return imagemodes.canvas_alpha(src, size, offset), "mirrored from the source's edge"


def _png_sha256(edit: np.ndarray) -> str:
    buf = io.BytesIO()
    masks.to_pil(edit).save(buf, format="PNG")
    return hashlib.sha256(buf.getvalue()).hexdigest()


def _canvas(plan: EditPlan, rgb: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    e = plan.request.extend
    if plan.mode == "outpaint" and e is not None and e.any:
        return extend_canvas(rgb, e), (e.left, e.top)
    return rgb, (0, 0)


@dataclass
class _Stage:
    """What the model stage hands to the composite and the provenance."""

    gen: np.ndarray  # uint8 (H, W, 3): model (or fill) output over the canvas
    raw: Image.Image | None
    boxes: list[tuple[int, int, int, int]]
    device: str
    dtype: str | None
    pipeline: str | None
    timings: dict[str, float]
    params: dict[str, ParamValue]
    ran: Ran | None = None  # steps and whole-frame size the model ran with (None: classical)
    layers: list[Layer] | None = None  # a layered family's layers at the canvas size


def _run_classical(plan: EditPlan, canvas: np.ndarray, edit: np.ndarray) -> _Stage:
    fill = ClassicalExecutor()
    t0 = time.perf_counter()
    # provenance of the fill lives in params: method, patch size, and the crop or source share
    params: dict[str, ParamValue] = {
        "classical_method": fill.method,
        "classical_patch_size": fill.patch_size,
    }
    e = plan.request.extend
    if plan.mode == "outpaint" and e is not None and e.any:
        gen, share = fill.extend(canvas, edit, e, seed=plan.seed)
        params["classical_source_share"] = None if share is None else round(share, 4)
    else:
        gen = fill(canvas, edit, seed=plan.seed)
        params["classical_crop"] = ",".join(str(v) for v in fill.crop(edit))
    timings = {"model": time.perf_counter() - t0}
    return _Stage(gen, None, [], "cpu", None, None, timings, params)


def _run_model(
    plan: EditPlan,
    ref: ModelRef,
    canvas: np.ndarray,
    edit: np.ndarray | None,
    control: np.ndarray | None,
    *,
    device: str | None,
    dtype: str | None,
    reporter: StepReporter,
    allow_download: bool,
    reference: Image.Image | None,
) -> _Stage:
    from retouch.executors.diffusion.instruct import DEFAULT_IMAGE_GUIDANCE
    from retouch.executors.diffusion.repaint import JUMP_LENGTH, JUMP_N_SAMPLE
    from retouch.executors.diffusion.runner import run_diffusers

    dev = pick_device(device)
    dt = pick_dtype(dtype, dev, ref.family)
    res = run_diffusers(
        plan,
        ref,
        canvas,
        edit,
        control,
        device=dev,
        dtype=dt,
        reporter=reporter,
        allow_download=allow_download,
        reference=reference,
    )
    h, w = canvas.shape[:2]
    distilled = plan.guidance.kind == "distilled"
    params: dict[str, ParamValue] = {
        "model_source": ref.source,
        "cached": res.cached,
        "offload": plan.model.offload,
        "crop": len(res.tiles) > 1 or res.tiles[0].box != (0, 0, w, h),
        "work_sizes": ";".join(f"{t.work_size[0]}x{t.work_size[1]}" for t in res.tiles),
        "color_match": res.color_matched,
        "prompt": plan.prompt.positive,
        "negative_prompt": None if distilled else plan.prompt.negative or None,
        "guidance_kind": plan.guidance.kind,
        "vae_encodes": res.encodes.encodes,
        "vae_encode_hits": res.encodes.hits,
        "latent_reuse": res.encodes.hits > 0,
        **res.ran.params(),
    }
    if plan.mode == "instruct" and ref.family == "instruct-pix2pix":  # Kontext has no image scale
        params["image_guidance"] = plan.guidance.image or DEFAULT_IMAGE_GUIDANCE
    if plan.controlnet is not None:
        params.update(
            controlnet_id=plan.controlnet.id, conditioning_scale=plan.controlnet.conditioning_scale
        )
    if plan.mode == "repaint":
        params.update(jump_length=min(JUMP_LENGTH, plan.steps), jump_n_sample=JUMP_N_SAMPLE)
    return _Stage(
        res.gen,
        res.raw,
        [t.box for t in res.tiles],
        dev,
        dt,
        res.spec.pipeline,
        res.timings,
        params,
        res.ran,
        res.layers,
    )


def _provenance(
    plan: EditPlan,
    chosen: str,
    ref: ModelRef | None,
    stage: _Stage,
    edit: np.ndarray | None,
    timings: dict[str, float],
    params: dict[str, ParamValue],
) -> Provenance:
    model_run = chosen == "diffusers"
    guidance_image = None
    if model_run and plan.mode == "instruct":
        guidance_image = params.get("image_guidance")
    return Provenance(
        executor=chosen,
        model_id=ref.id if ref else None,
        family=ref.family if ref else None,
        pipeline=stage.pipeline,
        device=stage.device,
        dtype=stage.dtype,
        seed=plan.seed,
        steps=plan.steps if model_run else None,
        strength=plan.strength if model_run and plan.mode == "sdedit" else None,
        guidance_text=plan.guidance.text if model_run and plan.mode != "repaint" else None,
        guidance_image=guidance_image if isinstance(guidance_image, float) else None,
        mask_sha256=_png_sha256(edit) if edit is not None else None,
        crop_boxes=stage.boxes,
        timings={k: round(v, 4) for k, v in timings.items()},
        params=params,
    )


def _params(
    plan: EditPlan,
    source_mode: str,
    mask_from: str,
    why: str,
    alpha_from: str | None,
    prefilled: bool,
) -> dict[str, ParamValue]:
    """Provenance parameters every run records (the stage and the reference add theirs)."""
    return {
        "mode": plan.mode,
        "mask_from": mask_from,
        "intent": plan.intent,
        "executor_reason": why,
        "source_mode": source_mode,
        **({"new_canvas_alpha": alpha_from} if alpha_from else {}),
        "dilate_px": plan.mask.dilate_px,
        "feather_px": plan.mask.feather_px,
        "invert": plan.mask.invert,
        # a model sees the mirrored, blurred strip on new canvas; the PatchMatch fill ignores it
        "prefill": "mirror-blur" if prefilled else None,
    }


def _check_edit_mask(plan: EditPlan, edit: np.ndarray | None) -> None:
    """InputError for a masked mode with no mask, or a mask with nothing in it."""
    if edit is None and plan.mode in MASKED_MODES:
        raise InputError(
            f"{article(plan.mode)} {plan.mode} edit needs a mask; give a mask file, clicks or a "
            "box, or a canvas extension",
            [hint("mask"), hint("points"), hint("box"), hint("extend")],
        )
    if edit is not None and not edit.any():
        raise InputError(
            "the edit mask is empty (nothing to regenerate); paint the region white "
            "or give SAM points on the object"
        )


def _layers(layers: list[Layer] | None, src: imagemodes.Source) -> list[Layer] | None:
    """A layered family's layers, for an 8-bit RGB source (whose result is their composite);
    None for other modes (alpha, 16 bits, grey, CMYK: the layers would not composite to it)."""
    return layers if src.image.mode == "RGB" and src.deep is None else None


def run_plan(
    plan: EditPlan,
    *,
    image: Image.Image | None = None,
    mask: np.ndarray | None = None,
    control: Image.Image | None = None,
    reference: Image.Image | None = None,
    model: str | None = None,
    executor: ExecutorChoice = "auto",
    device: str | None = None,
    dtype: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    sam_checkpoint: str | None = None,
    allow_download: bool = False,
) -> RunOutput:
    """Carry out ``plan``; see the module docstring for the stages.

    ``image`` replaces reading ``plan.request.image``; ``mask`` replaces the plan's mask source
    (before invert/dilate); ``control`` is the ControlNet image; ``reference`` replaces reading
    ``plan.request.guidance.image``; ``model`` (folder or id) replaces the plan's model.
    ``progress(step, total)`` is called after each denoising step; setting ``cancel`` stops
    between steps with ExecutorError("cancelled").
    """
    start = time.perf_counter()
    reporter = StepReporter(progress, cancel)
    allow_download = wants_download(allow_download)
    # 1. inputs
    reporter.check()
    img = _source(plan, image)
    check_canvas(img.size[0], img.size[1], plan.request.extend)  # before the canvas is allocated
    src = imagemodes.split(img)
    t0 = time.perf_counter()
    edit, mask_from = resolve_with_source(plan, img, mask, sam_checkpoint)
    timings = {"mask": time.perf_counter() - t0}
    _check_edit_mask(plan, edit)
    size = canvas_size(plan, img.size)
    control_rgb = _control(plan, control, size)
    guide = read_reference(plan, reference)
    # 2. executor (the weight-free fill's envelope measured on the real region first: an auto run
    # over a face is refused, a run past another limit says so first)
    plan = measure_envelope(plan, src.rgb, edit, executor, model)
    chosen, ref, why = choose_executor(plan, executor, model, allow_download)
    check_takes_reference(
        plan, ref.family if ref else None, model=model, executor=executor, why=why
    )
    # 3. canvas
    canvas, offset = _canvas(plan, src.rgb)
    # 4. model
    reporter.check()
    if ref is None:
        if edit is None:  # classical runs masked modes only (choose_executor checks)
            raise InputError("the classical fill needs a mask")
        stage = _run_classical(plan, canvas, edit)
    else:
        model_kw = {"device": device, "dtype": dtype, "allow_download": allow_download}
        reference_image = guide.image if guide else None
        stage = _run_model(
            plan, ref, canvas, edit, control_rgb,
            reporter=reporter, reference=reference_image, **model_kw,
        )  # fmt: skip
    timings.update(stage.timings)
    # 5. composite: outside the mask the source, byte for byte, in its own mode
    t0 = time.perf_counter()
    region = edit if edit is not None else np.ones((size[1], size[0]), dtype=bool)
    weights = stitch_weights(region, plan.mask.feather_px)
    out_rgb = composite(canvas, stage.gen, weights)
    new_alpha, alpha_from = _new_alpha(plan, src, size, offset)
    result = imagemodes.merge(src, out_rgb, weights > 0, offset, new_alpha)
    timings["composite"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - start
    extended = offset != (0, 0) or canvas.shape != src.rgb.shape
    params = _params(plan, img.mode, mask_from, why, alpha_from, extended and ref is not None)
    params |= {**(guide.params() if guide else {}), **stage.params}
    provenance = _provenance(plan, chosen, ref, stage, edit, timings, params)
    provenance.degraded = substitutions(plan, chosen, ref, why, mask_from, stage.device)
    provenance.degraded += differences(plan, stage.ran)
    return RunOutput(result, stage.raw, region, provenance, _layers(stage.layers, src))
