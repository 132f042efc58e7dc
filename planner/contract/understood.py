"""What the planner read from the edit text: the words and their roles, the edits in order, the
size a whole-frame run works at. Parts of ``EditPlan`` (planner/contract/schema.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ParsedWords(Strict):
    role: Literal["action", "object", "attribute", "old", "spatial", "degree", "size", "effect",
                  "behind"] = Field(
        description="What the words are: the action, the object it is about, the attribute or "
        "target, the object's old attribute, where, how much, canvas size, what goes with a "
        "removed object, what lies behind it."
    )  # fmt: skip
    words: str = Field(description="The words as read (lower case, typos fixed).")
    value: str = Field(description="What the planner took them to mean.")
    used_by: str = Field(
        description="The rule or prompt template that used them, or why they were not used."
    )


class EditStep(Strict):
    text: str = Field(description="One edit recognised in the text, as an instruction.")
    intent: str = Field(description="What it asks for (remove, attribute, relight, ...).")
    object: str | None = Field(default=None, description="The object it is about, if any.")
    target: str | None = Field(default=None, description="What it should become, if said.")
    planned: bool = Field(
        description="True for the edit this plan carries out (the first); the others come next."
    )


class WorkSize(Strict):
    width: int = Field(ge=8, le=8192, description="Width the model runs the whole frame at, px.")
    height: int = Field(ge=8, le=8192, description="Height the model runs the whole frame at, px.")
    scale: float = Field(
        gt=0, le=64, description="Work size / source size; the result is resized back by 1/scale."
    )
    reason: str = Field(description="Why this size, one line.")
