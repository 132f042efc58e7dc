"""Which rule chose the plan's family, and the published scores it is cited with.

A plan cites the chosen weights' GEdit-Bench-EN / ImgEdit scores (planner/catalog/scores.py) only
when the rule that decided the family list picks by published quality (``QUALITY_RULES``); a later
rule that replaced the list (a reference image, a spatial edit) or a weight-free executor means
the family was not chosen by quality, and the plan says nothing about scores.
"""

from __future__ import annotations

from typing import Any

from retouch.planner.catalog.scores import QUALITY_RULES, scores_for
from retouch.planner.contract.schema import CitedScore, RuleHit
from retouch.planner.rules import ADJUST_RULES, TASK_RULES

_BY = {"authors": "the authors", "third party": "a third party"}
_FAMILY_RULES = frozenset(r.id for r in (*TASK_RULES, *ADJUST_RULES) if r.then.families)


def family_rule(hits: list[RuleHit]) -> str | None:
    """The id of the last fired rule that set the family list (the one the family came from)."""
    return next((h.id for h in reversed(hits) if h.id in _FAMILY_RULES), None)


def cite(
    family: str, weights: str, hits: list[RuleHit], decisions: dict[str, Any]
) -> tuple[str | None, list[CitedScore]]:
    """(quality rule, its scores) for the chosen ``family`` run with ``weights``, or (None, [])
    when the family was not chosen by quality."""
    rule = family_rule(hits)
    if rule not in QUALITY_RULES or decisions.get("executor") == "classical":
        return None, []
    return rule, [
        CitedScore(
            bench=s.bench,
            value=s.value,
            weights=s.weights or weights,
            source=s.source_title,
            url=s.source_url,
            note=f"reported by {_BY[s.reported_by]}, {s.note}",
        )
        for s in scores_for(family, weights)
    ]
