"""How a plan meets a machine: each difference between what was planned and what runs there.

Filled in by executors.select (``substitutions`` after a run, ``assess`` before one) and reported
first wherever a result is described. A part of ``EditPlan`` and of every run's provenance.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.hints import Hint

DegradedWhat = Literal["mask-source", "executor", "model", "hardware", "resolution", "steps"]


class Degradation(BaseModel):
    """One difference between what was planned and what ran (or will run) on this machine."""

    model_config = ConfigDict(extra="forbid")

    what: DegradedWhat = Field(description="Which decision was substituted.")
    planned: str = Field(description="What the plan chose.")
    used: str = Field(description="What ran (or will run) instead.")
    why: str = Field(description="Why the planned one could not run, in one clause.")
    fix: str = Field(description="How to get the planned one next time.")
    hints: list[Hint] = Field(
        default_factory=list,
        description="The settings that fix it, named in fix (each front words them its own way).",
    )

    def sentence(self) -> str:
        """One sentence an agent cannot misread: what ran instead of what, and why."""
        verb = {"mask-source": "Made the mask with", "hardware": "Ran on"}.get(self.what, "Ran")
        return f"{verb} {self.used} instead of {self.planned}: {self.why}."
