"""retouch's planner: request -> explained plan. Pure Python; never imports torch, diffusers or cv2.

``make_plan`` (the rule table and the language rooms) loads on first use, so importing the
planner's schema or errors stays light (a server registering its tools needs only those).
"""

from retouch.planner.analyze import analyze
from retouch.planner.contract.errors import (
    ExecutorError,
    InputError,
    ModelMissingError,
    PlanError,
    QAFailed,
    RetouchError,
    StoreError,
)
from retouch.planner.contract.schema import (
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


def __getattr__(name: str) -> object:
    if name == "make_plan":  # the planning rooms load when first planned with
        from retouch.planner.plan import make_plan

        return make_plan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
