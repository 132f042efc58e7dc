"""The shape of a planner rule (planner/rules.py): ``Rule`` (when the facts match ``when``, ``then``)
and ``Decide`` (the decisions a rule makes). A rule's ``when`` is checked against the rule facts
(planner/context.py ``RuleFacts``) as the table is built.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from retouch.planner.context import check_when
from retouch.planner.contract.schema import Family, Mode


class Decide(BaseModel):
    """Decisions a rule makes. None = this rule says nothing about that field."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode | None = None
    families: list[Family] | None = None
    invert: bool | None = None
    controlnet: Literal["openpose"] | None = None
    strength: float | None = None
    cfg_factor: float | None = None
    dilate: Literal["scaled"] | int | None = None
    feather: int | None = None
    crop: bool | Literal["auto"] | None = None
    executor: Literal["diffusers", "classical"] | None = None
    color_match: bool | None = None
    sweep: bool | None = None
    steps_factor: float | None = None
    sam_model: Literal["vit_b", "vit_l", "vit_h", "sam3"] | None = None
    warn_prompt: bool | None = None


class Rule(BaseModel):
    """When the facts match ``when`` (checked against RuleFacts as the table is built), ``then``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    when: dict[str, Any] = Field(default_factory=dict)
    then: Decide
    why: str

    @model_validator(mode="after")
    def _when_names_facts(self) -> Rule:
        check_when(self.id, self.when)
        return self
