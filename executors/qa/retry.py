"""Run an edit, check it, and re-plan with the QA fixes until it passes or the retry budget is spent.

``retouch edit --max-retries N`` and the MCP edit tool call ``edit_with_retries`` with their own
``run`` (plan -> output, e.g. executors.run.run_plan) and ``check`` (plan, output -> QAReport, e.g.
executors.qa.check.check on the output's image and edit mask). Every attempt is kept, with its plan and
report, so a caller can show what changed and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from retouch.executors.qa.fixes import apply_fixes
from retouch.executors.qa.report import QAReport
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import EditPlan

MAX_RETRIES_LIMIT = 10  # each retry is a full diffusion run; more than this is a runaway loop


@dataclass
class Attempt:
    """One run of the edit: its 0-based index, the plan it ran, what ``run`` returned, its QA."""

    index: int
    plan: EditPlan
    output: Any
    report: QAReport


def edit_with_retries(
    plan: EditPlan,
    run: Callable[[EditPlan], Any],
    check: Callable[[EditPlan, Any], QAReport],
    max_retries: int,
) -> list[Attempt]:
    """Run ``plan``; while its QA fails and retries remain, apply the fixes and run again.

    Returns every attempt in order (at least one, at most ``max_retries + 1``). Stops early when an
    attempt passes, or when the failed items' fixes leave the plan unchanged (e.g. only the prompt
    check failed, which needs a scene caption from the caller): running the same plan again would
    give the same result. Errors raised by ``run`` or ``check`` propagate.
    """
    # 1. check inputs
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise InputError(
            f"max_retries is {max_retries!r}; give a whole number from 0 to {MAX_RETRIES_LIMIT}"
        )
    if not 0 <= max_retries <= MAX_RETRIES_LIMIT:
        raise InputError(
            f"max_retries is {max_retries}; give a whole number from 0 to {MAX_RETRIES_LIMIT}"
        )
    # 2. run, check, fix
    attempts: list[Attempt] = []
    current = plan
    for index in range(max_retries + 1):
        output = run(current)
        report = check(current, output)
        attempts.append(Attempt(index=index, plan=current, output=output, report=report))
        if report.passed or index == max_retries:
            break
        fixed = apply_fixes(current, report)
        if fixed == current:
            break
        current = fixed
    return attempts


def best_attempt(attempts: list[Attempt]) -> Attempt:
    """The attempt to keep: the first that passed, else the one with the fewest failed checks
    (the latest on a tie, since it carries the most fixes)."""
    if not attempts:
        raise InputError("no attempts to choose from; run the edit at least once")
    passed = [a for a in attempts if a.report.passed]
    if passed:
        return passed[0]
    return min(reversed(attempts), key=lambda a: len(a.report.failed))
