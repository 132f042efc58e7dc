"""The QA report: one measured result per checklist item, and whether the edit passed.

Shared by the checks (check.py), the fixes (fixes.py), the retry loop and the server's schemas.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from planner.schema import Fix


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

    @property
    def failed(self) -> list[QAResult]:
        return [item for item in self.items if item.status == "fail"]
