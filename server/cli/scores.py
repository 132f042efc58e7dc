"""The scores of ``retouch compare``: scores.csv rows, and report.md's per-arm statistics and winners.

A metric's direction comes from its QA item (``passes_when`` "<=": lower is better, ">=": higher);
a metric with no direction (a band, "==") gets statistics but no winner. A metric that could not
be measured is listed under "Not scored" with the reason, never given a stand-in value. The winner
rule: the best mean wins unless its lead over the runner-up is smaller than the spread (the larger
standard deviation of the two), which is a tie.
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
    """metric -> arm -> Stat."""
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


def report(
    title: str,
    scores: list[Score],
    directions: dict[str, Direction],
    failures: list[str],
    ran: dict[str, list[str]],
    skipped: dict[str, str] | None = None,
    notes: list[str] | None = None,
    definitions: dict[str, str] | None = None,
) -> str:
    """report.md: what each arm ran, a table per metric (arm, mean, std, n) with its definition
    and winner, the metrics skipped (metric -> why) and runs not scored (``notes``), which runs
    failed."""
    lines = [f"# {title}", "", "## What ran", ""]
    lines += [f"- {arm}: {' | '.join(what)}" for arm, what in ran.items()]
    lines.append("")
    lines.append(
        "Winner: the best mean, unless its lead is smaller than the spread (the larger standard "
        "deviation of the two best arms), which is a tie."
    )
    for metric, by_arm in sorted(stats(scores).items()):
        d = directions.get(metric, "none")
        better = {"lower": "lower is better", "higher": "higher is better"}.get(d, "no direction")
        lines += [
            "",
            f"## {metric} ({better})",
            "",
            *([(definitions or {})[metric], ""] if metric in (definitions or {}) else []),
            "| arm | mean | std | n |",
            "|---|---|---|---|",
        ]
        for arm, s in by_arm.items():
            lines.append(f"| {arm} | {s.mean:.4g} | {s.std:.4g} | {s.n} |")
        lines += ["", f"winner: {winner(by_arm, d)}"]
    if skipped or notes:
        lines += ["", "## Not scored", ""]
        lines += [f"- {metric}: skipped — {why}" for metric, why in (skipped or {}).items()]
        lines += [f"- {note}" for note in notes or []]
    if failures:
        lines += ["", "## Runs that failed", ""]
        lines += [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"
