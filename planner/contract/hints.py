"""Fixes as data: the setting a user (or an agent) changes to fix an error or a substitution.

A message names the problem and the fix in plain words ("give a mask file", "allow downloads");
the ``Hint`` beside it names the setting. Each front renders hints in its own words: the CLI as
flags (server/cli/hints.py: ``--mask MASK.png``), the MCP server as tool arguments or server
settings (server/mcp/hints.py: ``mask``, ``sam.points``, ``RETOUCH_ALLOW_DOWNLOAD=1``). No message
in planner/ or executors/ names a flag. Imports pydantic only.

    Hint(setting="hardware", value="cpu")   plan for a CPU
    Hint(setting="mask")                    give a mask (the front supplies the placeholder)
    Hint(setting="mask", drop=True)         stop giving a mask
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Setting = Literal[
    "mask",  # a mask file, white = edit
    "points",  # Segment Anything clicks (x, y, label)
    "box",  # a Segment Anything box, XYXY pixels
    "text",  # the object in words (SAM 3)
    "instance",  # which of the objects the words found
    "scene",  # a caption of the whole image after the edit
    "extend",  # new canvas per side (outpainting)
    "control",  # an OpenPose control image
    "reference",  # a reference image the edit uses
    "model",  # a model folder or id to run instead of the planned one
    "executor",  # auto | diffusers | classical
    "steps",  # the number of denoising steps
    "seed",  # the random seed
    "hardware",  # the hardware class the plan must fit
    "priority",  # quality | balanced | latency
    "sam_checkpoint",  # a Segment Anything checkpoint or folder
    "sam_type",  # vit_b | vit_l | vit_h
    "allow_download",  # let a run fetch missing weights from the Hugging Face Hub
    "device",  # cuda | cpu | mps
    "max_retries",  # how many times a failed QA check re-plans and runs again
    "plan",  # plan again (a new plan for the changed request)
    "session",  # the session a version reference is looked up in
    "root",  # a folder the server may read and write
    "out",  # the output folder
]

SETTINGS: tuple[str, ...] = Setting.__args__  # type: ignore[attr-defined]


class Hint(BaseModel):
    """One setting that fixes the problem a message names, rendered by each front."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    setting: Setting = Field(description="The setting to change.")
    value: str | None = Field(
        default=None, description="The value to give; null: any value of the user's choice."
    )
    drop: bool = Field(default=False, description="True: stop giving this setting.")


def hint(setting: Setting, value: str | int | float | None = None, *, drop: bool = False) -> Hint:
    """A ``Hint``; a number is written as a user would type it (``4``, ``0.5``)."""
    text = f"{value:g}" if isinstance(value, float) else None if value is None else str(value)
    return Hint(setting=setting, value=text, drop=drop)
