"""The QA report: one measured result per checklist item, and whether the edit passed.

Shared by the checks (check.py), the fixes (fixes.py), the retry loop and the server's schemas.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.schema import Degradation, Fix


class QAResult(BaseModel):
    """One checklist item measured on a result."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        description="Check id: outside-unchanged, seam, color-shift, saturation, "
        "structure, size-mode, blank or prompt."
    )
    status: Literal["pass", "fail", "skipped"] = Field(
        description="pass / fail against the threshold; skipped when it cannot be measured here "
        "(never counted as passed)."
    )
    value: float | None = Field(
        description="The measured value (unit in the plan's QA item); null when skipped."
    )
    threshold: float | None = Field(description="The limit the value was compared with.")
    band: tuple[float, float] | None = Field(
        default=None,
        description="Expected (low, high) range, for checks judged on a band (structure).",
    )
    fix: Fix | None = Field(
        description="The change to the plan that addresses the failure; null unless status is fail."
    )
    detail: str = Field(description="One sentence: what was measured, or why it was skipped.")


class QAReport(BaseModel):
    """Every checklist item of one result, in checklist order."""

    model_config = ConfigDict(extra="forbid")

    items: list[QAResult] = Field(description="One result per checklist item.")
    passed: bool = Field(description="True when no item failed (skipped items do not fail).")
    content_verified: bool = Field(
        default=False,
        description="True only when a content check (CLIP prompt adherence) ran and passed; "
        "the pixel checks prove the edit is clean, not that it shows what was asked.",
    )
    degraded: list[Degradation] = Field(
        default_factory=list,
        description="What ran instead of what was planned (from the run's provenance).",
    )
    verdict: str = Field(
        default="",
        description="One line in plain words: failed / degraded / clean but unverified / "
        "verified, and what to do before telling the user.",
    )

    @property
    def failed(self) -> list[QAResult]:
        return [item for item in self.items if item.status == "fail"]


CONTENT_CHECKS = ("prompt-adherence",)


def verdict_line(items: list[QAResult], degraded: list[Degradation], content_verified: bool) -> str:
    """The report's verdict: never a bare "passed" for a degraded or unverified result."""
    failed = [i.id for i in items if i.status == "fail"]
    skipped = [i for i in items if i.status == "skipped" and i.id in CONTENT_CHECKS]
    lead = " ".join(d.sentence() for d in degraded)
    if failed:
        text = f"failed: {', '.join(failed)} failed; apply each failed check's fix and run again"
    elif degraded:
        text = (
            "degraded: the measured checks passed, but this is not the planned edit; tell the "
            "user what ran instead and look at the comparison before calling it done"
        )
    elif content_verified:
        return (
            "verified: all measured checks passed and the content check (CLIP) confirmed the edit"
        )
    else:
        why = skipped[0].detail if skipped else "no content check applies to this edit"
        text = (
            "clean: all measured checks passed; the content was not verified "
            f"({why}) — look at the comparison before telling the user it is done"
        )
    return f"{lead} {text}" if lead else text


def finish(items: list[QAResult], degraded: list[Degradation]) -> QAReport:
    """A report with its pass flag, content flag and verdict filled in."""
    content = any(i.id in CONTENT_CHECKS and i.status == "pass" for i in items)
    passed = all(i.status != "fail" for i in items)
    return QAReport(
        items=items,
        passed=passed,
        content_verified=content,
        degraded=degraded,
        verdict=verdict_line(items, degraded, content),
    )
