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

from retouch.executors.diffusion.loading import ModelRef, resolve_model
from retouch.planner.errors import InputError, ModelMissingError
from retouch.planner.hints import hint
from retouch.planner.latency import estimate
from retouch.planner.registry import (
    REGISTRY,
    SAM_CHECKPOINT_HINT,
    SAM_CHECKPOINT_HINTS,
    fetch_text,
)
from retouch.planner.schema import Degradation, EditPlan, Hardware

SAM_ENV = "RETOUCH_SAM_CHECKPOINT"
SAM_SOURCES = ("sam-points", "sam-box")
CLASSICAL_NAME = "the weight-free OpenCV fill (classical)"

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
    if (
        requested == "auto"
        and plan.executor == "classical"
        and model is None
        and (classical_can_run(plan))
    ):
        return "classical", None, "the plan chose the weight-free fill"
    try:
        ref = resolve_model(plan, model, allow_download=allow_download)
    except ModelMissingError as exc:
        if requested == "auto" and model is None and classical_can_run(plan):
            return "classical", None, f"no diffusion model on this machine ({exc})"
        raise
    return "diffusers", ref, "asked for" if requested == "diffusers" else "the plan's model is here"


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
    if plan.executor == "diffusers" and chosen == "classical" and why != "asked for":
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


def assess(
    plan: EditPlan,
    *,
    hardware: Hardware | str,
    sam: str | None = None,
    control_given: bool = False,
    mask_given: bool = False,
) -> Readiness:
    """What running ``plan`` here would do, without loading anything (reads folders and the local
    Hugging Face cache index only). ``hardware``: this machine's class; ``sam``: a SAM checkpoint
    path the run would get; ``control_given``/``mask_given``: the caller has those files."""
    missing: list[str] = []
    degraded: list[Degradation] = []
    chosen, ref = plan.executor, None
    if plan.executor == "diffusers":
        try:
            chosen, ref, why = choose_executor(plan, "auto", None, allow_download=False)
        except ModelMissingError as exc:
            missing.append(f"weights: {exc}")
            why = ""
        if not missing:
            degraded += substitutions(plan, chosen, ref, why, "", str(hardware))
    if plan.mask.source in SAM_SOURCES and not mask_given:
        path = sam_checkpoint(sam)
        if path is None:
            degraded.append(_grabcut_fallback(plan))
        elif not Path(path).expanduser().exists():
            missing.append(f"SAM checkpoint: {path} does not exist; {SAM_CHECKPOINT_HINT}")
    if plan.controlnet is not None and not control_given:
        missing.append(
            f"control image: this plan's {plan.controlnet.type} ControlNet needs "
            f"{plan.controlnet.image}; give it as the control image"
        )
    return Readiness(not missing, chosen, ref, missing, degraded)


def for_this_machine(
    plan: EditPlan,
    *,
    hardware: Hardware,
    sam: str | None = None,
    control_given: bool = False,
    mask_given: bool = False,
) -> EditPlan:
    """``plan`` with ``runnable``, ``missing`` and ``degraded`` filled in for this machine, and its
    latency estimate for what will actually run (the classical fill when it stands in)."""
    ready = assess(
        plan, hardware=hardware, sam=sam, control_given=control_given, mask_given=mask_given
    )
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
