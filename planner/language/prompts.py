"""Prompts built from the parsed edit: the positive describes the whole image after the edit.

Instruction families (InstructPix2Pix, Flux Kontext) take the edit as an instruction, cleaned of
politeness. Fill and SDEdit families get a description built by ``TEMPLATES`` (one row per intent):
the scene caption when given (else a neutral stand-in), with the object and its new attribute. The
negative names only what must disappear: a removed object and its effects, an object's old colour,
the photographic look in a whole-image restyle; never the object that stays. Distilled-guidance
families take no negative prompt. Prompts are kept within the family's text-encoder limit by
dropping the least important words (boilerplate, then the end of the scene caption), and the plan
says which words were dropped.
"""

from __future__ import annotations

import re

from retouch.planner.contract.schema import Prompt
from retouch.planner.language import vocab
from retouch.planner.language.intent import Edit

NEGATIVE = "blurry, low quality, artifacts, visible seam, watermark, text"
NO_SCENE_BASE = "a high quality photograph"
NEUTRAL_BASE = "a high quality image"  # region restyles: the rest of the image is not restyled

# intent -> (template id, positive parts, negative). Each positive part is (priority, template):
# 0 = the edit itself (kept first), 1 = the scene, 2 = boilerplate (dropped first when too long).
TEMPLATES: dict[str, tuple[str, list[tuple[int, str]], str]] = {
    "remove": (
        "remove-describe-behind",
        [(1, "{base}"), (0, "{behind}"), (2, "continuing the surrounding texture and lighting")],
        "{removed}",
    ),
    "replace-sky": ("sky", [(1, "{base}"), (0, "{sky}")], ""),
    "replace-background": (
        "background",
        [(1, "{base}"), (0, "{background}")],
        "",
    ),
    "replace-object": ("object", [(1, "{base}"), (0, "{target}")], "{removed}"),
    "add": ("add", [(1, "{base}"), (0, "{target}")], ""),
    "attribute": ("object-with-attribute", [(1, "{base}"), (0, "{thing}")], "{old}"),
    "relight": ("whole-image-light", [(1, "{base}"), (0, "{light}")], "{old}"),
    "restyle-whole": (
        "style-replaces-photo",
        [(0, "{styled}"), (2, "{style} style, high quality")],
        "photograph, photo, photorealistic",
    ),
    "restyle": (
        "region-style",
        [(1, "{neutral}"), (0, "{subject} in the style of {target}")],
        "",
    ),
    "fix-hand": (
        "hand",
        [
            (1, "{base}"),
            (0, "a natural anatomically correct hand with five fingers, detailed skin"),
        ],
        "extra fingers, missing fingers, fused fingers, deformed hand",
    ),
    "fix-face": (
        "face",
        [(1, "{base}"), (0, "a natural well-proportioned face, detailed eyes, sharp focus")],
        "deformed face, asymmetric eyes, distorted features",
    ),
    "extend": (
        "extend",
        [(1, "{base}"), (2, "wide view, the scene continues naturally beyond the original frame")],
        "border, frame, duplicate objects",
    ),
    "global": ("as-asked", [(1, "{base}"), (0, "{edit}")], ""),
    "generic": ("as-asked", [(1, "{base}"), (0, "{edit}")], ""),
    # moves, rotations and camera views: instruction editors read the instruction as written
    "move": ("as-asked", [(1, "{base}"), (0, "{edit}")], ""),
    "rotate": ("as-asked", [(1, "{base}"), (0, "{edit}")], ""),
    "view": ("as-asked", [(1, "{base}"), (0, "{edit}")], ""),
}
_PHOTO = re.compile(r"\b(?:a |an )?(?:photo(?:graph)?|picture|snapshot|shot)\b")
_WORD = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")


def tokens(text: str) -> int:
    """Estimated CLIP/T5 tokens, start and end included: a word is one token per 7 letters, each
    punctuation mark one. Errs high so a prompt within the estimate is within the encoder."""
    return 2 + sum(1 + (len(w) - 1) // 7 for w in _WORD.findall(text.lower()))


def _article(phrase: str) -> str:
    first = phrase.split(" ", 1)[0]
    if first in ("a", "an", "the") or phrase.endswith("s") and not phrase.endswith("ss"):
        return phrase
    return ("an " if first[:1] in "aeiou" else "a ") + phrase


def _thing(e: Edit, scene: bool) -> str:
    core = e.object or "the region"
    attr = e.attribute or e.target or ""
    if e.target_class == "material" and attr.split(" ", 1)[0] in ("made", "out"):
        described = f"{_article(core)} {attr}"
    else:
        described = _article(f"{attr} {core}".strip())
    if e.head in vocab.WORN:
        who = {"her": "a woman", "his": "a man"}.get(e.owner or "", "a person")
        return f"wearing {described}" if scene else f"{who} wearing {described}"
    return described


def _sky(e: Edit) -> str:
    """An adjective ("more dramatic") describes the sky; a noun phrase is what the sky shows."""
    if e.attribute and " " not in e.attribute:
        detail = vocab.MOODS.get(e.attribute, "")
        return f"{_article(e.attribute + ' sky')}" + (f", {detail}" if detail else "")
    if e.target:
        if "sky" in e.target or "skies" in e.target:
            return e.target
        if e.target.split(" ")[-1] in vocab.SCENE_LIGHT:
            return f"{e.target} sky"
        return f"a sky with {e.target}"
    return "a clear sky"


def _style(target: str | None) -> tuple[str, str]:
    """(the styled image as words, the style word)."""
    t = target or "a stylized illustration"
    t = re.sub(r"^(?:the style of|a style of)\s+", "", t)
    m = re.search("|".join(re.escape(s) for s in sorted(vocab.STYLES, key=len)[::-1]), t)
    style = m.group(0) if m else t
    if not re.match(r"(?:a|an|the)\b", t) and " " not in t.strip():
        t = f"{_article(t)} {'painting' if style in ('watercolor', 'watercolour') else 'image'}"
    return t, style


def _scene_without(scene: str, head: str | None) -> str:
    """The scene caption minus any clause that names the removed object."""
    if not head:
        return scene
    parts = re.split(r"(,\s*|\s+with\s+|\s+and\s+)", scene)
    kept = [p for p in parts[0::2] if not re.search(rf"\b{re.escape(head)}s?\b", p.lower())]
    return ", ".join(kept) if kept else "the scene"


def _fit(parts: list[tuple[int, str]], limit: int) -> tuple[str, list[str], int]:
    """Join parts with commas; drop words from the least important part's end until it fits."""
    words = [(prio, text.split(" ")) for prio, text in parts if text]
    dropped: list[str] = []

    def joined() -> str:
        return ", ".join(" ".join(w) for _, w in words if w)

    full = tokens(joined())
    while tokens(joined()) > limit:
        prio = max(p for p, w in words if w)
        victim = next(w for p, w in reversed(words) if p == prio and w)
        dropped.insert(0, victim.pop())
    return joined(), dropped, full


def rewrite(
    edit: Edit,
    original: str,
    scene: str | None,
    mode: str,
    distilled: bool,
    token_limit: int,
    behind_words: str | None = None,
) -> Prompt:
    """The positive and negative prompt for the plan's (first) edit."""
    has_scene = bool(scene and scene.strip())
    if mode == "instruct":
        text, dropped, full = _fit([(0, edit.text)], token_limit)
        return Prompt(
            original=original,
            positive=text,
            negative="" if distilled else NEGATIVE,
            describes_whole_image=True,
            built_by="instruction",
            token_limit=token_limit,
            tokens=full,
            dropped=dropped,
        )
    key = edit.kind
    if key == "restyle" and edit.object is None:
        key = "restyle-whole"
    built_by, parts, negative = TEMPLATES.get(key, TEMPLATES["generic"])
    base = scene.strip().rstrip(".") if has_scene and scene else NO_SCENE_BASE
    removed = ", ".join([edit.object or "object", *edit.effects])
    if edit.kind in ("remove", "replace-object") and has_scene:
        base = _scene_without(base, edit.head)
    styled, style = _style(edit.target)
    if key == "restyle-whole" and has_scene and scene:
        caption = scene.strip().rstrip(".")
        styled = _PHOTO.sub(styled, caption, count=1) if _PHOTO.search(caption) else (
            f"{styled} of {caption}")  # fmt: skip
    # what the removal shows: the words' "from the wall", else the scene caption alone, else the
    # ring around the mask in words
    behind = (
        f"empty {edit.behind}"
        if edit.behind
        else ""
        if has_scene
        else behind_words or "the empty background"
    )
    fields = {
        "base": base,
        "neutral": scene.strip().rstrip(".") if has_scene and scene else NEUTRAL_BASE,
        "subject": edit.object or "the subject",
        "target": edit.target or edit.text,
        "edit": edit.text,
        "removed": removed,
        "behind": behind,
        "thing": _thing(edit, has_scene),
        "background": f"{_article(edit.object)} in front of {edit.target or 'a new background'}"
        if edit.form == "place" and edit.object
        else f"{edit.target or 'a new background'} in the background",
        "sky": _sky(edit),
        "light": edit.attribute or edit.target or edit.text,
        "styled": styled,
        "style": style,
        "old": edit.old or "",
    }
    positive, dropped, full = _fit([(p, t.format(**fields)) for p, t in parts], token_limit)
    neg = ""
    if not distilled:
        extra = negative.format(**fields)
        neg = f"{extra}, {NEGATIVE}" if extra else NEGATIVE
    return Prompt(
        original=original,
        positive=positive,
        negative=neg,
        describes_whole_image=has_scene,
        built_by=built_by,
        token_limit=token_limit,
        tokens=full,
        dropped=dropped,
    )
