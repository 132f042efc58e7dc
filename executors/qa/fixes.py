"""Turn a QA report's failures into a new plan: each failed item's fix applied, and recorded.

``apply_fixes(plan, report)`` is what the retry loop
(executors/qa/retry.py) and ``retouch check --fixed-out`` call. A fix is a list of ``PlanChange``
(dotted field, set / add / multiply, operand), applied with the one plan-change semantics of
planner/contract/changes.py (the MCP overrides' and compare arms' too): a change is clamped to the field's
bounds, and one that cannot apply (adding to a null field, e.g. image guidance for a family
without it) is left out.
"""

from __future__ import annotations

from retouch.executors.qa.report import QAReport
from retouch.planner import checklist as cl
from retouch.planner.contract.changes import apply_change, strength_sweep
from retouch.planner.contract.errors import InputError, PlanError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import EditPlan, PlanChange, RuleHit


def _apply_change(data: dict, change: PlanChange, check_id: str) -> bool:
    """Apply one change to a plan dict in place with the one plan-change semantics
    (planner/contract/changes.py: clamped to LIMITS, skipped on a null field). Returns whether the value
    changed."""
    try:
        return bool(apply_change(data, change))
    except InputError as exc:
        raise PlanError(
            f"the {check_id} fix cannot apply ({exc}); make the plan again", [hint("plan")]
        ) from None


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
            data["strength_sweep"] = strength_sweep(s)
    try:
        return EditPlan.model_validate(data)
    except ValueError as exc:
        first = " ".join(str(exc).splitlines()[:2])
        raise PlanError(
            f"applying the QA fixes made an invalid plan ({first}); edit plan.json by hand"
        ) from exc
