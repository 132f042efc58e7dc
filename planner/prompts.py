"""Prompt rewriting: the diffusion prompt must describe the whole image, not only the new content.

Instruction families (InstructPix2Pix, Flux Kontext) take the instruction as written. Fill and
SDEdit families get a description: the scene caption (when the request has one) plus what the edited
region should show. Distilled-guidance families take no negative prompt.
"""

from __future__ import annotations

from planner.intent import Intent
from planner.schema import Prompt

NEGATIVE = "blurry, low quality, artifacts, visible seam, watermark, text"

# intent -> (template for the new content, extra negative terms). {subject}/{target} come from the
# edit text; {base} is the scene caption or, without one, a neutral stand-in.
TEMPLATES: dict[str, tuple[str, str]] = {
    "remove": (
        "{base}, clean empty background continuing the surrounding texture and lighting",
        "{subject}, object, person, logo",
    ),
    "replace-sky": ("{base}, {target}", ""),
    "replace-background": ("{base}, with {target} in the background", ""),
    "replace-object": ("{base}, {target}", "{subject}"),
    "add": ("{base}, {target}", ""),
    "fix-hand": (
        "{base}, a natural anatomically correct hand with five fingers, detailed skin",
        "extra fingers, missing fingers, fused fingers, deformed hand",
    ),
    "fix-face": (
        "{base}, a natural well-proportioned face, detailed eyes, sharp focus",
        "deformed face, asymmetric eyes, distorted features",
    ),
    "restyle": ("{base}, {subject} in the style of {target}", ""),
    "extend": (
        "{base}, wide view, the scene continues naturally beyond the original frame",
        "border, frame, duplicate objects",
    ),
    "global": ("{base}, {edit}", ""),
    "generic": ("{base}, {edit}", ""),
}
NO_SCENE_BASE = "a high quality photograph"


def rewrite(edit: str, intent: Intent, scene: str | None, mode: str, distilled: bool) -> Prompt:
    """Build the positive and negative prompt for a plan."""
    if mode == "instruct":
        return Prompt(
            original=edit,
            positive=edit,
            negative="" if distilled else NEGATIVE,
            describes_whole_image=True,
        )
    template, extra_negative = TEMPLATES.get(intent.kind, TEMPLATES["generic"])
    target = intent.target or ("a clear sky" if intent.kind == "replace-sky" else edit)
    if intent.kind == "replace-sky" and "sky" not in target.lower():
        target = f"{target} sky"
    fields = {
        "base": scene.strip().rstrip(".") if scene else NO_SCENE_BASE,
        "subject": intent.subject or "the region",
        "target": target,
        "edit": edit,
    }
    positive = template.format(**fields)
    if intent.kind == "restyle" and intent.subject is None:
        positive = positive.replace("the region in the style of", "in the style of")
    negative = ""
    if not distilled:
        extra = extra_negative.format(**fields)
        negative = f"{extra}, {NEGATIVE}" if extra else NEGATIVE
    return Prompt(
        original=edit,
        positive=positive,
        negative=negative,
        describes_whole_image=scene is not None and bool(scene.strip()),
    )
