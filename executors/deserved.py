"""The plan an edit deserves, and the weight-free fill's envelope applied to a plan.

    deserved(plan) -> EditPlan              what a GPU machine would plan for the same request
    fit_envelope(plan, rgb, region) -> EditPlan
                                            the plan with each envelope limit the region breaks
                                            recorded as a rule hit (planner/envelope.py)
    envelope_hits(plan) -> [(Limit, detail)]
    degradations(plan) -> [Degradation]     one per hit: "Ran the weight-free fill, which cannot
                                            rebuild a face, instead of <the deserved model> ..."
    refusal(plan) -> ModelMissingError | None
                                            the error an ``auto`` run raises instead of running
                                            the fill over a face

A weight-free run inside the envelope is not degraded: it is what the fill does well. Outside it,
the run is compared with the deserved plan, not with this machine's (a CPU plan picks the fill
itself, so comparing with it would say nothing). Imports planner and executors.envelope; nothing
heavy at import.
"""

from __future__ import annotations

import numpy as np
from retouch.executors import envelope
from retouch.executors.segment.lru import Lru
from retouch.planner.catalog.registry import fetch_text
from retouch.planner.contract.errors import ModelMissingError, PlanError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import Degradation, EditPlan, RuleHit
from retouch.planner.envelope import LIMITS, Limit

GPU_CLASS = "gpu-24gb"  # the hardware the deserved plan is made for: an L4 / RTX 4090 class card


def deserved(plan: EditPlan) -> EditPlan:
    """The plan the same request gets on a GPU machine (``GPU_CLASS``), or ``plan`` itself when it
    was already made for a GPU (or the GPU plan cannot be made)."""
    from retouch.planner.plan import make_plan

    prefs = plan.request.preferences
    if prefs.hardware != "cpu":
        return plan
    request = plan.request.model_copy(
        update={"preferences": prefs.model_copy(update={"hardware": GPU_CLASS})}
    )

    def make() -> EditPlan | None:
        try:
            return make_plan(request, plan.facts)
        except PlanError:
            return None

    # one plan_edit asks up to three times (degradations, their words, the refusal)
    key = (request.model_dump_json(), plan.facts.model_dump_json())
    made = _DESERVED.get(key, make)
    return plan if made is None else made


_DESERVED: Lru[EditPlan | None] = Lru(32)
"""The GPU plan per (request, facts): make_plan reads nothing else."""


def _model_words(plan: EditPlan) -> str:
    m = deserved(plan).model
    return f"{m.family} ({m.id}, ~{m.vram_gb:g} GB VRAM)"


def envelope_hits(plan: EditPlan) -> list[tuple[Limit, str]]:
    """The envelope limits recorded in ``plan.rules``, each with its measured detail."""
    return [(LIMITS[r.id], r.why) for r in plan.rules if r.id in LIMITS]  # type: ignore[index]


def degradations(plan: EditPlan) -> list[Degradation]:
    """What running the weight-free fill on ``plan`` gives up, as one entry whose first words say
    what the fill cannot do and which model the edit needs (empty inside the envelope)."""
    hits = envelope_hits(plan)
    if not hits:
        return []
    want = deserved(plan).model
    cannot = ", and ".join(limit.cannot for limit, _ in hits)
    return [
        Degradation(
            what="executor",
            planned=f"{_model_words(plan)}, which a GPU machine runs for this edit",
            used=f"the weight-free fill (it {cannot})",
            why="; ".join(detail for _, detail in hits),
            fix=f"run this edit on a machine with a GPU (~{want.vram_gb:g} GB) and the "
            f"{want.family} weights: {fetch_text(want.family, want.id)}",
            hints=[hint("model"), hint("executor", "diffusers")],
        )
    ]


def refusal(plan: EditPlan) -> ModelMissingError | None:
    """The error an ``auto`` run gets instead of a weight-free fill outside the envelope where the
    limit refuses (a face), or None. A cut-out is not refused: its result is the source, the
    subject (face and all) goes on its own layer, and the fill under it draws from the
    background around the subject, not from the skin of a half-covered face; it runs, degraded
    with the limit said."""
    from retouch.executors.images.layers import is_cutout

    if is_cutout(plan):
        return None
    for limit, detail in envelope_hits(plan):
        if limit.refuse:
            want = deserved(plan).model
            return ModelMissingError(
                f"the weight-free fill {limit.cannot} ({detail}); this edit needs "
                f"{_model_words(plan)} on a GPU: {fetch_text(want.family, want.id)}, then run it "
                "there; or ask for the classical executor to run the fill anyway (it will be "
                "reported degraded)",
                [hint("model"), hint("executor", "classical")],
            )
    return None


def fit_envelope(
    plan: EditPlan, rgb: np.ndarray, region: np.ndarray | None, grown_px: int = 0
) -> tuple[EditPlan, list[str]]:
    """(``plan`` with a rule hit per envelope limit the weight-free fill of ``region`` in ``rgb``
    breaks, notes on what could not be checked). ``rgb``: the source, uint8 (H, W, 3); ``region``:
    bool (H, W), None when not known yet (words), or the extended canvas's area for an extension.
    ``grown_px``: how far ``region`` was dilated already (run_plan's mask is). Earlier envelope
    hits are replaced, so a plan measured on an estimate and again on the real mask keeps the
    real one."""
    broken, notes = envelope.check(plan, rgb, region, grown_px)
    kept = [r for r in plan.rules if r.id not in LIMITS]
    hits = [RuleHit(id=f.limit.id, why=f.detail) for f in broken]
    return plan.model_copy(update={"rules": kept + hits}), notes
