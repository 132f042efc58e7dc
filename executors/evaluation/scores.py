"""Scores and their statistics: scores.csv rows, per-arm mean / std / n, and the winner rule.

A metric's direction says which way is better ("lower", "higher"); a metric with no direction
("none", e.g. a QA band) gets statistics but no winner. The winner rule: the best mean wins
unless its lead over the runner-up is smaller than the spread (the larger standard deviation of
the two), which is a tie.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from typing import Literal

Direction = Literal["lower", "higher", "none"]


@dataclass(frozen=True)
class Score:
    """One measured value: task, arm, metric, value (the metric's own unit)."""

    task: str
    arm: str
    metric: str
    value: float


@dataclass(frozen=True)
class Stat:
    """mean, standard deviation (sample; 0 for n = 1) and n of one arm on one metric."""

    mean: float
    std: float
    n: int


def to_csv(scores: list[Score]) -> str:
    """scores.csv: the header ``task,arm,metric,value`` and one row per score."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["task", "arm", "metric", "value"])
    for s in scores:
        w.writerow([s.task, s.arm, s.metric, f"{s.value:.6g}"])
    return buf.getvalue()


def stats(scores: list[Score]) -> dict[str, dict[str, Stat]]:
    """metric -> arm -> Stat, arms in the order they first appear."""
    groups: dict[str, dict[str, list[float]]] = {}
    for s in scores:
        groups.setdefault(s.metric, {}).setdefault(s.arm, []).append(s.value)
    return {
        metric: {
            arm: Stat(statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v))
            for arm, v in arms.items()
        }
        for metric, arms in groups.items()
    }


def winner(by_arm: dict[str, Stat], direction: Direction) -> str:
    """The arm that wins a metric, "tie (A, B)" when the lead is within the spread, or "-"."""
    if direction == "none" or len(by_arm) < 2:
        return "-"
    ranked = sorted(by_arm.items(), key=lambda kv: kv[1].mean, reverse=direction == "higher")
    (best, a), (second, b) = ranked[0], ranked[1]
    if abs(a.mean - b.mean) < max(a.std, b.std) or a.mean == b.mean:
        return f"tie ({best}, {second})"
    return best
