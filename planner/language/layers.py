"""Words that ask for the edit as layers: "split into layers", "put the subject on its own layer",
"remove the sign but keep it as a layer", "as layers", "on a separate layer".

``read(text)`` says whether the text asks and returns the text without those words, so the edit
("remove the sign") is parsed and prompted alone. A text that asks for layers and names no edit
("put the subject on its own layer") is refused with the edit to add (``check_some_edit``): the
cut-out alone (executors.images.layers.split_layers) has no plan yet, and read as an edit its
words would plan a generative one ("put ... on" reads as a background replacement). The phrases are data (``PHRASES``): a joiner
("and", "but", a comma), a verb phrase, then the layer noun phrase, ending the text or followed by
punctuation or the next edit ("cover the roof with a layer of snow" asks for no layers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retouch.planner.contract.errors import PlanError

# the noun phrase that names a layer: "layers", "a layer", "its own layer", "a separate layer"
_LAYER = (
    r"(?:(?:a|an|its|their|his|her|the|own|separate|new|different|individual|distinct)"
    r"\s+)*(?:psd\s+)?layers?"
)
_THING = r"(?:it|them|that|this|the\s+[\w -]+?|(?:her|his|their|its)\s+[\w -]+?)"
PHRASES: tuple[str, ...] = (
    # "split into layers", "split the image into layers", "separate into layers"
    rf"(?:split|separate|break|divide|decompose)\s+(?:(?:it|the\s+(?:image|photo|picture))\s+)?"
    rf"(?:in|into|to)\s+{_LAYER}",
    # "keep it as a layer", "keep the sign on its own layer", "put the subject on its own layer"
    rf"(?:keep|put|place|save|leave|give\s+me)\s+{_THING}\s+(?:as|on|in)\s+{_LAYER}",
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
    edit text without them ("" when the text asked for nothing else)."""

    asked: bool
    words: tuple[str, ...]
    rest: str


def read(text: str) -> LayerWords:
    """The layer words in ``text`` and the text without them."""
    words = tuple(m.group(0).strip(" ,;") for m in _RX.finditer(text))
    if not words:
        return LayerWords(False, (), text)
    rest = re.sub(r"\s+", " ", _RX.sub(" ", text)).strip(" ,;.")
    rest = re.sub(r"^(?:and|but|then|also)\s+|\s+(?:and|but|then|also)$", "", rest)
    return LayerWords(True, words, rest)


_SPLIT = re.compile(PHRASES[0], re.IGNORECASE)


def split_only(words: LayerWords) -> bool:
    """Whether the text asked only to split the whole image into layers ("split into layers"):
    a plan of its own, Qwen-Image-Layered's (planner/rules.py ``layers-qwen-layered``)."""
    return words.asked and not words.rest and all(_SPLIT.fullmatch(w) for w in words.words)


def check_some_edit(text: str, words: LayerWords) -> None:
    """PlanError when ``text`` asked for layers and nothing else remains to edit (a split of the
    whole image, ``split_only``, is a plan of its own)."""
    if words.asked and not words.rest and not split_only(words):
        raise PlanError(
            f"{text.strip()!r} asks for layers but names no edit; say the edit too, e.g. "
            "'remove the sign and keep it as a layer' (a cut-out with no edit is not planned yet)"
        )


def edit_words(text: str) -> LayerWords:
    """``read(text)``, then ``check_some_edit``: the words for intent.parse."""
    words = read(text)
    check_some_edit(text, words)
    return words
