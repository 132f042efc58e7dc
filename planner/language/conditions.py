"""How a table's condition holds against facts: each key names a fact and gives the value it must
have, or a list of values it may have. One matcher for the intent table (planner/language/intent.py)
and the rule table (planner/rules.py, matched in planner/context.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping


def holds(cond: Mapping[str, object], fact: Callable[[str], object]) -> bool:
    """Whether every key of ``cond`` holds: ``fact(key)`` equals its value, or is one of a list."""
    for key, want in cond.items():
        have = fact(key)
        if isinstance(want, list):
            if have not in want:
                return False
        elif have != want:
            return False
    return True
