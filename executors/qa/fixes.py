"""Turn a QA report's failures into a new plan: each failed item's fix applied, and recorded.

``apply_fixes(plan, report)`` is what the retry loop
(executors/qa/retry.py) and ``retouch check --fixed-out`` call. A fix is a list of ``PlanChange``
(dotted field, set / add / multiply, operand); a change is clamped to the field's bounds, and one
that cannot apply (adding to a null field, e.g. image guidance for a family without it) is left out.
"""

from __future__ import annotations

import numpy as np
from retouch.executors.qa.report import QAReport
from retouch.planner import checklist as cl
from retouch.planner.errors import PlanError
from retouch.planner.hints import hint
from retouch.planner.schema import EditPlan, PlanChange, RuleHit

# Bounds a fix may move a plan field within (inclusive); ints stay ints.
LIMITS: dict[str, tuple[float, float]] = {
    "strength": (0.05, 1.0),
    "guidance.text": (0.0, 100.0),
    "guidance.image": (1.0, 10.0),
    "mask.dilate_px": (0, 256),
    "mask.feather_px": (0, 256),
    "seed": (0, 2**32 - 1),
    "steps": (1, 500),
}


def _apply_change(data: dict, change: PlanChange, check_id: str) -> bool:
    """Apply one change to a plan dict in place. Returns whether the value changed."""
    *path, leaf = change.field.split(".")
    node = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        raise PlanError(
            f"the {check_id} fix changes {change.field!r}, which a plan does not have; "
            "make the plan again",
            [hint("plan")],
        )
    old = node[leaf]
    if change.op == "set":
        new = change.value
    elif old is None or isinstance(old, bool) or not isinstance(change.value, int | float):
        return False  # nothing to add to or multiply (e.g. no image guidance for this family)
    else:
        new = old + change.value if change.op == "add" else old * change.value
        lo, hi = LIMITS.get(change.field, (-np.inf, np.inf))
        new = min(max(new, lo), hi)
        new = int(round(new)) if isinstance(old, int) else round(float(new), 4)
    node[leaf] = new
    return new != old


def apply_fixes(plan: EditPlan, report: QAReport) -> EditPlan:
    """A copy of ``plan`` with every failed item's fix applied, each recorded as a ``qa-fix-<id>``
    rule hit. A change that cannot apply (adding to a null field) is left out; returns a plan equal
    to ``plan`` when nothing changed. The structure band follows a changed strength."""
    data = plan.model_dump()
    for item in report.failed:
        if item.fix is None:
            continue
        changed = [_apply_change(data, change, item.id) for change in item.fix.changes]
        if any(changed):
            why = (
                f"QA {item.id} failed ({item.value} against {item.threshold}): {item.fix.summary}."
            )
            data["rules"].append(RuleHit(id=f"qa-fix-{item.id}", why=why).model_dump())
    if data["strength"] != plan.strength and data["strength"] is not None:
        s = data["strength"]
        data["qa"] = [
            cl.structure(s, data["mode"]).model_dump() if q["id"] == "structure" else q
            for q in data["qa"]
        ]
        if data["strength_sweep"]:
            data["strength_sweep"] = [round(max(0.05, s - 0.1), 2), s, round(min(0.95, s + 0.1), 2)]
    try:
        return EditPlan.model_validate(data)
    except ValueError as exc:
        first = " ".join(str(exc).splitlines()[:2])
        raise PlanError(
            f"applying the QA fixes made an invalid plan ({first}); edit plan.json by hand"
        ) from exc
