"""retouch's planner: request -> explained plan. Pure Python; never imports torch, diffusers or cv2."""

from retouch.planner.analyze import analyze
from retouch.planner.errors import (
    ExecutorError,
    InputError,
    ModelMissingError,
    PlanError,
    QAFailed,
    RetouchError,
    StoreError,
)
from retouch.planner.plan import make_plan
from retouch.planner.schema import (
    EditPlan,
    EditRequest,
    Extend,
    ImageFacts,
    Preferences,
    SamPoint,
    SamPrompt,
)

__all__ = [
    "EditPlan",
    "EditRequest",
    "ExecutorError",
    "Extend",
    "ImageFacts",
    "InputError",
    "ModelMissingError",
    "PlanError",
    "Preferences",
    "QAFailed",
    "RetouchError",
    "SamPoint",
    "SamPrompt",
    "StoreError",
    "analyze",
    "make_plan",
]
