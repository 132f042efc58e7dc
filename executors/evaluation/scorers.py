"""The scorers ``retouch compare`` runs, as a registry, and the loaded set it scores runs with.

``SCORERS`` lists one class per scorer (base.py's interface); adding a scorer is one module and
one entry here. ``prepare`` loads them all once; ``Scorers.reference`` reads a task's references
once; ``Scorers.score`` measures one run with every loaded scorer and keeps, per run, a note for
what could not be measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from retouch.executors.evaluation.base import Metric, Scorer, ScorerOptions, Skip
from retouch.executors.evaluation.identity import IdentityScorer
from retouch.executors.evaluation.identity_dlib import DlibIdentityScorer
from retouch.executors.evaluation.pose import PoseScorer
from retouch.executors.evaluation.scores import Direction

SCORERS: dict[str, type[Scorer]] = {
    "pose": PoseScorer,
    "identity": IdentityScorer,
    "identity-dlib": DlibIdentityScorer,
}
METRICS: dict[str, Metric] = {m.name: m for cls in SCORERS.values() for m in cls.metrics}
DIRECTIONS: dict[str, Direction] = {name: m.direction for name, m in METRICS.items()}
DEFINITIONS: dict[str, str] = {name: m.definition for name, m in METRICS.items()}


@dataclass
class Scorers:
    """The loaded scorers, the metrics skipped with why, and the notes of runs not scored."""

    loaded: list[Scorer]
    skipped: dict[str, Skip]
    notes: list[str] = field(default_factory=list)

    def reference(self, source: Any, control: Any | None) -> list[Any]:
        """Each loaded scorer's reference for one task (PIL source and control, or None)."""
        return [s.reference(source, control) for s in self.loaded]

    def score(
        self, task: str, arm: str, refs: list[Any], source: Any, result: Any
    ) -> list[tuple[str, float, Direction]]:
        """Every loaded scorer's values for one run (PIL source and result), with directions;
        a note "TASK / ARM: ..." for what a scorer could not measure."""
        out: list[tuple[str, float, Direction]] = []
        for scorer, ref in zip(self.loaded, refs, strict=True):
            got = scorer.score(ref, source, result)
            out += [(m, v, METRICS[m].direction) for m, v in got.values.items()]
            if got.note is not None:
                self.notes.append(f"{task} / {arm}: {got.note}")
        return out


def prepare(options: ScorerOptions) -> Scorers:
    """Load every scorer in ``SCORERS`` from ``options`` (each unset one from its environment
    variable). Raises InputError for a path that does not hold what it should."""
    options = options.with_env()
    loaded: list[Scorer] = []
    skipped: dict[str, Skip] = {}
    for cls in SCORERS.values():
        got = cls.load(options)
        if got.scorer is not None:
            loaded.append(got.scorer)
        skipped |= got.skipped
    return Scorers(loaded, skipped)
