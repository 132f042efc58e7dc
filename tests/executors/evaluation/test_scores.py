"""Scores, statistics and report.md on known values: mean / sample std / n, the tie rule, the
CSV rows, and what the report lists (directions, definitions, skipped metrics, failed runs)."""

from __future__ import annotations

import csv
import io

import pytest
from retouch.executors.evaluation.report import report
from retouch.executors.evaluation.scores import Score, Stat, stats, to_csv, winner


def test_stats_per_metric_and_arm() -> None:
    scores = [Score("t1", "a", "m", 1.0), Score("t2", "a", "m", 3.0), Score("t1", "b", "m", 5.0)]
    got = stats(scores)
    assert got["m"]["a"] == Stat(2.0, pytest.approx(2**0.5), 2)  # sample std of 1, 3
    assert got["m"]["b"] == Stat(5.0, 0.0, 1)  # n = 1: no spread
    assert list(got["m"]) == ["a", "b"]


def test_the_tie_rule() -> None:
    a, b = Stat(1.0, 0.5, 5), Stat(1.2, 0.1, 5)
    assert winner({"a": a, "b": b}, "lower") == "tie (a, b)"  # 0.2 apart, spread 0.5
    assert winner({"a": Stat(1.0, 0.05, 5), "b": b}, "lower") == "a"
    assert winner({"a": a, "b": Stat(3.0, 0.1, 5)}, "higher") == "b"
    assert winner({"a": a, "b": b}, "none") == "-"
    assert winner({"a": a}, "lower") == "-"  # one arm: nothing to win
    assert winner({"a": Stat(1.0, 0, 1), "b": Stat(1.0, 0, 1)}, "higher") == "tie (a, b)"


def test_csv_rows() -> None:
    text = to_csv([Score("t", "a", "seconds", 1.23456789), Score("t, 2", "b", "m", 2.0)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["task", "arm", "metric", "value"], ["t", "a", "seconds", "1.23457"],
                    ["t, 2", "b", "m", "2"]]  # fmt: skip


def test_report_lists_every_part() -> None:
    scores = [Score("t", arm, "seconds", v) for arm, v in (("a", 1.0), ("b", 2.0))]
    scores.append(Score("t", "a", "band", 0.5))
    text = report(
        "T",
        scores,
        {"seconds": "lower"},
        ["t / c: no model"],
        {"a": ["diffusers x"], "b": ["classical"]},
        {"identity-cosine": "no model given"},
        ["t / a: pose not scored: no person"],
        {"seconds": "wall time of one run, s"},
    )
    assert text.startswith("# T\n\n## What ran\n\n- a: diffusers x\n- b: classical\n")
    seconds = text.split("## seconds (lower is better)")[1].split("## ")[0]
    assert "wall time of one run, s" in seconds and "| a | 1 | 0 | 1 |" in seconds
    assert "winner: a" in seconds
    band = text.split("## band (no direction)")[1].split("## ")[0]
    assert "winner: -" in band
    assert "- identity-cosine: skipped — no model given" in text
    assert "- t / a: pose not scored: no person" in text
    assert text.endswith("## Runs that failed\n\n- t / c: no model\n")


def test_report_without_skips_or_failures_has_no_such_sections() -> None:
    text = report("T", [Score("t", "a", "m", 1.0)], {}, [], {"a": ["x"]})
    assert "Not scored" not in text and "Runs that failed" not in text
