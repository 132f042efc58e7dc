"""What a model run actually uses when it differs from the plan: a variant's steps, a fixed size.

The plan's steps and guidance are the family's defaults (planner/catalog/registry.py ``REGISTRY``). When the
weights on this machine are a published variant of the family (``VARIANTS``: LongCat-Image-Edit
Turbo at 8 steps, FLUX.2 klein base at 50 with CFG), the run uses the variant's steps and text
guidance, unless the request set ``steps`` itself. A variant is recognised by the model id, or by a
folder named like the variant's repository (``.../LongCat-Image-Edit-Turbo``). A step-distillation
LoRA on this machine for the model (``LORAS``: Qwen-Image-Lightning, 8 or 4 steps at guidance 1;
executors.diffusion.lora finds it) is fused on load and runs its steps the same way; unless the
request set ``steps``, which runs the base model as planned.

``Ran`` records what ran (steps, guidance, the whole-frame size and why it is that size) for the
provenance; ``differences`` turns each way it differs from the plan into a ``Degradation``
(what="steps" or "resolution"), next to ``retouch.executors.select.substitutions``'. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retouch.executors.diffusion.interface import DiffusionExecutor
from retouch.executors.diffusion.loading import ModelRef
from retouch.executors.diffusion.lora import LORA_ENV, LoraRef, find_lora
from retouch.executors.images.crop import Tile
from retouch.planner.catalog.registry import LICENCES, VARIANTS, Variant
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import Degradation, EditPlan


@dataclass(frozen=True)
class Ran:
    """The settings one edit's model calls ran with."""

    steps: int  # denoising steps per call
    guidance_text: float
    variant: str | None  # the VARIANTS id (or LoRA repo/file) whose steps/guidance ran
    frame: tuple[int, int] | None  # (W, H) of a whole-frame run at a work size; None: no resize
    frame_rule: str  # why the whole frame ran at that size (empty when frame is None)
    fixed_sizes: bool  # the pipeline only runs at its own sizes (Kontext, Qwen, LongCat)
    step_progress: bool  # whether progress and cancellation work per step with this pipeline
    lora: str | None = None  # the LoRA file fused into the transformer; None: none
    licence: Degradation | None = None  # the weights' licence differs from the plan's

    def params(self) -> dict[str, Any]:
        """Provenance params: the steps that ran, the variant, the whole-frame size and scale."""
        out: dict[str, Any] = {"steps_run": self.steps, "step_progress": self.step_progress}
        if self.variant is not None:
            out["variant"] = self.variant
        if self.lora is not None:
            out["lora"] = self.lora
        if self.frame is not None:
            out["frame_size"] = f"{self.frame[0]}x{self.frame[1]}"
            out["frame_rule"] = self.frame_rule
        return out


def find_variant(ref: ModelRef) -> tuple[str, Variant] | None:
    """The variant of ``ref``'s family that ``ref`` holds, by id or by the folder's name."""
    names = {ref.id.rstrip("/").lower(), Path(ref.id).name.lower(), ref.path.name.lower()}
    for model_id, variant in VARIANTS.items():
        if variant.family != ref.family:
            continue
        if model_id.lower() in names or model_id.split("/")[-1].lower() in names:
            return model_id, variant
    return None


def licence_change(plan: EditPlan, ref: ModelRef) -> Degradation | None:
    """A variant on disk under another licence than the plan states (FLUX.2 klein 9B where klein
    4B was planned), as a ``model`` entry for ``degraded``; None when the licence is the planned
    one. Raises InputError when the request asked for ``licence: open`` and the weights here do
    not allow commercial use: the run would break the request's condition."""
    found = find_variant(ref)
    planned = LICENCES[ref.family]
    if found is None or found[1].licence == planned:
        return None
    model_id, variant = found
    if plan.request.preferences.licence == "open" and not variant.licence.commercial_use:
        raise InputError(
            f"the weights here are {model_id} under the {variant.licence.name}, which does not "
            f"allow commercial use, and licence open was asked for; give the planned weights "
            f"({plan.model.id}) as the model, or allow every licence",
            [hint("model", plan.model.id)],
        )
    return Degradation(
        what="model",
        planned=f"{plan.model.id} ({planned.name})",
        used=f"{model_id} ({variant.licence.name})",
        why=f"the weights on this machine are {model_id}, under another licence",
        fix=f"give the planned weights ({plan.model.id}) as the model",
        hints=[hint("model", plan.model.id)],
    )


def lora_for(plan: EditPlan, ref: ModelRef) -> LoraRef | None:
    """The LoRA to fuse for ``plan`` with the weights ``ref``: None when the request set steps
    (the base model runs them as planned) or no LoRA for the model is here."""
    if plan.request.preferences.steps is not None:
        return None
    return find_lora(ref.family, ref.id, ref.path)


def frame_rule(plan: EditPlan, ref: ModelRef, runner: DiffusionExecutor | None) -> str:
    """Why a whole-frame run works at its size: the runner's own sizes, or the native area."""
    if runner is not None and runner.size_rule is not None:
        return runner.size_rule
    if plan.work_size is not None and ref.family == plan.model.family:
        return plan.work_size.reason
    return f"the {ref.family} model on this machine runs at its native area, resized back"


def run_settings(
    plan: EditPlan,
    ref: ModelRef,
    frame_tiles: list[Tile] | None,
    runner: DiffusionExecutor | None,
    fused: LoraRef | None = None,
    licence: Degradation | None = None,
) -> Ran:
    """What the model calls of ``plan`` run with, given the weights ``ref`` (with the LoRA
    ``fused`` into them, from ``lora_for``) and the tiles of a whole-frame run (``frame_tiles``;
    None when the run is cropped or at the source size); ``runner`` None: no executor loaded
    (the defaults: tiles at their own sizes, progress per step)."""
    found = find_variant(ref) if plan.request.preferences.steps is None else None
    steps, guidance = plan.steps, plan.guidance.text
    variant = found[0] if found else None
    if found is not None:
        steps, guidance = found[1].steps, found[1].text_guidance
    if fused is not None:
        steps, guidance, variant = fused.spec.steps, fused.spec.text_guidance, fused.id
    frame = frame_tiles[0].work_size if frame_tiles else None
    return Ran(
        steps=steps,
        guidance_text=guidance,
        variant=variant,
        frame=frame,
        frame_rule=frame_rule(plan, ref, runner) if frame is not None else "",
        fixed_sizes=runner is not None and runner.size_rule is not None,
        step_progress=runner is None or runner.step_progress,
        lora=str(fused.file) if fused else None,
        licence=licence,
    )


def differences(plan: EditPlan, ran: Ran | None) -> list[Degradation]:
    """Each way ``ran`` differs from ``plan``: the weights' licence (a variant on disk), the steps
    and the whole-frame size (a runner with its own sizes, or another family than planned)."""
    found: list[Degradation] = []
    if ran is None:
        return found
    if ran.licence is not None:
        found.append(ran.licence)
    if ran.lora is not None:
        found.append(
            Degradation(
                what="steps",
                planned=f"{plan.steps} steps at guidance {plan.guidance.text:g}",
                used=f"{ran.steps} steps at guidance {ran.guidance_text:g} with the LoRA "
                f"{ran.variant} fused",
                why=f"that step-distillation LoRA is on this machine ({ran.lora}), made for "
                f"{ran.steps} steps",
                fix=f"give the steps explicitly ({plan.steps}) to run the base model without "
                f"it, or set {LORA_ENV}=none",
                hints=[hint("steps", plan.steps)],
            )
        )
    elif ran.steps != plan.steps and ran.variant is not None:
        found.append(
            Degradation(
                what="steps",
                planned=f"{plan.steps} steps at guidance {plan.guidance.text:g}",
                used=f"{ran.steps} steps at guidance {ran.guidance_text:g}",
                why=f"the weights here are {ran.variant}, made for {ran.steps} steps",
                fix=f"give the steps explicitly ({plan.steps}) to run the planned count, or "
                f"the planned weights ({plan.model.id}) as the model",
                hints=[hint("steps", plan.steps), hint("model", plan.model.id)],
            )
        )
    ws = plan.work_size
    if ws is not None and ran.frame is not None and ran.frame != (ws.width, ws.height):
        found.append(
            Degradation(
                what="resolution",
                planned=f"the whole frame at {ws.width}x{ws.height}",
                used=f"the whole frame at {ran.frame[0]}x{ran.frame[1]}",
                why=ran.frame_rule,
                fix="none: this model runs only at its own sizes (the result is resized back "
                "to the exact source size either way)"
                if ran.fixed_sizes
                else f"fetch the planned model: {plan.model.id}",
            )
        )
    return found
