"""What an edit text asks for: a small pattern table, read top to bottom, first match wins.

Each pattern yields an intent (remove, replace-sky, ...) and, where the words say it, the *subject*
(what the edit is about: "the sign") and the *target* (what it should become: "a beach").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (intent, regex). Named groups: subject, target. Case-insensitive, matched on the whole text.
PATTERNS: list[tuple[str, str]] = [
    (
        "extend",
        r"\b(extend|uncrop|outpaint|widen|expand|zoom out|enlarge the canvas|more canvas)\b",
    ),
    (
        "fix-hand",
        r"\b(hand|hands|finger|fingers|palm)\b.*\b(regenerate|fix|repair|redo|wrong|bad|"
        r"deformed|extra|missing|broken|mangled)\b|\b(regenerate|fix|repair|redo)\b.*\b(hand|hands|"
        r"finger|fingers)\b",
    ),
    (
        "fix-face",
        r"\b(face|faces|eyes|mouth)\b.*\b(regenerate|fix|repair|redo|wrong|bad|deformed|"
        r"distorted|blurry)\b|\b(regenerate|fix|repair|redo|restore)\b.*\b(face|faces|eyes)\b",
    ),
    (
        "replace-sky",
        r"\b(replace|change|swap|make)\b.*?\bsky\b(?:.*?\b(?:with|to|into|for)\b\s+"
        r"(?P<target>.+))?",
    ),
    (
        "replace-background",
        r"\b(replace|change|swap|new)\b.*?\b(background|backdrop|scenery|setting)"
        r"\b(?:.*?\b(?:with|to|into|for)\b\s+(?P<target>.+))?|\b(put|place|move)\b\s+(?P<subject>.+?)"
        r"\s+\b(on|in|at|into)\b\s+(?P<target2>.+)",
    ),
    (
        "remove",
        r"\b(remove|erase|delete|take out|get rid of|clean up|clean|eliminate|wipe|hide)\b"
        r"\s+(?P<subject>.+)",
    ),
    (
        "restyle",
        r"\b(?:make|turn|render|paint|redraw|restyle)\b\s+(?P<subject>.+?)\s+(?:look like|"
        r"as|in the style of|like)\s+(?P<target>.+)|\b(restyle|stylize|stylise)\b\s+(?P<subject2>.+?)"
        r"(?:\s+(?:as|like|in the style of)\s+(?P<target2>.+))?$",
    ),
    (
        "replace-object",
        r"\b(replace|swap|change|turn)\b\s+(?P<subject>.+?)\s+\b(with|for|into|to)\b\s+"
        r"(?P<target>.+)",
    ),
    ("add", r"\b(add|insert|put|place|draw)\b\s+(?P<target>.+)"),
    (
        "global",
        r"\b(make it|make the (photo|image|picture|scene)|turn it|change the (season|weather|"
        r"lighting|time of day)|convert it)\b",
    ),
]

_COMPILED = [(name, re.compile(rx, re.IGNORECASE)) for name, rx in PATTERNS]

# Words that ask for the highest fidelity the machine can give.
QUALITY_WORDS = re.compile(
    r"\b(indistinguishable|perfect(ly)?|flawless|seamless|undetectable|pixel[- ]perfect|"
    r"highest quality|best quality|must look real|photoreal(istic)?)\b",
    re.IGNORECASE,
)
# Strength hints for SDEdit: words that ask for a lighter or heavier touch.
LIGHT_WORDS = re.compile(r"\b(slight(ly)?|subtle|subtly|a bit|a little|gently|light(ly)?)\b", re.I)
HEAVY_WORDS = re.compile(
    r"\b(complete(ly)?|total(ly)?|entirely|radical(ly)?|reimagine|from scratch)\b", re.I
)

WHOLE_IMAGE_SUBJECTS = {
    "it",
    "this",
    "everything",
    "the image",
    "the photo",
    "the picture",
    "the scene",
    "the whole image",
    "the whole photo",
    "this photo",
    "this image",
}

_TRAIL = re.compile(
    r"\s*(,|;|\.|!|\bfrom\b|\bin the (background|foreground|corner|top|bottom|left|right)\b|"
    r"\bon the (left|right|top|bottom)\b|\bbehind\b|\bso that\b|\bit must\b|\bplease\b).*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Intent:
    kind: str
    subject: str | None
    target: str | None
    quality_max: bool
    touch: str  # "light" | "normal" | "heavy"


def _clean(phrase: str | None) -> str | None:
    if not phrase:
        return None
    out = _TRAIL.sub("", phrase).strip(" .,!")
    return out or None


def parse(text: str) -> Intent:
    """Classify an edit text. Falls back to ``generic`` when no pattern matches."""
    kind, subject, target = "generic", None, None
    for name, rx in _COMPILED:
        m = rx.search(text)
        if m:
            groups = {k: v for k, v in m.groupdict().items() if v}
            kind = name
            subject = _clean(groups.get("subject") or groups.get("subject2"))
            raw_target = groups.get("target") or groups.get("target2")
            target = raw_target.strip(" .,!") if raw_target else None
            if target:
                target = re.split(r"[,;]\s*(?:it|and it)\s+must\b", target, flags=re.I)[0].strip(
                    " .,!"
                )
            break
    if subject and subject.lower() in WHOLE_IMAGE_SUBJECTS:
        subject = None
        if kind == "replace-object":
            kind = "restyle"
    touch = (
        "light" if LIGHT_WORDS.search(text) else "heavy" if HEAVY_WORDS.search(text) else "normal"
    )
    return Intent(kind, subject, target, bool(QUALITY_WORDS.search(text)), touch)
