"""The one interface every diffusers executor implements (``DiffusionExecutor``), and how the
runner finds an executor class from its catalog path (``"module:Class"``).

An executor holds one loaded diffusers pipeline (``__init__(pipe)``) and has one entry point,
``__call__(ModelCall) -> PIL image`` (executors/diffusion/calls.py). The runner also reads three
declared attributes: ``multiple_of`` (image sides must be multiples of it), ``size_rule`` (None,
or why every tile runs at the executor's own ``work_size``) and ``step_progress`` (whether
progress and cancellation work per step). ``PipelineExecutor`` (calls.py) gives the defaults.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from retouch.planner.contract.errors import ExecutorError

if TYPE_CHECKING:
    from PIL import Image
    from retouch.executors.diffusion.calls import ModelCall


@runtime_checkable
class DiffusionExecutor(Protocol):
    """What the runner calls on an executor (executors/diffusion/runner.py)."""

    pipe: Any  # the loaded diffusers pipeline
    size_rule: str | None  # None: tiles run at the size they are cut; else why not
    step_progress: bool  # the pipeline reports each step (progress and cancellation)

    @property
    def multiple_of(self) -> int:
        """Image sides must be multiples of this."""
        ...

    def work_size(self, size: tuple[int, int], native: int) -> tuple[int, int]:
        """(W, H) a tile of ``size`` runs at when ``size_rule`` is set."""
        ...

    def __call__(self, call: ModelCall) -> Image.Image:
        """One call -> the pipeline's output image (RGB, ``call.image.size``)."""
        ...


def executor_class(path: str) -> type[DiffusionExecutor]:
    """The executor class a catalog path names (``"retouch.executors.diffusion.inpaint:
    InpaintExecutor"``), imported now."""
    module_name, _, name = path.partition(":")
    if not name:
        raise ExecutorError(f"executor path {path!r} is not 'module:Class'")
    cls = getattr(importlib.import_module(module_name), name, None)
    if not isinstance(cls, type):
        raise ExecutorError(f"executor path {path!r}: {module_name} has no class {name}")
    return cls
