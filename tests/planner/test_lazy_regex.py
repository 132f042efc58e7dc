"""The language room's regexes compile on first use (planner/language/lazy_regex.py): same
matches as ``re.compile``, nothing compiled at import, and every pattern still compiles."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from retouch.planner.language import intent, sizes
from retouch.planner.language.lazy_regex import LazyRegex

TEXTS = ["remove the red car, and its shadow", "make the sky BLUER", "extend to 16:9", ""]


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [(r"\b(red|blue)\s+(\w+)", 0), (r"\s*[,;]\s*", 0), (r"BLUE|sky", re.IGNORECASE), (r"^$", 0)],
)
def test_a_lazy_regex_matches_as_the_compiled_pattern(pattern: str, flags: int) -> None:
    lazy, rx = LazyRegex(pattern, flags), re.compile(pattern, flags)
    for text in TEXTS:
        for method in ("match", "search"):
            got, want = getattr(lazy, method)(text), getattr(rx, method)(text)
            assert (got and got.span(), got and got.groups()) == (
                want and want.span(),
                want and want.groups(),
            )
        assert lazy.sub("_", text) == rx.sub("_", text)
        assert lazy.sub(lambda m: m.group(0).upper(), text) == rx.sub(
            lambda m: m.group(0).upper(), text
        )
        assert lazy.split(text) == rx.split(text)
        assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in rx.finditer(text)]
    assert lazy.compiled is lazy.compiled  # compiled once, then kept


def _lazy_in(module: object) -> list[LazyRegex]:
    found = []
    for value in vars(module).values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            found += [p for p in parts if isinstance(p, LazyRegex)]
    return found


def test_the_intent_and_size_patterns_are_lazy_and_every_one_compiles() -> None:
    """A pattern with a syntax error fails here, not on the first request that reaches it."""
    patterns = _lazy_in(intent) + _lazy_in(sizes)
    assert len(patterns) >= 40
    for lazy in patterns:
        assert isinstance(lazy.compiled, re.Pattern), lazy.pattern[:60]


def test_importing_the_language_room_compiles_none_of_its_patterns() -> None:
    code = (
        "from retouch.planner.language import intent, sizes\n"
        "from retouch.planner.language.lazy_regex import LazyRegex\n"
        "rows = [v for m in (intent, sizes) for v in vars(m).values()]\n"
        "flat = [p for v in rows for p in (v if isinstance(v, list) else [v])]\n"
        "flat = [q for p in flat for q in (p if isinstance(p, tuple) else (p,))]\n"
        "lazy = [p for p in flat if isinstance(p, LazyRegex)]\n"
        "print(len(lazy), sum(p._compiled is not None for p in lazy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    total, compiled = map(int, out.stdout.split())
    assert total >= 40 and compiled == 0
