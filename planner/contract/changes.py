"""Changes to a plan, one semantics for every caller: an agent's ``overrides`` (MCP run_edit), an
arm of ``retouch compare``, and QA's fixes on a retry (executors/qa/fixes.py).

A ``PlanChange`` names a dotted plan field, an op and an operand:

- the field must exist in the plan (``mask.dilate_px``, ``guidance.text``...); an unknown field is
  an InputError naming the fields there are;
- ``set`` puts the operand there as given (the plan schema then checks it);
- ``add`` and ``multiply`` need a number in the field and a number as operand. A field that is
  null has nothing to add to (image guidance for a family without it): the change is skipped and
  returned as such. A field or operand that is not a number (a string, a bool) is an InputError;
- a number is clamped to the field's bounds (``LIMITS``) and keeps its kind (an int stays an int,
  a float is rounded to 4 places);
- the changed plan must validate; otherwise an InputError names the problem.

The strength sweep (three strengths around the chosen one) is computed here too, so the planner
and a fix that moves the strength agree. Pure Python; imports the plan schema only.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import EditPlan, PlanChange

# Bounds a change may move a plan field within (inclusive); ints stay ints.
LIMITS: dict[str, tuple[float, float]] = {
    "strength": (0.05, 1.0),
    "guidance.text": (0.0, 100.0),
    "guidance.image": (1.0, 10.0),
    "mask.dilate_px": (0, 256),
    "mask.feather_px": (0, 256),
    "seed": (0, 2**32 - 1),
    "steps": (1, 500),
}
SWEEP_STEP = 0.1  # a strength sweep runs the strength, and this much below and above it
SWEEP_RANGE = (0.05, 0.95)


def strength_sweep(strength: float) -> list[float]:
    """The three strengths a sweep runs: ``strength`` and SWEEP_STEP either side, kept inside
    SWEEP_RANGE, rounded to 2 places."""
    lo, hi = SWEEP_RANGE
    return [
        round(max(lo, strength - SWEEP_STEP), 2),
        strength,
        round(min(hi, strength + SWEEP_STEP), 2),
    ]


def _fields(data: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in data.items():
        if key in ("request", "facts", "qa", "rules", "latency"):
            continue
        if isinstance(value, dict):
            out += _fields(value, f"{prefix}{key}.")
        else:
            out.append(prefix + key)
    return out


def apply_change(data: dict[str, Any], change: PlanChange) -> bool | None:
    """Apply one change to a plan dict (``EditPlan.model_dump()``) in place. Returns whether the
    value changed, or None for a skipped change (arithmetic on a null field)."""
    *path, leaf = change.field.split(".")
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        raise InputError(
            f"{change.field!r} is not a plan field; use one of {', '.join(_fields(data))}"
        )
    old = node[leaf]
    if change.op == "set":
        node[leaf] = change.value
        return change.value != old
    if old is None:
        return None  # nothing to add to or multiply
    if isinstance(old, bool) or not isinstance(old, int | float):
        raise InputError(f"{change.op} on {change.field!r} needs a number there (it is {old!r})")
    if isinstance(change.value, bool) or not isinstance(change.value, int | float):
        raise InputError(f"{change.op} on {change.field!r} needs a number, got {change.value!r}")
    new = old + change.value if change.op == "add" else old * change.value
    lo, hi = LIMITS.get(change.field, (float("-inf"), float("inf")))
    new = min(max(new, lo), hi)
    node[leaf] = int(round(new)) if isinstance(old, int) else round(float(new), 4)
    return node[leaf] != old


def apply_changes(plan: EditPlan, changes: list[PlanChange]) -> tuple[EditPlan, list[PlanChange]]:
    """``plan`` with ``changes`` applied in order (see the module docstring), and the changes
    that were skipped. The strength sweep follows a changed strength."""
    if not changes:
        return plan, []
    data = plan.model_dump()
    skipped = [c for c in changes if apply_change(data, c) is None]
    if (
        data["strength"] != plan.strength
        and data["strength"] is not None
        and data["strength_sweep"]
    ):
        data["strength_sweep"] = strength_sweep(data["strength"])
    try:
        return EditPlan.model_validate(data), skipped
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        raise InputError(f"the overrides make an invalid plan: {where}: {msg}") from None
