"""Words that ask for the edit as layers: "split into layers", "put the subject on its own layer",
"remove the sign but keep it as a layer", "as layers", "on a separate layer".

``read(text)`` says whether the text asks and returns the text without those words, so the edit
("remove the sign") is parsed and prompted alone. The phrases are data (``PHRASES``): a joiner
("and", "but", a comma), a verb phrase, then the layer noun phrase, ending the text or followed by
punctuation or the next edit ("cover the roof with a layer of snow" asks for no layers).

Three plans come out of them (planner/context.py ``RuleFacts.layers``):

- an edit and its layers ("remove the sign but keep it as a layer"): ``edit``;
- the whole image split, no other edit ("split into layers"): ``only`` (``split_only``,
  Qwen-Image-Layered: planner/rules.py ``layers-qwen-layered``);
- a cut-out, no other edit ("put the subject on its own layer", "cut out the dog onto its own
  layer", "separate the person from the background as layers"): ``subject`` (``LayerWords.cutout``).
  It is planned as the removal of the subject (``edit_words`` gives intent.parse "remove the dog",
  or "remove it" for "the subject", "it", "the foreground": the mask, clicks or box say where); the
  run keeps that fill only as the background layer under the subject cut out (alpha = the mask)
  and result.png is the source unchanged (executors/images/layers.py ``cut_out``). It needs a
  region: a mask, SAM clicks or a box, or the object named ("the dog"); ``check_region`` says so.

Any other text that asks for layers and names no edit ("as layers") is refused with the edit to
add (``check_some_edit``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from retouch.planner.contract.errors import PlanError

# the noun phrase that names a layer: "layers", "a layer", "its own layer", "a separate layer"
_LAYER = (
    r"(?:(?:a|an|its|their|his|her|the|own|separate|new|different|individual|distinct)"
    r"\s+)*(?:psd\s+)?layers?"
)
_THING = r"(?:it|them|him|her|that|this|the\s+[\w -]+?|(?:her|his|their|its)\s+[\w -]+?)"
# the verbs of a cut-out ("cut out the dog onto its own layer"); not "move" ("move the cup to the
# left on a new layer" is a move asked for as layers) nor "split" (the whole image: PHRASES[0])
_CUT_VERB = (
    r"(?:keep|put|place|save|leave|give\s+me|cut(?:\s+out)?|lift(?:\s+out)?|pull(?:\s+out)?|"
    r"extract|isolate|separate)"
)
# "... out", "... from the background", "... off the rest of the photo" between thing and layer
_FROM = (
    r"(?:\s+out)?(?:\s+(?:from|off)\s+(?:the\s+)?(?:background|backdrop|image|photo|picture|"
    r"rest(?:\s+of\s+(?:the\s+)?(?:image|photo|picture))?))?"
)
PHRASES: tuple[str, ...] = (
    # "split into layers", "split the image into layers", "separate into layers"
    rf"(?:split|separate|break|divide|decompose)\s+(?:(?:it|the\s+(?:image|photo|picture))\s+)?"
    rf"(?:in|into|to)\s+{_LAYER}",
    # "keep it as a layer", "put the subject on its own layer", "cut out the dog onto its own
    # layer", "separate the person from the background as layers"
    rf"{_CUT_VERB}\s+{_THING}{_FROM}\s+(?:as|on|onto|in|into|to)\s+{_LAYER}",
    # "and return layers", "give me layers", "output layers"
    rf"(?:return|give\s+me|output|export|deliver)\s+(?:the\s+result\s+)?(?:as\s+)?{_LAYER}",
    # "as layers", "on a separate layer", "in layers", "with layers"
    rf"(?:as|on|in|with|into)\s+{_LAYER}",
)
_JOIN = r"(?:\s*[,;]\s*|\s+)(?:(?:and|but|then|also|please)\s+)*"
_RX = re.compile(
    rf"(?:^|{_JOIN})(?:{'|'.join(f'(?:{p})' for p in PHRASES)})(?=\s*(?:$|[,;.!]|(?:and|but|then)\b))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LayerWords:
    """What ``read`` found: whether layers were asked, the words that asked (as written) and the
    edit text without them ("" when the text asked for nothing else). ``cutout``: the words ask
    only to put a thing on its own layer (a cut-out, no other edit); ``subject`` is that thing as
    written ("the dog"), None for a word that names no object ("the subject", "it")."""

    asked: bool
    words: tuple[str, ...]
    rest: str
    cutout: bool = False
    subject: str | None = None


_CUT = re.compile(
    rf"{_CUT_VERB}\s+(?P<thing>{_THING}){_FROM}\s+(?:as|on|onto|in|into|to)\s+{_LAYER}",
    re.IGNORECASE,
)
_SPLIT = re.compile(PHRASES[0], re.IGNORECASE)
# things that name no object: the region given (mask, clicks, box) is the subject
GENERIC = re.compile(
    r"(?:it|them|him|her|this|that|the\s+(?:main\s+)?(?:subject|foreground|object|selection|"
    r"cut-?out|masked\s+(?:area|region|part)|region|area|mask))",
    re.IGNORECASE,
)
WHOLE = re.compile(r"the\s+(?:whole\s+)?(?:image|photo|picture|background)", re.IGNORECASE)


def _cutout(words: tuple[str, ...]) -> tuple[bool, str | None]:
    """(whether ``words`` are one cut-out phrase, its thing or None for a generic one)."""
    if len(words) != 1 or _SPLIT.fullmatch(words[0]):
        return False, None
    m = _CUT.fullmatch(re.sub(r"^(?:(?:and|but|then|also|please)\s+)+", "", words[0], flags=re.I))
    if m is None or WHOLE.fullmatch(thing := m.group("thing").strip()):
        return False, None
    return True, None if GENERIC.fullmatch(thing) else thing


def read(text: str, region_given: bool = False) -> LayerWords:
    """The layer words in ``text`` and the text without them. With a region given (a mask, clicks
    or a box), "split into layers" and nothing else is a cut-out of that region: the region is
    what goes on its own layer (a whole-image split is for a request without one)."""
    words = tuple(m.group(0).strip(" ,;") for m in _RX.finditer(text))
    if not words:
        return LayerWords(False, (), text)
    rest = re.sub(r"\s+", " ", _RX.sub(" ", text)).strip(" ,;.")
    rest = re.sub(r"^(?:and|but|then|also)\s+|\s+(?:and|but|then|also)$", "", rest)
    cutout, subject = _cutout(words) if not rest else (False, None)
    found = LayerWords(True, words, rest, cutout, subject)
    if region_given and split_only(found):
        return replace(found, cutout=True, subject=None)
    return found


def split_only(words: LayerWords) -> bool:
    """Whether the text asked only to split the whole image into layers ("split into layers"):
    a plan of its own, Qwen-Image-Layered's (planner/rules.py ``layers-qwen-layered``)."""
    return (
        words.asked
        and not words.rest
        and not words.cutout
        and all(_SPLIT.fullmatch(w) for w in words.words)
    )


def check_some_edit(text: str, words: LayerWords) -> None:
    """PlanError when ``text`` asked for layers and nothing else remains to edit (a split of the
    whole image, ``split_only``, and a cut-out, ``LayerWords.cutout``, are plans of their own)."""
    if words.asked and not words.rest and not split_only(words) and not words.cutout:
        raise PlanError(
            f"{text.strip()!r} asks for layers but names no edit; say the edit too, e.g. "
            "'remove the sign and keep it as a layer', or what goes on its own layer, e.g. "
            "'put the subject on its own layer' with a mask"
        )


def check_region(text: str, words: LayerWords, region: str) -> None:
    """PlanError when a cut-out (``words.cutout``) has no region to cut: ``region`` is the rule
    fact (mask, sam, canvas, none)."""
    if words.cutout and region not in ("mask", "sam"):
        what = "a canvas extension" if region == "canvas" else "no region"
        raise PlanError(
            f"{text.strip()!r} puts a subject on its own layer but has {what}; give a mask, "
            "click the subject (points or a box), or name it, e.g. 'cut out the dog onto its own "
            "layer'"
        )


def edit_words(text: str, region_given: bool = False) -> LayerWords:
    """``read(text)``, then ``check_some_edit``: the words for intent.parse. A cut-out's edit is
    the removal of its subject ("remove the dog"; "remove it" for a generic word), the fill that
    becomes the background layer."""
    words = read(text, region_given)
    check_some_edit(text, words)
    if words.cutout:
        return replace(words, rest=f"remove {words.subject or 'it'}")
    return words
