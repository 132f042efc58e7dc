"""Progress on stderr for the commands that run edits: ``retouch edit``'s diffusion steps and
``retouch batch``'s images (with the current image's steps under them), both rich bars."""

from __future__ import annotations

from typing import Any


def stderr_progress(first_column: str) -> Any:
    """A started rich Progress on stderr (description, bar, n/total, elapsed), cleared when
    stopped."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        first_column,
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    progress.start()
    return progress


class StepBar:
    """A diffusion-steps bar on stderr, started at the first step: ``bar(step, total)``."""

    def __init__(self) -> None:
        self.progress: Any = None
        self.task: Any = None

    def __call__(self, step: int, total: int) -> None:
        if self.progress is None:
            self.progress = stderr_progress("diffusion")
            self.task = self.progress.add_task("steps", total=total)
        self.progress.update(self.task, completed=step, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


class BatchBar:
    """One rich display on stderr: a bar over the images and one over the current diffusion."""

    def __init__(self, total: int) -> None:
        self.progress = stderr_progress("{task.description}")
        self.images = self.progress.add_task("images", total=total)
        self.steps: Any = None

    def image(self, done: int, name: str) -> None:
        self.progress.update(self.images, completed=done, description=f"images ({name})")
        if self.steps is not None:
            self.progress.remove_task(self.steps)
            self.steps = None

    def __call__(self, step: int, total: int) -> None:
        if self.steps is None:
            self.steps = self.progress.add_task("  diffusion", total=total)
        self.progress.update(self.steps, completed=step, total=total)

    def close(self) -> None:
        self.progress.stop()
