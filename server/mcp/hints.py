"""Hints in the tools' own words: each setting a fix names (planner/contract/hints.py) as the tool argument
that does the same, or the server setting where no argument exists.

An argument is written in backticks, qualified with its tool when the tool answering does not take
it: ``mask`` in a run_edit reply, "plan_edit's ``mask``" in a make_mask reply. Settings only the
server's operator can change (downloads, the SAM checkpoint) name the environment variable.

    argument(Hint(setting="points"), "make_mask")   `sam.points`
    argument(Hint(setting="model"), "plan_edit")    run_edit's `overrides` [{"field": "model.id", ...}]
    argument(Hint(setting="allow_download"))        RETOUCH_ALLOW_DOWNLOAD=1 where the server runs

``tool_error`` is a failed call's text; ``tool_words``, ``tool_degraded`` and ``tool_plan`` render
a reply's readiness notes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from retouch.planner.contract.hints import Hint
from retouch.planner.contract.readiness import Degradation
from retouch.planner.contract.schema import EditPlan

# setting -> {tool: argument path}, the first tool the one named when the answering tool lacks it
ARGUMENTS: dict[str, dict[str, str]] = {
    "mask": {"plan_edit": "mask", "run_edit": "mask", "check_edit": "mask"},
    "points": {"make_mask": "sam.points", "plan_edit": "sam.points"},
    "box": {"make_mask": "sam.box", "plan_edit": "sam.box"},
    "text": {"make_mask": "text", "plan_edit": "sam.text"},
    "instance": {"make_mask": "instance"},
    "scene": {"plan_edit": "scene"},
    "extend": {"plan_edit": "extend"},
    "control": {"run_edit": "control"},
    "reference": {"plan_edit": "guidance.image"},
    "executor": {"run_edit": "executor"},
    "hardware": {"plan_edit": "preferences.hardware"},
    "priority": {"plan_edit": "preferences.priority"},
    "session": {t: "session" for t in ("plan_edit", "make_mask", "run_edit", "check_edit")},
}
# settings that are a plan change: run_edit's overrides, field and placeholder value
OVERRIDES: dict[str, tuple[str, str]] = {
    "model": ("model.id", '"<a model folder under the server\'s roots>"'),
    "steps": ("steps", "N"),
    "seed": ("seed", "S"),
}
# settings no argument reaches: who changes them, and how
SERVER: dict[str, str] = {
    "sam_checkpoint": "RETOUCH_SAM_CHECKPOINT={} where the server runs",
    "sam_type": "a {} SAM checkpoint in RETOUCH_SAM_CHECKPOINT where the server runs",
    "allow_download": "RETOUCH_ALLOW_DOWNLOAD=1 where the server runs",
    "device": "the server's device ({})",
    "root": "a root folder of the server ({})",
    "out": "the server's output folder ({})",
    "max_retries": "run_edit again with the failed checks' fixes in run_edit's `overrides`",
    "plan": "plan_edit again",
}
_PLACEHOLDER = {"sam_checkpoint": "PATH", "sam_type": "matching", "device": "cpu"}


def _json(value: str) -> str:
    """A value as JSON: a number stays a number."""
    try:
        return json.dumps(int(value))
    except ValueError:
        return json.dumps(value)


def _arg(path: str, owner: str, tool: str | None) -> str:
    return f"`{path}`" if owner == tool else f"{owner}'s `{path}`"


def argument(h: Hint, tool: str | None = None) -> str:
    """The hint as the argument of ``tool`` (or of the tool that takes it), or a server setting."""
    if h.setting in OVERRIDES:
        field, placeholder = OVERRIDES[h.setting]
        value = _json(h.value) if h.value is not None else placeholder
        change = f'{{"field": "{field}", "op": "set", "value": {value}}}'
        return _arg("overrides", "run_edit", tool) + f" [{change}]"
    if h.setting in SERVER:
        value = h.value or _PLACEHOLDER.get(h.setting, "set by its operator")
        return SERVER[h.setting].format(value)
    owners = ARGUMENTS[h.setting]
    owner = tool if tool in owners else next(iter(owners))
    name = _arg(owners[owner], owner, tool)
    if h.drop:
        return f"leave out {name}"
    if h.setting == "points" and h.value is not None:
        return f"{name} with label {h.value}"
    return f"{name} {json.dumps(h.value)}" if h.value is not None else name


def tool_words(text: str, hints: Iterable[Hint] = (), tool: str | None = None) -> str:
    """``text`` followed by its hints as ``tool``'s arguments in parentheses."""
    said = list(dict.fromkeys(argument(h, tool) for h in hints))
    return f"{text} ({'; '.join(said)})" if said else text


def tool_error(exc: BaseException, tool: str | None = None) -> str:
    """A failed call's one line: the error's message and the arguments that fix it."""
    return tool_words(str(exc), getattr(exc, "hints", ()), tool)


def tool_degraded(entries: list[Degradation], tool: str | None = None) -> list[Degradation]:
    """Degradation entries whose fixes name ``tool``'s arguments (their hints rendered in fix)."""
    return [
        d.model_copy(update={"fix": tool_words(d.fix, d.hints, tool), "hints": []}) for d in entries
    ]


def tool_plan(plan: EditPlan) -> EditPlan:
    """A plan (as plan_edit answers it) whose degraded entries name the tools' arguments."""
    return plan.model_copy(update={"degraded": tool_degraded(plan.degraded, "plan_edit")})
