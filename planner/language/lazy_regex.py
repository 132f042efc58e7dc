"""A regex compiled the first time it is used.

The intent tables hold ~50 patterns, three of them ~5,000-character word alternations; compiling
them all at import costs ~20 ms of every ``retouch plan`` process (and of a server's first
plan_edit), while one edit text meets a handful (``FORMS`` is read top to bottom and stops at the
first match). ``LazyRegex(pattern)`` stands where ``re.compile(pattern)`` stood: the same pattern
text, compiled by ``re.compile`` on first use, so what matches is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


class LazyRegex:
    """``re.compile(pattern, flags)`` on first use; the methods the language room calls
    (``match``, ``search``, ``sub``, ``split``, ``finditer``) are the compiled pattern's.
    Thread-safe: two threads compiling at once compile the same pattern; either result is kept."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        rx = self._compiled
        if rx is None:
            rx = self._compiled = re.compile(self.pattern, self.flags)
        return rx

    def match(self, text: str) -> re.Match[str] | None:
        return self.compiled.match(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.compiled.sub(repl, text)

    def split(self, text: str) -> list[str]:
        return self.compiled.split(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def __repr__(self) -> str:
        state = "compiled" if self._compiled is not None else "not compiled yet"
        return f"LazyRegex({self.pattern[:40]!r}..., {state})"
