"""Progress and cancellation across the model calls of one edit, through diffusers' step callback.

One ``StepReporter`` serves every call of an edit (one per crop tile): it counts steps across calls,
reports ``progress(step, total)`` after each, and stops between steps when ``cancel`` is set. It is
passed as ``callback_on_step_end``, which diffusers calls as ``fn(pipe, i, t, callback_kwargs)``
and which must return the kwargs it may change (we change none).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from retouch.planner.contract.errors import ExecutorError

ProgressFn = Callable[[int, int], None]


class StepReporter:
    """Counts denoising steps over ``calls`` model calls; raises ExecutorError("cancelled")."""

    def __init__(
        self, progress: ProgressFn | None, cancel: threading.Event | None, calls: int = 1
    ) -> None:
        self.progress = progress
        self.cancel = cancel
        self.calls = max(1, calls)
        self.done = 0  # steps finished over all calls
        self.per_call: int | None = None  # steps of one call, known once the first call starts

    @property
    def active(self) -> bool:
        """Whether the pipelines need the callback at all."""
        return self.progress is not None or self.cancel is not None

    def check(self) -> None:
        """Raise ExecutorError('cancelled') when cancellation was asked for."""
        if self.cancel is not None and self.cancel.is_set():
            raise ExecutorError("cancelled")

    def step(self, per_call: int) -> None:
        """One step of a call that has ``per_call`` steps in all."""
        if self.per_call is None:
            self.per_call = per_call
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, max(self.per_call * self.calls, self.done))
        self.check()

    def __call__(
        self, pipe: Any, i: int, t: Any, callback_kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """diffusers' ``callback_on_step_end``."""
        self.step(int(getattr(pipe, "_num_timesteps", 0) or 0))
        return callback_kwargs
