"""Cleaning an edit text before it is read: lower case, politeness out, typos corrected.

A word of five letters or more that is one letter (deleted, added, changed or swapped) from a
keyword in planner/language/vocab.py, with the same first letter, becomes the keyword, unless it is a real
word of its own (``vocab.PROTECTED``) or an inflection of the keyword; short misspellings come
from ``vocab.COMMON_TYPOS``.
"""

from __future__ import annotations

import re

from retouch.planner.language import vocab


def _alt(words: set[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len)[::-1])


_POLITE = re.compile(rf"(?:^|(?<=[\s,]))(?:{vocab.POLITE})\b[,!.]?\s*")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_TYPO_INDEX: dict[str, str] = {}
for _kw in vocab.KEYWORDS:
    _TYPO_INDEX.setdefault(_kw, _kw)
    for _d in _deletions(_kw):
        _TYPO_INDEX.setdefault(_d, _kw)
_KNOWN = set(vocab.KEYWORDS) | vocab.PROTECTED
_WORD = re.compile(r"[a-z]{5,}")
_SHORT = re.compile(rf"\b(?:{_alt(set(vocab.COMMON_TYPOS))})(?![\w'])")


def _fix_typo(m: re.Match[str]) -> str:
    word = m.group(0)
    if word in _KNOWN:
        return word
    hit = _TYPO_INDEX.get(word)
    if hit is None:
        hit = next((_TYPO_INDEX[d] for d in _deletions(word) if d in _TYPO_INDEX), None)
    if hit is None or abs(len(hit) - len(word)) > 1 or hit[0] != word[0]:
        return word
    if word.startswith(hit) or hit.startswith(word):
        return word  # an inflection ("colours") or another word ("storm", "pixel")
    return hit


def clean(text: str) -> str:
    """Lower case, typographic quotes straightened, politeness dropped, typos fixed."""
    t = text.lower().replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = _WORD.sub(_fix_typo, t)
    t = _SHORT.sub(lambda m: vocab.COMMON_TYPOS[m.group(0)], t)
    t = _POLITE.sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip(" .,!?;:\"'")
    return t
