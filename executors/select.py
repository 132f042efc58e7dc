"""Which executor carries a plan out: the weight-free classical fill or a diffusers model.

``auto`` takes the plan's executor; when that is diffusers and no model for the plan is on this
machine, it falls back to the classical fill, but only for what a fill can honestly do (removals
and canvas extensions). A generative edit without weights is a ModelMissingError naming the model
and how to fetch it.
"""

from __future__ import annotations

from typing import Literal

from executors.diffusion.loading import ModelRef, resolve_model
from planner.errors import InputError, ModelMissingError
from planner.schema import EditPlan

CLASSICAL_INTENTS = ("remove", "extend")
CLASSICAL_MODES = ("inpaint", "outpaint", "repaint")


def classical_can_run(plan: EditPlan) -> bool:
    """The weight-free fill can do removals and canvas extensions, nothing generative."""
    return (
        plan.mode in CLASSICAL_MODES
        and plan.intent in CLASSICAL_INTENTS
        and plan.controlnet is None
    )


def choose_executor(
    plan: EditPlan, requested: str, model: str | None, allow_download: bool
) -> tuple[Literal["diffusers", "classical"], ModelRef | None, str]:
    """(executor, model found or None, why)."""
    if requested not in ("auto", "diffusers", "classical"):
        raise InputError(f"executor {requested!r} is not auto, diffusers or classical")
    if requested == "classical":
        if not classical_can_run(plan):
            raise InputError(
                f"the classical fill only removes objects and extends the canvas; this "
                f"{plan.intent} edit ({plan.mode}) needs a diffusion model: use --executor "
                f"diffusers (model {plan.model.id})"
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
