"""retouch's planner: request -> explained plan. Pure Python; never imports torch, diffusers or cv2."""

from planner.analyze import analyze
from planner.errors import (
    ExecutorError,
    InputError,
    ModelMissingError,
    PlanError,
    QAFailed,
    RetouchError,
    StoreError,
)
from planner.plan import make_plan
from planner.schema import (
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
