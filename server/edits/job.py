"""The edit service's typed inputs and outputs: ``EditJob`` in, ``EditOutcome`` out, and the
``Runner`` seam (``executors.run.run_plan``'s signature) where tests put a fake executor.

Frozen dataclasses rather than pydantic models because they carry decoded PIL images and numpy
masks, which no front serialises; the fronts' own pydantic schemas describe what crosses a wire.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from retouch.planner.contract.schema import EditPlan

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image
    from retouch.executors.qa.report import QAReport
    from retouch.executors.qa.retry import Attempt
    from retouch.server.history.store import Version

ProgressFn = Callable[[int, int], None]


class JobCancelled(Exception):
    """The job's cancel event was set before or while it ran (the local worker and a pool
    replica raise it; the fronts report it as a cancelled call)."""


class Runner(Protocol):
    """What carries a plan out: ``executors.run.run_plan`` or, in tests, a fake with the same
    keywords that returns an ``executors.run.RunOutput``."""

    def __call__(
        self,
        plan: EditPlan,
        *,
        image: Image.Image | None = None,
        mask: np.ndarray | None = None,
        control: Image.Image | None = None,
        reference: Image.Image | None = None,
        model: str | None = None,
        executor: str = "auto",
        device: str | None = None,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
        sam_checkpoint: str | None = None,
        allow_download: bool = False,
    ) -> Any: ...


@dataclass(frozen=True)
class RunSettings:
    """How a plan is run: model override (folder or id), executor (auto | diffusers |
    classical), torch device, SAM checkpoint for a plan whose mask comes from SAM, downloads."""

    model: str | None = None
    executor: str = "auto"
    device: str | None = None
    sam: str | None = None
    allow_download: bool = False


@dataclass(frozen=True)
class EditJob:
    """One edit: the plan and its decoded inputs, how to run it, the retry budget, and where in
    the history the result goes (``session`` None: not recorded).

    ``image`` is the source as opened (EXIF-oriented, its own mode and ICC); ``mask`` bool (H, W),
    True = edit, replacing the plan's mask source; ``control`` the ControlNet image; ``reference``
    the plan's reference image (None: run_plan reads the plan's path, or there is none).
    ``parent`` is the version the source came from (None: a file, recorded first as a root).
    A result whose QA failed is recorded, but becomes the session's current version only with
    ``keep_failed``; otherwise ``@current`` stays on its parent.
    """

    plan: EditPlan
    image: Image.Image
    mask: np.ndarray | None = None
    control: Image.Image | None = None
    reference: Image.Image | None = None
    settings: RunSettings = field(default_factory=RunSettings)
    max_retries: int = 0
    session: str | None = None
    parent: str | None = None
    keep_failed: bool = False


@dataclass(frozen=True)
class RunFiles:
    """What the run folder's writer wrote: the result, the edit mask, the comparison (and for MCP
    a preview), plan.json, the skill doc, qa.json, provenance.json, and when the plan asked for
    layers the layer files (``layers/NN-name.png`` bottom first, the composite, ``layers.ora``,
    ``layers.psd``) or why none were written (``layers_note``); every path absolute."""

    folder: Path
    result: Path
    comparison: Path
    plan: Path
    doc: Path
    qa: Path
    provenance: Path
    mask: Path | None = None
    preview: Path | None = None
    copies: tuple[Path, ...] = ()
    layers: tuple[Path, ...] = ()
    layers_note: str | None = None


@dataclass(frozen=True)
class EditOutcome:
    """What one edit left: the kept attempt (its plan, RunOutput and QA report), every attempt,
    the comparison image shown, the files written (``files.layers``: the layer files) and the
    version recorded (None: no session)."""

    source: Image.Image
    plan: EditPlan
    output: Any  # executors.run.RunOutput: .image, .edit_mask, .provenance
    report: QAReport
    attempts: list[Attempt]
    kept: int  # index of the kept attempt in ``attempts``
    comparison: Image.Image
    files: RunFiles | None = None
    version: Version | None = None
    current: bool = False  # whether ``version`` became the session's current one

    @property
    def result(self) -> Image.Image:
        return self.output.image

    @property
    def provenance(self) -> Any:
        return self.output.provenance
