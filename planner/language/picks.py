"""Which of the found instances the words mean: "the dog on the left" -> ("the dog", "left").

SAM 3 finds every instance of a noun phrase; the words around the noun choose among them. A pick
is a plain string that executors/segment/instances.py turns into instance ids:

    ORDER          the first instance in that order: left, right, top, bottom, top-left, top-right,
                   bottom-left, bottom-right, center, front, back, largest, smallest
    ORDER:N        the N-th in that order ("second from the left" -> left:2)
    ORDER:all      every instance on that side of the image ("the people on the left")
    all            every instance (plural nouns, "all", "every", "both")
    None           the most confident instance

``read(text)`` reads a bare noun phrase (``retouch mask --text``); ``from_edit`` reads the object the
planner's intent parser (planner/language/intent.py) already took out of an edit sentence. No new sentence
parser: the spatial phrases come from intent's, only ordinals and superlatives are read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retouch.planner.contract.errors import InputError
from retouch.planner.language import intent

ORDERS = (
    "left", "right", "top", "bottom", "top-left", "top-right", "bottom-left", "bottom-right",
    "center", "front", "back", "largest", "smallest",
)  # fmt: skip
# Words inside the object phrase that choose an instance, and the order they mean.
SUPERLATIVES = {
    "leftmost": "left", "rightmost": "right", "topmost": "top", "uppermost": "top",
    "bottommost": "bottom", "lowest": "bottom", "highest": "top", "biggest": "largest",
    "largest": "largest", "smallest": "smallest", "tiniest": "smallest", "nearest": "front",
    "closest": "front", "farthest": "back", "furthest": "back", "left": "left", "right": "right",
    "middle": "center", "central": "center", "centre": "center", "center": "center",
    "front": "front", "back": "back", "rear": "back",
}  # fmt: skip
ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "last": -1,
}  # fmt: skip
PLURAL_WORDS = {"all", "every", "each", "both"}
IRREGULAR_PLURALS = {
    "people",
    "men",
    "women",
    "children",
    "mice",
    "geese",
    "teeth",
    "feet",
    "sheep",
}
NOT_PLURAL = ("ss", "us", "is", "glasses")  # endings of singular nouns that end in s
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class TextTarget:
    """The noun phrase SAM 3 reads and the pick among what it finds."""

    text: str  # "the dog"
    pick: str | None  # see the module docstring


def side_of(spatial: tuple[str, ...]) -> str | None:
    """The order a spatial phrase names: 'on the left' -> left, 'at the top right' -> top-right."""
    for phrase in spatial:
        words = set(phrase.replace("-", " ").split())
        if words & {"behind", "next", "beside", "front", "above", "below", "under", "over"}:
            continue  # relative to another object, not a place in the frame
        vert = (
            "top" if words & {"top", "upper"} else "bottom" if words & {"bottom", "lower"} else ""
        )
        horiz = "left" if "left" in words else "right" if "right" in words else ""
        if vert and horiz:
            return f"{vert}-{horiz}"
        if vert or horiz:
            return vert or horiz
        if words & {"background", "distance"}:
            return "back"
        if "foreground" in words:
            return "front"
        if words & {"middle", "center", "centre"}:
            return "center"
    return None


def is_plural(noun: str) -> bool:
    """'cars', 'people' -> True; 'glass', 'bus', 'dog' -> False (by the word's ending only)."""
    return noun in IRREGULAR_PLURALS or (
        noun.endswith("s") and len(noun) > 3 and not noun.endswith(NOT_PLURAL)
    )


def from_words(obj: str, spatial: tuple[str, ...], whole: str) -> TextTarget:
    """``obj``: the object phrase without determiners ('second dog'); ``whole``: the words it came
    from (for 'all'/'every'). Ordinals and superlatives leave the phrase and become the pick."""
    words = _WORD.findall(obj.lower())
    side = side_of(spatial)
    nth: int | None = None
    keep: list[str] = []
    for w in words:
        if w in ORDINALS and nth is None:
            nth = ORDINALS[w]
        elif w in SUPERLATIVES and len(words) > 1 and side is None:
            side = SUPERLATIVES[w]
        else:
            keep.append(w)
    keep = keep or words
    plural = bool(PLURAL_WORDS & set(_WORD.findall(whole.lower()))) or is_plural(keep[-1])
    text = "the " + " ".join(keep)
    if nth is not None:
        if nth == -1:  # "the last dog": the last in reading order
            return TextTarget(text, "right" if side is None else _opposite(side))
        return TextTarget(text, f"{side or 'left'}:{nth}" if nth > 1 else side or "left")
    if plural:
        return TextTarget(text, f"{side}:all" if side else "all")
    return TextTarget(text, side)


def _opposite(side: str) -> str:
    swap = {"left": "right", "right": "left", "top": "bottom", "bottom": "top", "front": "back",
            "back": "front", "largest": "smallest", "smallest": "largest"}  # fmt: skip
    return (
        "-".join(swap.get(part, part) for part in side.split("-"))
        if "-" in side
        else swap.get(side, side)
    )


def from_edit(edit: intent.Edit) -> TextTarget | None:
    """The object an edit names, or None when it names none ('make it sunset', 'the background').

    'replace the background behind the woman' names the woman (the caller inverts the mask).
    """
    if edit.kind == "replace-background":
        for phrase in edit.spatial:
            m = re.match(r"(?:behind|in front of|around)\s+(?:the\s+)?(?P<o>\w+)", phrase)
            if m and m.group("o") not in ("her", "him", "them", "it"):
                return from_words(m.group("o"), (), phrase)
        return None
    if not edit.object or edit.head in (None, "it", "them", "this", "that"):
        return None
    return from_words(_with_old(edit), edit.spatial, edit.text)


def _with_old(edit: intent.Edit) -> str:
    """The object with the attribute it has now: 'red car' (SAM 3 reads colour words)."""
    return f"{edit.old} {edit.object}" if edit.old and edit.object else edit.object or ""


def read(text: str) -> TextTarget:
    """A bare noun phrase as an agent writes it: 'the second dog from the left', 'all the cars'.

    Raises InputError for text with no word in it.
    """
    cleaned = " ".join(text.lower().split())
    if not _WORD.search(cleaned):
        raise InputError(f"text {text!r} names no object; name it in words, e.g. 'the dog'")
    edit = intent.parse_edit(f"remove {cleaned}")  # the intent parser reads object + spatial words
    obj = _with_old(edit) or re.sub(r"^(?:the|a|an|all|every|both)\s+", "", cleaned)
    return from_words(obj, edit.spatial, cleaned)


# Edits whose object, named in words and with no region given, becomes a SAM 3 text mask. Other
# edits ("make it sunset", "make her shirt red" with an instruction model) stay whole-image.
TEXT_MASK_KINDS = ("remove", "replace-object", "replace-background")


def planned(it: intent.Intent, sam_text: str | None, region: str) -> TextTarget | None:
    """The text mask a plan uses: the request's own words (--text), else, when no region was
    given, the object the edit names (``TEXT_MASK_KINDS`` only); None for no text mask."""
    if sam_text:
        return read(sam_text)
    if region != "none" or it.kind not in TEXT_MASK_KINDS:
        return None
    return from_edit(it.first)
