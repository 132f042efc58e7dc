"""Face words: which face part an edit or a mask text names, and which face among several.

Pure Python (no dlib): the planner reads the words, ``retouch.executors.segment.faces`` makes the
mask from the face models' landmarks. Words for anything else still go to SAM 3.

    read("her glasses")                       -> FaceTarget(part="glasses", pick=None)
    read("the face of the man on the left")   -> FaceTarget(part="face", pick="left")
    in_edit("remove his beard")               -> FaceTarget(part="beard", pick=None)
    in_edit("make him look older")            -> None (no part named: a whole-image edit)
    changes_face("make him look older")       -> True (identity is reported, not judged)

Parts (``PART_WORDS``): face, eyes, brows, glasses, nose, mouth, beard. The pick uses the instance
orders of planner/language/picks.py ("left", "right", "left:2", "largest", "all", ...): the words choose a
face, left and right meaning the image's sides; None means the largest face.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retouch.planner.contract.request import FacePart
from retouch.planner.language import intent, picks

PART_WORDS: dict[str, FacePart] = {
    "face": "face", "faces": "face", "eyes": "eyes", "eye": "eyes", "eyeballs": "eyes",
    "irises": "eyes", "pupils": "eyes", "eyebrows": "brows", "eyebrow": "brows", "brows": "brows",
    "brow": "brows", "glasses": "glasses", "eyeglasses": "glasses", "spectacles": "glasses",
    "sunglasses": "glasses", "specs": "glasses", "shades": "glasses", "nose": "nose",
    "nostrils": "nose", "mouth": "mouth", "lips": "mouth", "lip": "mouth", "teeth": "mouth",
    "beard": "beard", "moustache": "beard", "mustache": "beard", "goatee": "beard",
    "stubble": "beard", "beards": "beard", "moustaches": "beard", "mustaches": "beard",
    "noses": "nose", "mouths": "mouth",
}  # fmt: skip
"""The words that name a face part, and the part each one means."""
PERSON_WORDS = {
    "man", "woman", "person", "boy", "girl", "lady", "guy", "child", "kid", "baby", "he", "she",
    "him", "her", "his", "astronaut", "men", "women", "people", "persons", "boys", "girls",
    "ladies", "guys", "children", "kids", "they", "them", "their",
}  # fmt: skip
PLURAL_OWNERS = {
    "men", "women", "people", "persons", "boys", "girls", "ladies", "guys", "children", "kids",
    "faces", "everyone", "everybody",
}  # fmt: skip
NOT_A_FACE = {
    "dog", "dogs", "puppy", "cat", "cats", "kitten", "horse", "bird", "cow", "sheep", "pig",
    "animal", "fish", "lion", "tiger", "bear", "monkey", "owl", "statue", "doll", "toy", "clock",
    "watch", "cliff", "rock", "mountain", "building", "storm", "needle", "table", "shelf", "tray",
    "wine", "water", "beer", "drink", "drinks", "bar", "counter", "plane", "aircraft", "rocket",
    "boat", "car", "cup", "bottle", "background", "backdrop",
}  # fmt: skip
"""Owners and places that make a face word mean something else ('the dog's nose', 'the glasses
on the table', 'the clock face'): those words go to SAM 3."""
SKIN_WORDS = {
    "freckles", "wrinkles", "blemish", "blemishes", "acne", "pimple", "pimples", "spots",
    "makeup", "make-up", "skin", "complexion", "pores",
}  # fmt: skip
"""What lives on the face's skin: an edit of these works on the whole face."""
CHANGE_WORDS = re.compile(
    r"\b(?:older|younger|old|young|age|aged|ageing|aging|elderly|wrinkl\w*|smil\w*|frown\w*|"
    r"laugh\w*|grin\w*|wink\w*|expression|emotion|angry|sad|happy|surprised|makeup|make-up|"
    r"look like|different (?:person|face|man|woman)|another (?:person|face|man|woman)|"
    r"swap|replace (?:his|her|their|the) face|new face|cartoon\w*|caricature|anime)\b"
)
"""Words of an edit meant to change the face itself: identity is then reported, not judged."""
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class FaceTarget:
    """A face part named in words, and the pick among the faces found (None: the largest)."""

    part: FacePart
    pick: str | None
    words: str  # the part in a few words ('the glasses'): the plan's mask.text, SAM 3's fallback


def _pick(words: list[str], spatial: tuple[str, ...]) -> str | None:
    """The face the words choose: an order from the spatial phrases or a superlative, an ordinal,
    or all faces for plural owners ('the men', 'all faces', 'both')."""
    side = picks.side_of(spatial)
    nth: int | None = None
    for w in words:
        base = w.removesuffix("'s")
        if base in picks.ORDINALS and nth is None:
            nth = picks.ORDINALS[base]
        elif base in picks.SUPERLATIVES and side is None:
            side = picks.SUPERLATIVES[base]
    if nth == -1:
        return "right" if side in (None, "left") else "left"
    if nth is not None and nth > 1:
        return f"{side or 'left'}:{nth}"
    if set(words) & (PLURAL_OWNERS | picks.PLURAL_WORDS):
        return f"{side}:all" if side else "all"
    return side


def read(text: str) -> FaceTarget | None:
    """The face part a bare noun phrase names ('her glasses', 'the nose of the man on the left'),
    or None when it names none (then the words are for SAM 3). A person alone ('the man on the
    left') is a whole person, not a face: None."""
    cleaned = " ".join(text.lower().split())
    words = [w.removesuffix("'s") for w in _WORD.findall(cleaned)]
    parts = [PART_WORDS[w] for w in words if w in PART_WORDS]
    if not parts or set(words) & NOT_A_FACE:
        return None
    edit = intent.parse_edit(cleaned)
    if edit.verb is None:  # a bare noun phrase: read it as the object of an edit
        edit = intent.parse_edit(f"remove {cleaned}")
    head = (edit.head or "").removesuffix("'s")
    if head in SKIN_WORDS:
        return FaceTarget("face", _pick(words, edit.spatial), "the face")
    if head and head not in {*PART_WORDS, *PERSON_WORDS, "the", "a", "an", "it", "this", "that"}:
        return None  # 'the tattoo on her face': the object is the tattoo (SAM 3)
    # the part is the first named: "the glasses on her face" -> glasses
    part = next(p for p in parts if p != "face") if set(parts) - {"face"} else "face"
    named = next(w for w in words if PART_WORDS.get(w) == part)
    return FaceTarget(part, _pick(words, edit.spatial), f"the {named}")


def in_edit(text: str) -> FaceTarget | None:
    """The face part an edit sentence works on ('remove her glasses', 'make his eyes blue',
    'blur the face on the left'), or None ('make him look older', 'remove the dog')."""
    return read(text)


def changes_face(text: str) -> bool:
    """Whether the edit is meant to change the face itself (age, expression, another person)."""
    return bool(CHANGE_WORDS.search(" ".join(text.lower().split())))


def planned(edit_text: str, sam_text: str | None, region: str) -> FaceTarget | None:
    """The face mask a plan uses: the request's own words (``--text``) when they name a face
    part, else, with no region given, the part the edit names; None for no face mask."""
    if sam_text:
        return read(sam_text)
    if region != "none":
        return None
    return in_edit(edit_text)


def targets(
    it: intent.Intent, sam_text: str | None, region: str
) -> tuple[FaceTarget | None, picks.TextTarget | None]:
    """(the face mask's words, SAM 3's text target) of a plan: face words win, so words for a
    face never need SAM 3; at most one of the two is set."""
    face = planned(it.first.text, sam_text, region)
    return face, None if face else picks.planned(it, sam_text, region)


def mask_note(face: FaceTarget) -> str:
    """The plan's mask note for a face mask, in one sentence."""
    pick = face.pick or "the largest face"
    return (
        f"the face models draw the {face.part} from each face's landmarks (no SAM 3) and the "
        f"words pick {pick}"
    )
