"""The facts the rule table reads (``RuleFacts``), built from a request, and how a rule's ``when``
is checked (at import, planner/rules.py), matched and its ``then`` applied (planner/plan.py).

A rule's ``when`` names facts by their field names here; a name that is no field, or a value the
field cannot take, fails when rules.py builds its table (``check_when``), so a typo never silently
stops a rule from firing.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, InstanceOf, TypeAdapter, ValidationError
from retouch.planner.catalog.registry import INPAINT_FAMILIES, REGISTRY
from retouch.planner.contract.schema import (
    EditRequest,
    Family,
    Hardware,
    ImageFacts,
    LicencePreference,
    Mode,
    Priority,
)
from retouch.planner.language import faces as face_words
from retouch.planner.language import intent as intent_mod
from retouch.planner.language import layers as layer_words
from retouch.planner.language.conditions import holds
from retouch.planner.language.picks import TextTarget

BBOX_SMALL = 0.35  # crop when the mask's bounding box covers at most this fraction of the image
MASK_SIZES = [(0.01, "tiny"), (0.10, "small"), (0.35, "medium"), (1.01, "large")]

# The intents of planner/language/intent.py's INTENTS table (tests/planner/test_rule_facts.py
# checks the two agree).
IntentKind = Literal[
    "remove", "replace-sky", "replace-background", "replace-object", "add", "attribute",
    "relight", "restyle", "fix-hand", "fix-face", "extend", "move", "rotate", "view", "global",
    "generic",
]  # fmt: skip
Region = Literal["mask", "sam", "canvas", "none"]
MaskSize = Literal["tiny", "small", "medium", "large", "unknown"]
Touch = Literal["light", "normal", "strong", "heavy"]
StrengthBand = Literal["low", "cliff", "restyle", "high"]

# Facts that no rule may name in its ``when``: planning reads them directly. Each says where.
# (tests/planner/test_rule_facts.py: every other fact is read by at least one rule.)
READ_ELSEWHERE = {
    "allowed": "plan._choose_family: the allow-list the chosen family must be in",
    "text_target": "plan.make_plan: SAM 3's words and pick for the mask plan",
    "face_target": "plan.make_plan: the face part's words and pick for the mask plan",
    "long_side": "apply: big_image compares it with the chosen family's native resolution",
}


class RuleFacts(BaseModel):
    """What the rules match on, built once per plan by ``rule_context``; ``apply`` updates the
    facts that decisions change (mode, controlnet, invert, executor, strength_band, big_image).
    The ``when`` keys are documented at the top of planner/rules.py."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    # the request, read once
    intent: IntentKind
    region: Region
    mask_size: MaskSize | None
    bbox_small: bool
    priority: Priority
    hardware: Hardware
    scene: bool
    touch: Touch
    inpaint_allowed: bool
    ddpm_allowed: bool
    reference: bool
    licence: LicencePreference
    canvas: Literal["given", "words"] | None
    named: bool
    # only: split the image, no other edit; subject: a cut-out (the subject on its own layer)
    layers: Literal["none", "edit", "only", "subject"] = "none"
    # decided so far (apply)
    mode: Mode | None = None
    controlnet: bool = False
    invert: bool = False
    executor: Literal["diffusers", "classical"] = "diffusers"
    strength_band: StrengthBand | None = None
    big_image: bool = False
    # read by planning, never by a rule (READ_ELSEWHERE)
    allowed: set[Family]
    text_target: InstanceOf[TextTarget] | None
    face_target: InstanceOf[face_words.FaceTarget] | None
    long_side: int


def rule_facts() -> list[str]:
    """The facts a rule's ``when`` may name."""
    return [name for name in RuleFacts.model_fields if name not in READ_ELSEWHERE]


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    return TypeAdapter(RuleFacts.model_fields[name].annotation, config=ConfigDict(strict=True))


def check_when(rule_id: str, when: Mapping[str, Any]) -> None:
    """Raise ValueError naming the rule and the key when ``when`` names no fact or a value the
    fact cannot take (a list means any of its values; each must be allowed)."""
    names = rule_facts()
    for key, want in when.items():
        if key not in names:
            raise ValueError(
                f"rule {rule_id!r}: 'when' names {key!r}, which is not a fact the rules read; "
                f"use one of {', '.join(names)} (planner/context.py RuleFacts)"
            )
        if isinstance(want, list) and not want:
            raise ValueError(f"rule {rule_id!r}: 'when' {key!r} is an empty list; it never matches")
        for value in want if isinstance(want, list) else [want]:
            try:
                _adapter(key).validate_python(value)
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"]
                raise ValueError(
                    f"rule {rule_id!r}: 'when' {key}={value!r} is not a value of that fact "
                    f"({reason})"
                ) from None


def matches(when: Mapping[str, Any], facts: RuleFacts) -> bool:
    """Whether every key of ``when`` matches: equal, or one of a list."""
    return holds(when, partial(getattr, facts))


def region_given(request: EditRequest) -> bool:
    """Whether a region came with the text: a mask, or SAM clicks, a box or words."""
    return request.mask is not None or (request.sam is not None and not request.sam.empty)


def rule_context(
    request: EditRequest, facts: ImageFacts, it: intent_mod.Intent, canvas: str | None
) -> RuleFacts:
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
    return RuleFacts(
        intent="extend" if region == "canvas" else it.kind,
        region=region,
        mask_size=mask_size,
        bbox_small=facts.mask_bbox_area is not None and facts.mask_bbox_area <= BBOX_SMALL,
        priority="quality" if it.quality_max else prefs.priority,
        hardware=prefs.hardware,
        scene=bool(request.scene and request.scene.strip()),
        touch=it.touch,
        inpaint_allowed=bool(allowed & set(INPAINT_FAMILIES)),
        ddpm_allowed="ddpm" in allowed,
        reference=request.guidance is not None,
        licence=prefs.licence,
        canvas=canvas,
        named=named is not None,
        layers=_layers(request, it, region),
        allowed=allowed,
        text_target=named,
        face_target=face,
        long_side=max(facts.out_width, facts.out_height),
    )


def _layers(
    request: EditRequest, it: intent_mod.Intent, region: str
) -> Literal["none", "edit", "only", "subject"]:
    """Whether the edit comes back as layers: none; edit (an edit, and its layers); only (the
    words ask to split the whole image into layers and for nothing else); subject (the words ask
    to put the subject on its own layer and for nothing else: PlanError without a region)."""
    if not (request.layers or it.layers):
        return "none"
    words = it.layers  # what intent.parse read
    if words is None:  # the request option alone: the edit and its layers
        return "edit"
    if words.cutout:
        layer_words.check_region(request.edit, words, region)
        return "subject"
    return "only" if layer_words.split_only(words) else "edit"


def strength_band(strength: float | None) -> StrengthBand | None:
    """SDEdit strength: low (<0.45), cliff (0.45..0.65, where identity can vanish), restyle
    (..0.8), high."""
    if strength is None:
        return None
    if strength < 0.45:
        return "low"
    if strength <= 0.65:
        return "cliff"
    return "restyle" if strength <= 0.8 else "high"


def apply(decisions: dict[str, Any], then: BaseModel, facts: RuleFacts) -> None:
    """Merge a rule's ``then`` (planner/rules.py ``Decide``) into the decisions and update the
    facts that depend on them."""
    for key, value in then.model_dump(exclude_none=True).items():
        decisions[key] = value
    if "controlnet" in then.model_fields_set and getattr(then, "controlnet", None) is None:
        decisions.pop("controlnet", None)
    facts.mode = decisions.get("mode")
    facts.controlnet = "controlnet" in decisions
    facts.invert = decisions.get("invert", False)
    facts.executor = decisions.get("executor", "diffusers")
    facts.strength_band = strength_band(decisions.get("strength"))
    first = next(
        (f for f in decisions.get("families", []) if facts.mode in REGISTRY[f].modes), None
    )
    facts.big_image = first is not None and facts.long_side > 2 * REGISTRY[first].native_resolution
