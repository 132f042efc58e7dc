"""The scorer interface: a scorer measures one run's result against its task, on metrics of its
own (``retouch compare``'s pose adherence, identity, ...).

A scorer is one class (``Scorer``) in a module of its own, listed in ``scorers.SCORERS``:

1. ``load(options)`` (class method) sets it up once: the scorer, or ``None``, and the metrics it
   will not measure with why (``Skip``; a path that is wrong is an ``InputError`` instead);
2. ``reference(source, control)`` reads what a task's runs are scored against, once per task
   (PIL images; ``control`` may be None);
3. ``score(ref, source, result)`` measures one run (PIL images): metric -> value, or a note saying
   why this run could not be measured. Never a stand-in value.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from retouch.executors.evaluation.scores import Direction

Setting = Literal["pose_model", "face_model"]
ENV: dict[Setting, str] = {"pose_model": "RETOUCH_POSE_MODEL", "face_model": "RETOUCH_FACE_MODEL"}
"""The environment variable each setting falls back to."""


class ScorerOptions(BaseModel):
    """What the scorers load: each a path, else its environment variable (``ENV``), else none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pose_model: Path | None = Field(
        default=None, description="Folder with OpenPose's body_pose_model.pth."
    )
    face_model: Path | None = Field(
        default=None, description="SFace ONNX file (face_recognition_sface_2021dec.onnx)."
    )

    def with_env(self) -> ScorerOptions:
        """These options with each unset one read from its environment variable."""
        update = {}
        for setting, env in ENV.items():
            value = os.environ.get(env, "").strip()
            if getattr(self, setting) is None and value:
                update[setting] = Path(value)
        return self.model_copy(update=update)


@dataclass(frozen=True)
class Metric:
    """A scorer's metric: its name (a scores.csv column value), which way is better, and what it
    measures in one or two sentences (report.md prints it above the metric's table)."""

    name: str
    direction: Direction
    definition: str


@dataclass(frozen=True)
class Skip:
    """Why a metric will not be measured, and the setting that would make it so (None when no
    setting would: a missing package, say). Each front names the setting in its own words."""

    why: str
    setting: Setting | None = None


@dataclass(frozen=True)
class Scored:
    """One run's values (metric -> value, the metric's unit) and, for what was not measured, why."""

    values: dict[str, float] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True)
class Loaded:
    """What ``Scorer.load`` gives: the scorer (None: it measures nothing here) and its skips."""

    scorer: Scorer | None
    skipped: dict[str, Skip] = field(default_factory=dict)


class Scorer(ABC):
    """One scorer; see the module docstring for the three steps."""

    metrics: ClassVar[tuple[Metric, ...]]

    @classmethod
    @abstractmethod
    def load(cls, options: ScorerOptions) -> Loaded:
        """Set up from ``options`` (env already applied); InputError for a wrong path."""

    @abstractmethod
    def reference(self, source: Any, control: Any | None) -> Any:
        """What this task's runs are scored against (once per task)."""

    @abstractmethod
    def score(self, ref: Any, source: Any, result: Any) -> Scored:
        """One run's values, or a note saying why it could not be measured."""
