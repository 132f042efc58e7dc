"""Which executor carries a plan out, and every way that differs from the plan.

``choose_executor``: ``auto`` takes the plan's executor; when that is diffusers and no model for
the plan is on this machine, it falls back to the classical fill, but only for what a fill can
honestly do (removals and canvas extensions). A generative edit without weights is a
ModelMissingError naming the model and how to fetch it.

``substitutions``: each difference between the plan and what runs (executor, model, mask source,
hardware) as a ``Degradation`` with the planned one, the one used, why, and how to get the planned
one. ``assess`` answers the same before anything runs: runnable, what is missing, what would be
substituted. Neither imports torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from retouch.executors import deserved
from retouch.executors.diffusion.loading import ModelRef, resolve_model
from retouch.executors.segment.editmask import SAM_ENV, box_is_the_mask
from retouch.planner.catalog.registry import (
    REGISTRY,
    SAM_CHECKPOINT_HINT,
    SAM_CHECKPOINT_HINTS,
    fetch_text,
)
from retouch.planner.contract.errors import InputError, ModelMissingError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.request import CLICK_SOURCES
from retouch.planner.contract.schema import Degradation, EditPlan, Hardware
from retouch.planner.latency import estimate

SAM_SOURCES = CLICK_SOURCES  # clicks or a box: GrabCut stands in without a SAM checkpoint
CLASSICAL_NAME = "the weight-free PatchMatch fill (classical)"

CLASSICAL_INTENTS = ("remove", "extend")
CLASSICAL_MODES = ("inpaint", "outpaint", "repaint")


def classical_can_run(plan: EditPlan) -> bool:
    """The weight-free fill can do removals and canvas extensions, nothing generative and no
    reference image."""
    return (
        plan.mode in CLASSICAL_MODES
        and plan.intent in CLASSICAL_INTENTS
        and plan.controlnet is None
        and plan.request.guidance is None  # a reference image needs a model that reads it
    )


def choose_executor(
    plan: EditPlan, requested: str, model: str | None, allow_download: bool
) -> tuple[Literal["diffusers", "classical"], ModelRef | None, str]:
    """(executor, model found or None, why)."""
    if requested not in ("auto", "diffusers", "classical"):
        raise InputError(f"executor {requested!r} is not auto, diffusers or classical")
    if requested == "classical":
        if not classical_can_run(plan):
            limit = (
                "cannot use a reference image"
                if plan.request.guidance is not None
                else "only removes objects and extends the canvas"
            )
            raise InputError(
                f"the classical fill {limit}; this {plan.intent} edit ({plan.mode}) needs a "
                f"diffusion model ({_planned_model(plan)}), which {_model_state(plan, model)}"
            )
        return "classical", None, "asked for"
    fill_may = requested == "auto" and model is None and classical_can_run(plan)
    if fill_may and plan.executor == "classical" and not deserved.envelope_hits(plan):
        return "classical", None, "the plan chose the weight-free fill"
    try:
        ref = resolve_model(plan, model, allow_download=allow_download)
    except ModelMissingError as exc:
        if fill_may:
            refused = deserved.refusal(plan)  # outside the envelope: a face
            if refused is not None:
                raise refused from None
            return "classical", None, f"no diffusion model on this machine ({exc})"
        raise
    if plan.executor == "classical" and requested == "auto":
        return "diffusers", ref, "the edit is outside the weight-free fill's envelope"
    return "diffusers", ref, "asked for" if requested == "diffusers" else "the plan's model is here"


def measure_envelope(
    plan: EditPlan, rgb: np.ndarray, region: np.ndarray | None, requested: str, model: str | None
) -> EditPlan:
    """``plan`` with the weight-free fill's envelope measured on the real region (bool, the
    source's size, or the extended canvas's; as run_plan resolves it, dilated by the plan's
    ``mask.dilate_px``), when the fill may run: asked for, or ``auto`` with
    the plan choosing it or the plan's model missing. Call it between the mask and
    ``choose_executor``: an ``auto`` run over a face is then refused, and a run past another
    limit says so first in ``substitutions``."""
    if requested == "diffusers" or model is not None or not classical_can_run(plan):
        return plan
    if requested == "auto" and plan.executor == "diffusers":
        try:
            resolve_model(plan, None, allow_download=False)
            return plan  # the model runs: no fill to measure
        except (ModelMissingError, InputError):
            pass
    grown = plan.mask.dilate_px if plan.intent == "remove" else 0
    return deserved.fit_envelope(plan, rgb, region, grown)[0]


# ------------------------------------------------------------------------------------ run


def _planned_model(plan: EditPlan) -> str:
    return f"{plan.model.family} {plan.model.id}"


def fetch_hint(plan: EditPlan) -> str:
    """The command that puts the plan's model on this machine, in backticks, then any note."""
    return fetch_text(plan.model.family, plan.model.id)


def _model_state(plan: EditPlan, model: str | None) -> str:
    try:
        resolve_model(plan, model, allow_download=False)
    except (ModelMissingError, InputError) as exc:
        return f"is not usable on this machine ({exc})"
    return "is on this machine: use the executor auto or diffusers"


# ------------------------------------------------------------------------------- substitutions


def _executor_fallback(plan: EditPlan, why: str) -> Degradation:
    return Degradation(
        what="executor",
        planned=f"diffusers {_planned_model(plan)}",
        used=CLASSICAL_NAME,
        why=why,
        fix=f"put the weights on this machine ({fetch_hint(plan)}) or give a model folder, "
        "then run the plan again",
        hints=[hint("model")],
    )


def _model_swap(plan: EditPlan, ref: ModelRef) -> Degradation:
    given = ref.source == "folder" and Path(ref.id).expanduser().is_dir()
    return Degradation(
        what="model",
        planned=_planned_model(plan),
        used=f"{ref.family} {ref.id}",
        why=f"the model folder given holds {ref.family}"
        if given
        else f"{plan.model.id} is not on this machine; {ref.id} is",
        fix=f"fetch the planned model: {fetch_hint(plan)}",
    )


def sam_checkpoint(given: str | None) -> str | None:
    """The SAM checkpoint a run would use: the given path, else $RETOUCH_SAM_CHECKPOINT."""
    return given or os.environ.get(SAM_ENV) or None


def _grabcut_fallback(plan: EditPlan) -> Degradation:
    return Degradation(
        what="mask-source",
        planned=f"Segment Anything ({plan.mask.source})",
        used="OpenCV GrabCut (lower quality: it follows colour, not objects)",
        why="no Segment Anything checkpoint is configured on this machine",
        fix=f"{SAM_CHECKPOINT_HINT} (or set {SAM_ENV}); or give the mask as a file",
        hints=[*SAM_CHECKPOINT_HINTS, hint("mask")],
    )


def _hardware(plan: EditPlan, actual: Hardware | str) -> Degradation | None:
    planned = plan.latency.hardware
    on_gpu = not str(actual).startswith("cpu")
    if plan.executor == "classical" or planned == "cpu" or on_gpu:
        return None
    return Degradation(
        what="hardware",
        planned=f"{planned} GPU (estimate {plan.latency.total_s:g} s)",
        used=f"{actual} (a diffusion model on a CPU takes minutes)",
        why="this machine has no GPU that torch can use",
        fix="run on a machine with a GPU, or plan for this one's CPU",
        hints=[hint("hardware", "cpu")],
    )


def substitutions(
    plan: EditPlan,
    chosen: str,
    ref: ModelRef | None,
    why: str,
    mask_from: str,
    device: str,
) -> list[Degradation]:
    """What ran differently from ``plan``: one entry per substituted decision, most important
    first. ``why`` is choose_executor's reason; ``mask_from`` how the mask was made (sam, grabcut,
    file...); ``device`` where the model ran."""
    found: list[Degradation] = []
    envelope = deserved.degradations(plan) if chosen == "classical" else []
    found += envelope  # outside the envelope: first, against the plan the edit deserves
    if plan.executor == "diffusers" and chosen == "classical" and why != "asked for":
        if not envelope:  # an envelope entry already says the fill ran instead of the model
            found.append(
                _executor_fallback(plan, "the planned model's weights are not on this machine")
            )
    if ref is not None and (ref.id != plan.model.id or ref.family != plan.model.family):
        if Path(ref.id).expanduser().is_dir() and ref.family == plan.model.family:
            pass  # the caller named a folder of the planned family: not a substitution
        else:
            found.append(_model_swap(plan, ref))
    if plan.mask.source in SAM_SOURCES and mask_from == "grabcut":
        found.append(_grabcut_fallback(plan))
    if chosen == "diffusers":
        hw = _hardware(plan, device)
        if hw is not None:
            found.append(hw)
    return found


# ------------------------------------------------------------------------------- before running


@dataclass
class Readiness:
    """Can this machine run a plan: what would run, what is missing, what would be substituted."""

    runnable: bool
    executor: str  # diffusers | classical: what would run
    model: ModelRef | None
    missing: list[str] = field(default_factory=list)
    degraded: list[Degradation] = field(default_factory=list)


def _mask_backend(plan: EditPlan, sam: str | None, degraded: list[Degradation]) -> list[str]:
    """What the plan's mask source lacks here (SAM 3 for words, the face models for face words, a
    SAM checkpoint for clicks); a click mask GrabCut stands in for is added to ``degraded``."""
    source = plan.mask.source
    if source == "text":
        from retouch.executors.segment.checkpoints import find_sam3

        try:
            find_sam3(sam)
        except (ModelMissingError, InputError) as exc:
            return [f"SAM 3 (the mask from the words {plan.mask.text!r}): {exc}"]
    elif source == "face":
        from retouch.executors.faces import FACES_INSTALL, faces_available

        if not faces_available():
            return [
                f"the face models (the mask from the words {plan.mask.text!r}): {FACES_INSTALL}; "
                "or mark the region with clicks or a box, or give a mask file"
            ]
    elif source in SAM_SOURCES:
        path = sam_checkpoint(sam)
        if path is None:
            if not box_is_the_mask(plan, None):  # else the box is the mask as drawn
                degraded.append(_grabcut_fallback(plan))
        elif not Path(path).expanduser().exists():
            return [f"SAM checkpoint: {path} does not exist; {SAM_CHECKPOINT_HINT}"]
    return []


def _inputs(plan: EditPlan, control_given: bool) -> list[str]:
    """The control and reference images the plan needs and does not have."""
    missing = []
    if plan.controlnet is not None and not control_given:
        missing.append(
            f"control image: this plan's {plan.controlnet.type} ControlNet needs "
            f"{plan.controlnet.image}; give it as the control image"
        )
    ref = plan.request.guidance.image if plan.request.guidance is not None else None
    if ref is not None and not ref.startswith("@") and not Path(ref).expanduser().is_file():
        missing.append(f"reference image: {ref} is not a file; give the reference image")
    return missing


def assess(
    plan: EditPlan,
    *,
    hardware: Hardware | str,
    sam: str | None = None,
    control_given: bool = False,
    mask_given: bool = False,
) -> Readiness:
    """What running ``plan`` here would do, stage by stage, without loading anything (reads
    folders, the local Hugging Face cache index and package metadata only): the mask backend, the
    control and reference images, the model (or the weight-free fill, within its envelope).
    ``hardware``: this machine's class; ``sam``: a SAM checkpoint path the run would get;
    ``control_given``/``mask_given``: the caller has those files."""
    from importlib.util import find_spec

    missing: list[str] = []
    degraded: list[Degradation] = []
    # 1. the executor: the plan's model, or the weight-free fill (refused over a face)
    chosen, ref = plan.executor, None
    try:
        chosen, ref, why = choose_executor(plan, "auto", None, allow_download=False)
    except ModelMissingError as exc:
        label = "model" if deserved.refusal(plan) is not None else "weights"
        missing.append(f"{label}: {exc}")
    else:
        degraded += substitutions(plan, chosen, ref, why, "", str(hardware))
    if chosen == "classical" and find_spec("patchmatch") is None:
        missing.append(
            "the weight-free fill: PyPatchMatch is not installed; pip install pypatchmatch"
        )
    # 2. the mask backend, 3. the control and reference images
    if not mask_given:
        missing += _mask_backend(plan, sam, degraded)
    missing += _inputs(plan, control_given)
    return Readiness(not missing, chosen, ref, missing, degraded)


def for_this_machine(
    plan: EditPlan,
    *,
    hardware: Hardware,
    sam: str | None = None,
    control_given: bool = False,
    mask_given: bool = False,
    image: np.ndarray | None = None,
) -> EditPlan:
    """``plan`` with ``runnable``, ``missing`` and ``degraded`` filled in for this machine, and its
    latency estimate for what will actually run (the classical fill when it stands in). When the
    weight-free fill would run, its envelope is measured on ``image`` (uint8 (H, W, 3); default:
    the request's image file) and the region known before any model runs (executors/envelope.py),
    so a face or a hole past the limits is refused or said first."""
    ready = assess(
        plan, hardware=hardware, sam=sam, control_given=control_given, mask_given=mask_given
    )
    if ready.executor == "classical" and classical_can_run(plan):
        plan, notes = _measured(plan, image)
        ready = assess(
            plan, hardware=hardware, sam=sam, control_given=control_given, mask_given=mask_given
        )
        plan = plan.model_copy(update={"warnings": plan.warnings + notes})
    update: dict = {
        "runnable": ready.runnable,
        "missing": ready.missing,
        "degraded": ready.degraded,
    }
    if ready.runnable and ready.executor == "classical" and plan.executor != "classical":
        f = plan.facts
        share = f.mask_bbox_area if f.mask_bbox_area is not None else 1.0
        update["latency"] = estimate(
            REGISTRY[plan.model.family],
            hardware,  # type: ignore[arg-type]
            executor="classical",
            steps_run=0,
            work_pixels=share * f.out_width * f.out_height,
            mask_stage="prepare" if plan.mask.source != "none" else None,
            controlnet=False,
            offload=False,
        )
    return plan.model_copy(update=update)


def _measured(plan: EditPlan, image: np.ndarray | None) -> tuple[EditPlan, list[str]]:
    """``plan`` with its envelope hits, measured on ``image`` or the request's image file, and
    the notes on what could not be measured."""
    from retouch.executors.envelope import estimate_region

    if image is None:
        image = _read_rgb(plan.request.image)
    if image is None:
        return plan, ["the weight-free fill's envelope was not measured (the image is not a file)"]
    region = estimate_region(plan, (image.shape[1], image.shape[0]))
    fitted, notes = deserved.fit_envelope(plan, image, region)
    return fitted, [n[0].upper() + n[1:] + "." for n in notes if n not in " ".join(plan.warnings)]


def _read_rgb(path: str) -> np.ndarray | None:
    """The image file at ``path`` as uint8 RGB (EXIF orientation applied), None if unreadable."""
    from PIL import Image, ImageOps

    if path.startswith("@") or not Path(path).expanduser().is_file():
        return None
    try:
        with Image.open(Path(path).expanduser()) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except OSError:
        return None
