"""The facts the rule table reads (the rule context), built from a request, and how a rule's
``when`` is matched against them and its ``then`` applied (planner/rules.py, planner/plan.py)."""

from __future__ import annotations

from typing import Any

from retouch.planner.catalog.registry import INPAINT_FAMILIES, REGISTRY
from retouch.planner.contract.schema import EditRequest, ImageFacts
from retouch.planner.language import faces as face_words
from retouch.planner.language import intent as intent_mod
from retouch.planner.rules import Decide, Rule

BBOX_SMALL = 0.35  # crop when the mask's bounding box covers at most this fraction of the image
MASK_SIZES = [(0.01, "tiny"), (0.10, "small"), (0.35, "medium"), (1.01, "large")]


def matches(rule: Rule, ctx: dict[str, Any]) -> bool:
    for key, want in rule.when.items():
        have = ctx.get(key)
        if isinstance(want, list):
            if have not in want:
                return False
        elif have != want:
            return False
    return True


def rule_context(
    request: EditRequest, facts: ImageFacts, it: intent_mod.Intent, canvas: str | None
) -> dict[str, Any]:
    prefs = request.preferences
    if canvas is not None:
        region = "canvas"
    elif request.mask is not None:
        region = "mask"
    elif request.sam is not None and not request.sam.empty:
        region = "sam"
    else:
        region = "none"
    allowed = set(prefs.families) if prefs.families else set(REGISTRY)
    masked = any("inpaint" in REGISTRY[f].modes for f in allowed)  # words make a region only then
    face, named = face_words.targets(it, request.sam.text if request.sam else None, region) if masked else (None, None)  # fmt: skip
    region = "sam" if named is not None or face is not None else region
    if facts.mask_area is None or region == "canvas":
        mask_size = "unknown" if region == "sam" else None
    else:
        mask_size = next(name for upper, name in MASK_SIZES if facts.mask_area < upper)
    return {
        "intent": "extend" if region == "canvas" else it.kind,
        "region": region,
        "mask_size": mask_size,
        "bbox_small": facts.mask_bbox_area is not None and facts.mask_bbox_area <= BBOX_SMALL,
        "priority": "quality" if it.quality_max else prefs.priority,
        "hardware": prefs.hardware,
        "scene": bool(request.scene and request.scene.strip()),
        "touch": it.touch,
        "inpaint_allowed": bool(allowed & set(INPAINT_FAMILIES)),
        "ddpm_allowed": "ddpm" in allowed,
        "reference": request.guidance is not None,
        "allowed": allowed,
        "licence": prefs.licence,
        "mode": None,
        "controlnet": False,
        "invert": False,
        "executor": "diffusers",
        "strength_near_cliff": False,
        "strength_band": None,
        "canvas": canvas,
        "named": named is not None,
        "text_target": named,
        "face_target": face,
        "big_image": False,
        "long_side": max(facts.out_width, facts.out_height),
    }


def apply(decisions: dict[str, Any], d: Decide, ctx: dict[str, Any]) -> None:
    for key, value in d.model_dump(exclude_none=True).items():
        decisions[key] = value
    if "controlnet" in d.model_fields_set and d.controlnet is None:
        decisions.pop("controlnet", None)
    ctx["mode"] = decisions.get("mode")
    ctx["controlnet"] = "controlnet" in decisions
    ctx["invert"] = decisions.get("invert", False)
    ctx["executor"] = decisions.get("executor", "diffusers")
    strength = decisions.get("strength")
    ctx["strength_near_cliff"] = strength is not None and 0.45 <= strength <= 0.65
    ctx["strength_band"] = (
        None
        if strength is None
        else "low"
        if strength < 0.45
        else "cliff"
        if strength <= 0.65
        else "restyle"
        if strength <= 0.8
        else "high"
    )
    first = next(
        (f for f in decisions.get("families", []) if ctx["mode"] in REGISTRY[f].modes), None
    )
    ctx["big_image"] = (
        first is not None and ctx["long_side"] > 2 * REGISTRY[first].native_resolution
    )
