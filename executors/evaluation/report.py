"""report.md of a comparison: what each arm ran, a table per metric with its definition and
winner, the metrics not scored with why, and the runs that failed.

A metric that could not be measured is listed under "Not scored" with the reason, never given a
stand-in value.
"""

from __future__ import annotations

from retouch.executors.evaluation.scores import Direction, Score, stats, winner

BETTER = {"lower": "lower is better", "higher": "higher is better"}
RULE = (
    "Winner: the best mean, unless its lead is smaller than the spread (the larger standard "
    "deviation of the two best arms), which is a tie."
)


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
    """report.md (Markdown): what each arm ran (arm -> lines), a table per metric (arm, mean, std,
    n) with its definition and winner, the metrics skipped (metric -> why), runs not scored
    (``notes``), which runs failed."""
    lines = [f"# {title}", "", "## What ran", ""]
    lines += [f"- {arm}: {' | '.join(what)}" for arm, what in ran.items()]
    lines += ["", RULE]
    for metric, by_arm in sorted(stats(scores).items()):
        d = directions.get(metric, "none")
        definition = (definitions or {}).get(metric)
        lines += [
            "",
            f"## {metric} ({BETTER.get(d, 'no direction')})",
            "",
            *([definition, ""] if definition else []),
            "| arm | mean | std | n |",
            "|---|---|---|---|",
        ]
        lines += [f"| {arm} | {s.mean:.4g} | {s.std:.4g} | {s.n} |" for arm, s in by_arm.items()]
        lines += ["", f"winner: {winner(by_arm, d)}"]
    if skipped or notes:
        lines += ["", "## Not scored", ""]
        lines += [f"- {metric}: skipped — {why}" for metric, why in (skipped or {}).items()]
        lines += [f"- {note}" for note in notes or []]
    if failures:
        lines += ["", "## Runs that failed", ""]
        lines += [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"
