"""What an edit text asks for, as structure: one or more edits, each an action on an object.

How a text is read (``parse``):
1. ``clean`` (planner/language/typos.py): lower case, politeness ("please") dropped, typos one letter from a
   keyword corrected.
2. ``split``: the text is cut into edits where a new action verb starts ("remove the sign and make
   the sky bluer" is two); words that only continue an edit ("and its shadow") stay with it.
3. Each edit: its size words (planner/language/sizes.py), spatial words ("on the left") and degree words
   ("slightly") are taken out, then ``FORMS`` (read top to bottom, first match) splits the rest into
   verb, object and target, and ``INTENTS`` (read top to bottom, first match) names the intent from
   the classes of those three.

Both tables are data; reading them explains how a sentence is understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from retouch.planner.language import layers, sizes, vocab
from retouch.planner.language.conditions import holds
from retouch.planner.language.lazy_regex import LazyRegex
from retouch.planner.language.typos import clean


def _alt(words: set[str] | list[str]) -> str:
    """Regex alternation of phrases, longest first so "oil painting" wins over "painting"."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len)[::-1])


_ATTR_WORDS = (
    vocab.COLOURS
    | set(vocab.COMPARATIVES)
    | vocab.MATERIALS
    | vocab.PATTERNS
    | vocab.TEXTURES
    | set(vocab.MOODS)
    | vocab.SCENE_LIGHT
    | vocab.STYLES
)
# An attribute phrase: "red", "more dramatic", "dark blue", "black and white", "night time".
ATTR = (
    rf"(?:(?:more|less|a|an|much|even|out of|made of|made from|in)\s+)*"
    rf"(?:(?:{_alt(vocab.COLOUR_SHADES)})\s+)?"
    rf"(?:{_alt(_ATTR_WORDS)})(?:\s+(?:and|&)\s+(?:{_alt(_ATTR_WORDS)}))?"
    r"(?:\s+(?:colou?r(?:ed|s)?|tones?|time|instead|style|looking|one|lighting|light|mood))?"
)
REMOVE_VERBS = (
    r"remove|erase|delete|take out|take away|get rid of|clean up|eliminate|wipe out|wipe|"
    r"hide|cut out|strip out|strip|lose|ditch|rid (?:the image|the photo|it) of"
)
ADD_VERBS = r"add|insert|include|draw in|paint in|put|place"
FIX_VERBS = (
    r"fix|repair|regenerate|redo|restore|correct|improve|touch up|retouch|clean|redraw|re-?generate"
)
RESTYLE_VERBS = (
    r"restyle|stylize|stylise|reimagine|reinterpret|recreate|re-?render|render|convert|transform"
)
RELIGHT_VERBS = (
    r"relight|brighten|darken|warm up|cool down|warm|cool|lighten|desaturate|saturate|"
    r"recolou?r|tint|light"
)
EXTEND_VERBS = (
    r"extend|uncrop|un-crop|outpaint|out-paint|widen|expand|zoom out|enlarge|broaden|lengthen|"
    r"heighten|stretch|pad"
)
CHANGE_VERBS = r"change|turn|transform|convert|switch|alter|morph|modify|update|set"
# Verbs that may start a new edit in a sentence.
START = (
    rf"(?:{REMOVE_VERBS}|{ADD_VERBS}|{FIX_VERBS}|{RESTYLE_VERBS}|{RELIGHT_VERBS}|{EXTEND_VERBS}|"
    rf"{CHANGE_VERBS}|{vocab.SPATIAL_VERBS}|replace|swap|make|give|paint|colou?r|dye)\b"
)

# (form id, regex) on one cleaned edit; named groups: verb, object, target, behind. First match wins.
FORMS: list[tuple[str, str]] = [
    ("extend", rf"^(?P<verb>{EXTEND_VERBS})\b\s*(?P<object>.*)$"),
    ("view", rf"^(?:(?P<verb>{vocab.VIEWING}) )?(?:(?P<object>.+?) )??(?P<target>{vocab.VIEWS})$"),
    ("view-bare", rf"^(?P<verb>{vocab.VIEWING})(?: (?P<object>it|this|the \w+))?$"),
    ("move", rf"^(?P<verb>{vocab.MOVE_VERBS}) (?P<object>.+?)(?: (?P<target>{vocab.MOVE_TO}))?$"),
    ("rotate", rf"^(?P<verb>{vocab.ROTATE_VERBS}) (?P<object>.+?)(?: (?P<target>{vocab.TURNS}))?$"),
    ("rotate", rf"^(?P<verb>turn|spin|swing)\s+(?P<object>.+?)\s+(?P<target>{vocab.TURNS})$"),
    (
        "remove",
        rf"^(?P<verb>{REMOVE_VERBS})\s+(?P<object>.+?)"
        r"(?:\s+(?:from|off|out of|on|in)\s+(?P<behind>(?:the|a|an|her|his|their|its)\s+.+))?$",
    ),
    ("no-more", r"^(?P<verb>no|without)\s+(?P<object>.+)$"),
    (
        "colour-of",
        rf"^(?P<verb>{CHANGE_VERBS}|make)\s+the\s+(?:colou?r|shade|hue)\s+of\s+"
        rf"(?P<object>.+?)\s+(?:to|into)\s+(?P<target>.+)$",
    ),  # fmt: skip
    (
        "replace",
        r"^(?P<verb>replace|swap out|swap|exchange|substitute|switch out)\s+(?P<object>.+?)"
        r"\s+(?:with|for|by|to|into)\s+(?P<target>.+)$",
    ),  # fmt: skip
    ("replace-bare", r"^(?P<verb>replace|swap|switch)\s+(?P<object>.+)$"),
    (
        "look-like",
        rf"^(?P<verb>make|render|paint|redraw|draw|style|{RESTYLE_VERBS}|{CHANGE_VERBS})\s+"
        r"(?P<object>.+?)\s+(?:look|looks|appear|seem)\s+(?:like|as if it were|as)\s+"
        r"(?P<target>.+)$",
    ),
    (
        "look",
        r"^(?P<verb>make|let)\s+(?P<object>.+?)\s+(?:look|looks|appear|seem|feel)\s+"
        r"(?P<target>.+)$",
    ),  # fmt: skip
    (
        "change",
        rf"^(?P<verb>{CHANGE_VERBS}|make)\s+(?P<object>.+?)\s+(?:to|into|in to|to be|"
        r"so it looks like|like|as)\s+(?P<target>.+)$",
    ),  # fmt: skip
    (
        "restyle",
        rf"^(?P<verb>{RESTYLE_VERBS})\s+(?P<object>.+?)(?:\s+(?:as|like|in the style of|"
        r"in|into|to)\s+(?P<target>.+))?$",
    ),  # fmt: skip
    (
        "make-attr",
        rf"^(?P<verb>make|turn|paint|repaint|re-?colou?r|colou?r|dye|tint|get|have|{CHANGE_VERBS})\s+"
        rf"(?P<object>.+?)\s+(?P<target>{ATTR})$",
    ),  # fmt: skip
    (
        "relight-verb",
        rf"^(?P<verb>{RELIGHT_VERBS})\s+(?P<object>.+?)"
        r"(?:\s+(?:with|to|into|using)\s+(?P<target>.+))?$",
    ),  # fmt: skip
    ("relight-bare", rf"^(?P<verb>{RELIGHT_VERBS})$"),
    (
        "place",
        # "this"/"a" name something new (a reference image's logo): an add, read below
        r"^(?P<verb>put|place|move|set)\s+(?P<object>(?:the|her|his|their|my|it)\b.*?)"
        r"\s+(?:in front of|on|in|at|into|onto|against|by)\s+(?P<target>.+)$",
    ),  # fmt: skip
    # "put the cup on the left": the place words were taken out as spatial words; a named object
    ("move", r"^(?P<verb>put|place)\s+(?P<object>(?:the|her|his|their|my|it)\b[^,]*)$"),
    (
        "add",
        rf"^(?P<verb>{ADD_VERBS}|give it|give)\s+(?P<target>.+?)"
        r"(?:\s+(?:to|on|onto|in|into|at|near|next to|beside|over|under)\s+(?P<object>.+))?$",
    ),  # fmt: skip
    ("fix", rf"^(?P<verb>{FIX_VERBS})\s+(?P<object>.+)$"),
    ("broken", rf"^(?!{START})(?P<object>.+?)\s+(?:is|are|looks?|seems?)\s+(?P<target>.+)$"),
    ("make-any", r"^(?P<verb>make|turn|give|let)\s+(?P<object>.+?)\s+(?P<target>.+)$"),
    ("bare-attr", rf"^(?P<target>{ATTR}(?:\s+\w+)?)$"),
]

# (intent, condition) read top to bottom; the first whose every key holds names the intent.
# Keys: verb (regex on the verb), object / target (classes: whole, none, sky, background, hand,
# face, thing; style, scene, colour, material, pattern, texture, mood), form, size (size words seen).
INTENTS: list[tuple[str, dict[str, object]]] = [
    ("extend", {"size": True}),
    ("extend", {"form": "extend"}),
    ("move", {"form": "move"}),
    ("rotate", {"form": "rotate"}),
    ("view", {"form": ["view", "view-bare"]}),
    ("fix-hand", {"object": "hand", "form": ["fix", "broken", "replace-bare", "make-any"]}),
    ("fix-face", {"object": "face", "form": ["fix", "broken", "replace-bare", "make-any"]}),
    ("remove", {"form": ["remove", "no-more"]}),
    ("relight", {"form": "add", "target": "scene"}),
    ("replace-background", {"form": "place"}),
    ("add", {"form": "add"}),
    ("replace-sky", {"object": "sky"}),
    ("replace-background", {"object": "background"}),
    ("restyle", {"target": "style"}),
    ("relight", {"object": ["whole", "none"], "target": ["scene", "mood", "colour"]}),
    ("relight", {"form": ["relight-verb", "relight-bare"], "object": ["whole", "none"]}),
    (
        "attribute",
        {
            "object": "thing",
            "target": ["colour", "material", "pattern", "texture", "mood", "scene"],
        },
    ),  # fmt: skip
    ("attribute", {"form": "relight-verb", "object": "thing"}),
    ("attribute", {"form": "look", "object": "thing"}),
    ("generic", {"form": "make-any"}),  # "make him wear sunglasses": no object to negate
    ("restyle", {"form": "restyle"}),
    ("replace-object", {"object": "thing", "target": "thing"}),
    ("global", {"object": "whole"}),
    ("generic", {}),
]

# Words that ask for the highest fidelity the machine can give.
QUALITY_WORDS = LazyRegex(
    r"\b(indistinguishable|perfect(ly)?|flawless|seamless|undetectable|pixel[- ]perfect|"
    r"highest quality|best quality|must look real|photoreal(istic)?)\b",
    re.IGNORECASE,
)

_FORMS = [(name, LazyRegex(rx)) for name, rx in FORMS]
_SPLIT = LazyRegex(r"(\s*[,;]\s*(?:and\s+)?(?:then\s+)?(?:also\s+)?|\s*\.\s+|"
                    r"\s+(?:and|then|also|plus|after that)\s+(?:then\s+)?(?:also\s+)?)")  # fmt: skip
_START = LazyRegex(START)
_ANAPHORA = LazyRegex(r"^\w+(?:\s+\w+)?\s+(?:them|those|these|him|her)\b")
_OBJ_ATTR = LazyRegex(rf"^(?:the|her|his|their|its|my)\s+[\w' -]+?\s+{ATTR}$")
_SPATIAL = LazyRegex(rf"\s*(?<![\w-])(?:{vocab.SPATIAL})")
_DEGREES = [
    (level, strength, LazyRegex(rf"\b(?:{rx})\b(?:\s*,)?\s*"))
    for level, strength, rx in vocab.DEGREE
]
_EFFECTS = LazyRegex(
    rf"\s*(?:,\s*)?\b(?:and|with|plus|along with|together with|including|as well as)\s+"
    rf"(?:all\s+)?(?:its|their|his|her|the|any)?\s*(?P<e>{_alt(vocab.EFFECTS)})"
    rf"(?:\s+(?:and|or)\s+(?:its|their|his|her|the|any)?\s*(?P<e2>{_alt(vocab.EFFECTS)}))?\b"
)
_DETERMINERS = LazyRegex(r"^(?:(?:the|a|an|this|that|these|those|some|any|all|"
                          r"her|his|their|my|your|its|our)\s+)+")  # fmt: skip
_PREP = LazyRegex(r"\s+(?:of|with|in|on|at|from|near|by|that|which|who|wearing)\s+.*$")
_CLASS_RX = [
    ("style", LazyRegex(rf"\b(?:{_alt(vocab.STYLES)})\b")),
    ("colour", LazyRegex(rf"^(?:(?:more|less|much|even|a|an)\s+)*(?:(?:{_alt(vocab.COLOUR_SHADES)})"
                          rf"\s+)?(?:{_alt(vocab.COLOURS | {'bluer', 'redder', 'greener', 'whiter', 'pinker', 'yellower', 'greyer', 'grayer', 'blacker'})})"
                          r"(?:\s+(?:colou?r(?:ed)?|one|instead|tones?))?$")),  # fmt: skip
    ("material", LazyRegex(rf"^(?:made of |made from |out of |a |an )?(?:{_alt(vocab.MATERIALS)})\b")),
    ("pattern", LazyRegex(rf"\b(?:{_alt(vocab.PATTERNS)})\b")),
    ("texture", LazyRegex(rf"^(?:more |less |a |an )?(?:{_alt(vocab.TEXTURES)})\b")),
    ("scene", LazyRegex(rf"\b(?:{_alt(vocab.SCENE_LIGHT - {'colours', 'colors', 'colour', 'color', 'dark', 'light'} )})\b"
                         r"|^(?:more |less )?(?:warmer|cooler|darker|lighter|brighter|dimmer)\b")),  # fmt: skip
    ("mood", LazyRegex(rf"^(?:(?:more|less|a|an|much|even)\s+)*(?:{_alt(set(vocab.MOODS) | set(vocab.COMPARATIVES))})\b")),
]  # fmt: skip
_OBJECT_CLASSES = [
    ("sky", vocab.SKY),
    ("background", vocab.BACKGROUND),
    ("hand", vocab.HAND),
    ("face", vocab.FACE),
]
_HAND_TEXT = LazyRegex(
    r"\b(hand|hands|finger|fingers|palm)\b.*\b(regenerate|fix|repair|redo|wrong|bad|deformed|"
    r"extra|missing|broken|mangled)\b|\b(regenerate|fix|repair|redo)\b.*\b(hand|hands|finger|fingers)\b"
)
_FACE_TEXT = LazyRegex(
    r"\b(face|faces|eyes|mouth)\b.*\b(regenerate|fix|repair|redo|wrong|bad|deformed|distorted|"
    r"blurry)\b|\b(regenerate|fix|repair|redo|restore)\b.*\b(face|faces|eyes)\b"
)


@dataclass(frozen=True)
class Degree:
    words: str  # as written: "slightly"
    level: str  # light | strong | heavy
    strength: float  # the SDEdit strength the words ask for


@dataclass(frozen=True)
class Edit:
    """One edit recognised in the text."""

    text: str  # the edit as an instruction, cleaned: "make the sky bluer"
    kind: str  # intent: remove, attribute, relight, ...
    form: str  # FORMS row that split it
    verb: str | None = None
    object: str | None = None  # the object phrase as written, determiners dropped: "trash can"
    head: str | None = None  # its head noun: "shirt"
    owner: str | None = None  # "her" in "her shirt"
    old: str | None = None  # an attribute the object has now: "red" in "the red car"
    target: str | None = None  # what it becomes: "a beach", "red", "more dramatic"
    target_class: str | None = None  # style | scene | colour | material | pattern | texture | mood
    attribute: str | None = None  # the target as a plain attribute: "dramatic", "blue"
    spatial: tuple[str, ...] = ()
    degree: Degree | None = None
    size: sizes.SizeWords | None = None
    effects: tuple[str, ...] = ()
    behind: str | None = None  # what the object sits on: "wall" in "remove the sign from the wall"


@dataclass(frozen=True)
class Intent:
    """The whole text: the edits in order; the plan carries out the first."""

    edits: tuple[Edit, ...]
    quality_max: bool
    touch: str  # light | normal | strong | heavy, from the first edit's degree words
    extra: dict[str, str] = field(default_factory=dict)
    layers: layers.LayerWords | None = None  # the layer words read (language/layers.py); None: none

    @property
    def first(self) -> Edit:
        return self.edits[0]

    @property
    def kind(self) -> str:
        return self.first.kind

    @property
    def subject(self) -> str | None:
        return self.first.object

    @property
    def target(self) -> str | None:
        return self.first.target


def split(text: str) -> list[str]:
    """Cut a cleaned text into edits at boundaries followed by a new action."""
    pieces = _SPLIT.split(text)
    parts, seps = pieces[0::2], pieces[1::2]
    out = [parts[0]]
    for sep, part in zip(seps, parts[1:], strict=True):
        prev_verb = out[-1].split(" ", 1)[0]
        new_edit = bool(_START.match(part)) and not _ANAPHORA.match(part)
        if not new_edit and prev_verb in ("make", "turn") and _OBJ_ATTR.match(part):
            part, new_edit = f"{prev_verb} {part}", True
        if new_edit and _START.match(out[-1]):
            out.append(part)
        else:
            out[-1] = out[-1] + sep + part
    return [p.strip(" ,;.") for p in out if p.strip(" ,;.")]


def _object_class(obj: str | None) -> str:
    if obj is None or not obj.strip():
        return "none"
    if obj in vocab.WHOLE or _DETERMINERS.sub("", obj) in {"image", "photo", "picture", "scene"}:
        return "whole"
    head = _head(obj)
    for name, words in _OBJECT_CLASSES:
        if head in words or obj in words:
            return name
    return "thing"


def _target_class(target: str | None) -> str | None:
    if not target:
        return None
    return next((name for name, rx in _CLASS_RX if rx.search(target)), "thing")


def _head(obj: str) -> str:
    core = _PREP.sub("", _DETERMINERS.sub("", obj)).strip()
    return core.split(" ")[-1] if core else obj


def _attribute(target: str | None, cls: str | None) -> str | None:
    if not target or cls in (None, "thing"):
        return None
    target = re.sub(r"^(?:out of|made of|made from|in)\s+", "", target)
    words = [w for w in target.split() if w not in ("more", "less", "much", "even", "a", "an")]
    words = [vocab.COMPARATIVES.get(w, w) for w in words]
    drop = {"colour", "color", "coloured", "colored", "instead", "one", "looking"}
    return " ".join(w for w in words if w not in drop) or None


def _take(rx: LazyRegex, text: str) -> tuple[list[str], str]:
    found = [m.group(0).strip(" ,") for m in rx.finditer(text)]
    return found, re.sub(r"\s+", " ", rx.sub(" ", text)).strip(" ,")


def parse_edit(text: str) -> Edit:
    """Read one cleaned edit into verb, object, target and the words around them."""
    # 1. size, spatial and degree words come out first
    size = sizes.find(text)
    rest = sizes.strip(text) if size else text
    spatial, rest = _take(_SPATIAL, rest)
    degree = None
    for level, strength, rx in _DEGREES:
        m = rx.search(rest)
        if m and degree is None:
            degree = Degree(m.group(0).strip(" ,"), level, strength)
        rest = rx.sub("", rest)
    rest = rest.strip(" ,")
    # 2. remove-with-effects: "and its shadow"
    effects: list[str] = []
    m_eff = _EFFECTS.search(rest)
    if m_eff:
        effects = [e for e in (m_eff.group("e"), m_eff.group("e2")) if e]
        rest = (rest[: m_eff.start()] + rest[m_eff.end() :]).strip(" ,")
    # 3. the first form that matches splits verb / object / target
    form, groups = "none", {}
    for name, rx in _FORMS:
        m = rx.match(rest)
        if m:
            form, groups = name, {k: v.strip(" ,") for k, v in m.groupdict().items() if v}
            break
    if form == "none" and _START.match(rest):
        groups["verb"] = rest.split(" ", 1)[0]
    obj = groups.get("object")
    if obj:
        obj = re.split(r"\s*[,;]\s*|\s+(?:so that|so it|it must|which must)\b", obj)[0]
    target = groups.get("target")
    if target:
        target = re.split(r"\s*[,;]\s*(?:and\s+)?(?:it|so|but)\b|\s+so that\b", target)[0]
        target = target.strip(" ,") or None
    # 4. classes, then the intent table
    ocls = _object_class(obj)
    tcls = _target_class(target)
    facts = {"form": form, "object": ocls, "target": tcls, "size": size is not None}
    kind = next(name for name, cond in INTENTS if holds(cond, facts.get))
    if kind == "generic" and _HAND_TEXT.search(text):
        kind = "fix-hand"
    elif kind == "generic" and _FACE_TEXT.search(text):
        kind = "fix-face"
    core = _DETERMINERS.sub("", obj).strip() if obj and ocls not in ("whole", "none") else None
    owner = obj.split(" ", 1)[0] if obj and obj.split(" ", 1)[0] in vocab.OWNERS else None
    old = None
    if core:
        first_word = core.split(" ", 1)[0]
        if " " in core and _target_class(first_word) in (
            "colour",
            "material",
            "pattern",
            "texture",
        ):
            old, core = first_word, core.split(" ", 1)[1]
    behind = groups.get("behind")
    return Edit(
        text=text,
        kind=kind,
        form=form,
        verb=groups.get("verb"),
        object=core,
        head=_head(core) if core else None,
        owner=owner,
        old=old,
        target=target,
        target_class=tcls,
        attribute=_attribute(target, tcls),
        spatial=tuple(spatial),
        degree=degree,
        size=size,
        effects=tuple(effects),
        behind=_DETERMINERS.sub("", behind).strip() if behind else None,
    )


def parse(text: str, region_given: bool = False) -> Intent:
    """Read an edit text into its edits, in order (unknown words: ``generic``); layer words first,
    left out and kept in ``layers`` (layers.edit_words: may raise; ``region_given``: mask or SAM)."""
    words = layers.edit_words(text, region_given)
    cleaned = clean(words.rest) or words.rest.lower().strip()
    edits = tuple(parse_edit(part) for part in split(cleaned)) or (parse_edit(cleaned),)
    first = edits[0]
    touch = first.degree.level if first.degree else "normal"
    if first.verb in ("reimagine", "recreate") and touch == "normal":
        touch = "heavy"
    asked = words if words.asked else None
    return Intent(edits, bool(QUALITY_WORDS.search(words.rest)), touch, layers=asked)
