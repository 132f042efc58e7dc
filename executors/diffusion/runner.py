"""Run a plan's diffusion model over its tiles: load, cut, call, paste back, colour match.

Called by ``retouch.executors.run.run_plan`` once it has the working canvas and the edit mask. Each tile is
one model call (crop-and-stitch: one per mask region; otherwise the whole canvas). The model sees
the tile's pixels and the conditioning mask at its working size; what comes back is resized to the
tile's box and pasted into a copy of the canvas. The final composite (executors.images.composite) decides
which of those pixels reach the result.

Working sizes: the tile's box resized to the native side (crop); a whole-frame run at the plan's
``work_size`` (the family's native area at the source's aspect, issue 14), resized there and back by
the same cut/paste_back as crop tiles; otherwise the canvas padded to the runner's multiple (8 for
SD/SDXL, 16 for Flux). A runner with its own ``work_size`` (Kontext, Qwen-Image-Edit, LongCat: fixed
resolutions) sets it for every tile. A variant on disk (Turbo, klein base) runs its own steps, and
so does a Lightning LoRA fused on load (executors.diffusion.variants). VAE encodes are counted per
edit (executors.diffusion.latents).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from retouch.executors.diffusion import latents
from retouch.executors.diffusion.calls import ModelCall
from retouch.executors.diffusion.interface import DiffusionExecutor, executor_class
from retouch.executors.diffusion.loading import ModelRef, load_pipeline, resolve_controlnet
from retouch.executors.diffusion.lora import LoraRef
from retouch.executors.diffusion.pipelines import PipelineSpec, article, pipeline_for
from retouch.executors.diffusion.qwen_layered import canvas_layers
from retouch.executors.diffusion.steps import StepReporter
from retouch.executors.diffusion.variants import Ran, licence_change, lora_for, run_settings
from retouch.executors.images import crop
from retouch.executors.images.composite import color_match
from retouch.executors.images.layers import Layer
from retouch.planner.catalog.registry import REGISTRY
from retouch.planner.context import BBOX_SMALL
from retouch.planner.contract.errors import ExecutorError
from retouch.planner.contract.schema import EditPlan
from retouch.planner.language import sizes


@dataclass
class DiffusionResult:
    gen: np.ndarray  # uint8 (H, W, 3): the canvas with every tile's output pasted in
    raw: Image.Image  # the first tile's pipeline output, at working size
    tiles: list[crop.Tile]
    spec: PipelineSpec
    cached: bool
    color_matched: bool
    encodes: latents.Tally  # VAE encodes of this edit and how many the latent cache answered
    ran: Ran  # steps, guidance and whole-frame size that actually ran
    timings: dict[str, float] = field(default_factory=dict)
    # a layered family's RGBA layers at the canvas size, under them the canvas (qwen_layered)
    layers: list[Layer] | None = None


def native_side(plan: EditPlan, ref: ModelRef) -> int:
    """The long side the model runs at: the plan's, or the registry's when the family changed."""
    if ref.family == plan.model.family:
        return plan.crop.resize_to or plan.model.native_resolution
    return REGISTRY[ref.family].native_resolution


def use_crop(plan: EditPlan, edit: np.ndarray | None) -> bool:
    """Crop-and-stitch is on when the plan says so; ``auto`` decides on the mask's box area."""
    if edit is None or edit.all() or not edit.any() or plan.crop.enabled is False:
        return False
    if plan.crop.enabled is True:
        return True
    rows, cols = np.flatnonzero(edit.any(axis=1)), np.flatnonzero(edit.any(axis=0))
    box_area = (rows[-1] + 1 - rows[0]) * (cols[-1] + 1 - cols[0]) / edit.size
    return bool(box_area <= BBOX_SMALL)


def frame_size(
    plan: EditPlan, ref: ModelRef, size: tuple[int, int], multiple_of: int
) -> tuple[int, int] | None:
    """(W, H) a whole-frame run of a canvas of ``size`` works at: the plan's ``work_size``; for
    another family than planned, that area scaled by the ratio of their native sides (SDXL's
    1024 -> SD's 512), sides on the runner's multiple. None when the plan runs at the source size."""
    ws = plan.work_size
    if ws is None:
        return None
    same = ref.family == plan.model.family
    if same and not (ws.width % multiple_of or ws.height % multiple_of):
        return ws.width, ws.height
    ratio = REGISTRY[ref.family].native_resolution / REGISTRY[plan.model.family].native_resolution
    side = round(math.sqrt(ws.width * ws.height) * ratio)
    return sizes.work_size(size[0], size[1], side, multiple_of)


def plan_tiles(
    plan: EditPlan,
    edit: np.ndarray | None,
    size: tuple[int, int],
    *,
    native: int,
    multiple_of: int,
    frame: tuple[int, int] | None = None,
) -> list[crop.Tile]:
    """The model calls for this plan on a canvas of ``size`` (W, H); ``frame`` is the whole-frame
    work size (``frame_size``), used when the run is not cropped."""
    if edit is not None and use_crop(plan, edit):
        return crop.crop_tiles(
            edit, padding=plan.crop.padding_px or None, multiple_of=multiple_of, resize_to=native
        )
    if frame is not None:  # resized there by cut(), back to the exact source size by paste_back()
        return [crop.Tile((0, 0, size[0], size[1]), frame)]
    return [
        crop.full_tile(size, multiple_of=multiple_of, max_side=native if edit is None else None)
    ]


def fit_tiles(tiles: list[crop.Tile], runner: DiffusionExecutor, native: int) -> list[crop.Tile]:
    """Tiles at the runner's own working sizes, when it has them (``size_rule`` set: Flux
    Kontext's trained sizes, the fixed ~1024^2 of LongCat and of Qwen's inpaint pipeline)."""
    if runner.size_rule is None:
        return tiles
    return [crop.Tile(t.box, runner.work_size(t.size, native)) for t in tiles]


def load_executor(
    plan: EditPlan,
    ref: ModelRef,
    *,
    device: str,
    dtype: str,
    allow_download: bool,
    fused: LoraRef | None = None,
) -> tuple[DiffusionExecutor, PipelineSpec, bool]:
    """The executor object for the plan's mode with its pipeline loaded (or taken from the cache),
    the LoRA ``fused`` into it."""
    cn = plan.controlnet.type if plan.controlnet else None
    spec = pipeline_for(ref.family, plan.mode, cn)
    if spec is None:  # resolve_model only returns families that can run the mode
        raise ExecutorError(
            f"no pipeline runs {article(plan.mode)} {plan.mode} edit with {ref.family}"
        )
    cn_path = (
        resolve_controlnet(plan.controlnet.id, allow_download=allow_download)
        if (plan.controlnet)
        else None
    )
    pipe, cached = load_pipeline(
        spec,
        ref,
        device=device,
        dtype=dtype,
        controlnet=cn_path,
        offload=plan.model.offload,
        fused=fused,
    )
    return executor_class(spec.executor)(pipe), spec, cached


def tile_call(
    plan: EditPlan,
    tile: crop.Tile,
    canvas: np.ndarray,
    edit: np.ndarray | None,
    control: np.ndarray | None,
    reporter: StepReporter,
    ran: Ran,
    reference: Image.Image | None = None,
) -> ModelCall:
    """The model call for one tile: its pixels, masks and the plan's settings at working size
    (steps and text guidance as ``ran``: the variant's when one is on disk). ``reference`` (a
    multi-image edit's second image, whole, at its own size) is the same for every tile."""
    negative = plan.prompt.negative.strip() or None
    return ModelCall(
        image=crop.cut(tile, canvas),
        mask=crop.cut_mask(tile, edit) if edit is not None else None,
        control=crop.cut(tile, control) if control is not None else None,
        reference=reference,
        prompt=plan.prompt.positive,
        negative=None if plan.guidance.kind == "distilled" else negative,
        steps=ran.steps,
        guidance_text=ran.guidance_text,
        guidance_image=plan.guidance.image,
        strength=plan.strength,
        seed=plan.seed,
        reporter=reporter,
        conditioning_scale=plan.controlnet.conditioning_scale if plan.controlnet else None,
    )


def run_diffusers(
    plan: EditPlan,
    ref: ModelRef,
    canvas: np.ndarray,
    edit: np.ndarray | None,
    control: np.ndarray | None,
    *,
    device: str,
    dtype: str,
    reporter: StepReporter,
    allow_download: bool,
    reference: Image.Image | None = None,
) -> DiffusionResult:
    """Run the plan's model on ``canvas`` (uint8 (H, W, 3)) with mask ``edit`` (bool (H, W)) and,
    for a multi-image edit, the RGB ``reference`` image."""
    # 1. the pipeline, once per process
    t0 = time.perf_counter()
    licence = licence_change(plan, ref)  # refuses non-commercial weights under licence open
    fused = lora_for(plan, ref)
    runner, spec, cached = load_executor(
        plan, ref, device=device, dtype=dtype, allow_download=allow_download, fused=fused
    )
    timings = {"load": time.perf_counter() - t0, "model": 0.0, "stitch": 0.0}
    # 2. the tiles, at the runner's working sizes
    h, w = canvas.shape[:2]
    multiple = max(plan.crop.multiple_of, runner.multiple_of)
    native = native_side(plan, ref)
    frame = frame_size(plan, ref, (w, h), multiple)
    tiles = plan_tiles(plan, edit, (w, h), native=native, multiple_of=multiple, frame=frame)
    tiles = fit_tiles(tiles, runner, native)
    reporter.calls = len(tiles)
    ran = run_settings(plan, ref, tiles if frame is not None else None, runner, fused, licence)
    # 3. one model call per tile, pasted into a copy of the canvas; VAE encodes counted
    gen = canvas.copy()
    raw: Image.Image | None = None
    matched = False
    with latents.counting() as tally:
        for tile in tiles:
            reporter.check()
            t0 = time.perf_counter()
            call = tile_call(plan, tile, canvas, edit, control, reporter, ran, reference)
            t1 = time.perf_counter()
            out = runner(call)
            t2 = time.perf_counter()
            timings["model"] += t2 - t1
            raw = out if raw is None else raw
            x0, y0, x1, y1 = tile.box
            patch = crop.paste_back(tile, out)
            # 4. colour match the region to the ring around it, inside this tile
            if plan.color_match and edit is not None and not edit.all():
                fixed = color_match(
                    patch,
                    canvas[y0:y1, x0:x1],
                    edit[y0:y1, x0:x1],
                    ring_px=max(8, plan.mask.feather_px),
                )
                matched = matched or fixed is not patch
                patch = fixed
            gen[y0:y1, x0:x1] = patch
            timings["stitch"] += time.perf_counter() - t2 + (t1 - t0)
    if raw is None:  # plan_tiles always gives at least one tile
        raise ExecutorError("no model call was made; the canvas is empty")
    timings["vae_encode"] = tally.seconds
    # 5. a layered family (Qwen-Image-Layered): its layers at the canvas size; the result is
    # their composite, so the visible layers composite to it exactly
    named = None
    if getattr(runner, "layers", None):
        named, gen = canvas_layers(runner.layers, canvas)
    return DiffusionResult(gen, raw, tiles, spec, cached, matched, tally, ran, timings, named)
