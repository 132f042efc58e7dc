"""Hints in the command line's words: each setting a fix names (planner/contract/hints.py) as its flag.

    flag(Hint(setting="mask"))                      --mask MASK.png
    flag(Hint(setting="hardware", value="cpu"))     --hardware cpu
    flag(Hint(setting="mask", drop=True))           drop --mask
    flag(Hint(setting="points", value="0"))         --point X,Y:0   (a point's value is its label)
    with_hints("give a mask file", [Hint(setting="mask")])   give a mask file (--mask MASK.png)

``error_line`` is what ``error: ...`` prints for a RetouchError; ``fix_line`` a degraded entry's fix.
"""

from __future__ import annotations

from collections.abc import Iterable

from retouch.planner.contract.hints import Hint
from retouch.planner.contract.readiness import Degradation

# setting -> (flag, placeholder shown when the hint has no value; "" for a switch)
FLAGS: dict[str, tuple[str, str]] = {
    "mask": ("--mask", "MASK.png"),
    "points": ("--point", "X,Y"),
    "box": ("--box", "X0,Y0,X1,Y1"),
    "text": ("--text", "WORDS"),
    "instance": ("--instance", "N"),
    "scene": ("--scene", "CAPTION"),
    "extend": ("--extend", "LEFT,TOP,RIGHT,BOTTOM"),
    "control": ("--control", "POSE.png"),
    "reference": ("--reference", "IMG"),
    "model": ("--model", "DIR"),
    "executor": ("--executor", "auto"),
    "steps": ("--steps", "N"),
    "seed": ("--seed", "S"),
    "hardware": ("--hardware", "CLASS"),
    "priority": ("--priority", "quality"),
    "sam_checkpoint": ("--sam", "PATH"),
    "sam_type": ("--sam-type", "TYPE"),
    "allow_download": ("--allow-download", ""),
    "device": ("--device", "cpu"),
    "max_retries": ("--max-retries", "N"),
    "session": ("--session", "NAME"),
    "root": ("--root", "DIR"),
    "out": ("--out", "DIR"),
}


def flag(h: Hint) -> str:
    """The hint as a user types it: the flag and its value (or placeholder)."""
    if h.setting == "plan":
        return "`retouch plan` again"
    name, placeholder = FLAGS[h.setting]
    if h.drop:
        return f"drop {name}"
    value = h.value if h.value is not None else placeholder
    if h.setting == "points" and h.value is not None:  # a point's value is its label: 1 or 0
        value = f"{placeholder}:{h.value}"
    return f"{name} {value}".rstrip()


def with_hints(text: str, hints: Iterable[Hint]) -> str:
    """``text`` followed by its hints as flags in parentheses (``text`` alone without hints)."""
    flags = list(dict.fromkeys(flag(h) for h in hints))
    return f"{text} ({'; '.join(flags)})" if flags else text


def error_line(exc: BaseException) -> str:
    """A RetouchError's message and the flags that fix it (any other error: its text)."""
    return with_hints(str(exc), getattr(exc, "hints", ()))


def fix_line(d: Degradation) -> str:
    """A degraded entry's fix with its flags."""
    return with_hints(d.fix, d.hints)
