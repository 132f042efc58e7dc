"""`retouch compare` through the CLI runner: two tiny SD-inpaint arms on two tasks (scores.csv,
report.md, sheet.png; the same seed per task across arms), the tie rule, bad arms files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from typer.testing import CliRunner

from server.cli.app import get_app
from server.cli.batch import THUMB_PX
from server.cli.scores import NOT_SCORED, Stat, winner
from tests.executors.exec_support import tiny_dirs

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


def write_tasks(tmp: Path) -> Path:
    """Two 64 px photos with a large mask each, as TASKS.jsonl (relative paths, one named)."""
    m = np.zeros((64, 64), dtype=np.uint8)
    m[8:56, 8:56] = 255  # large: no crop, the tiny model runs whole 64 px frames
    Image.fromarray(m).save(tmp / "mask.png")
    lines = []
    for name in ("astronaut", "coffee"):
        img = Image.fromarray(getattr(skimage.data, name)()).convert("RGB").resize((64, 64))
        img.save(tmp / f"{name}.png")
        lines.append({"image": f"{name}.png", "mask": "mask.png", "edit": "remove the sign"})
    lines[0]["name"] = "face-1"
    (tmp / "tasks.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return tmp / "tasks.jsonl"


def test_compare_two_tiny_arms(tmp_path: Path) -> None:
    tasks = write_tasks(tmp_path)
    model = str(tiny_dirs()["inpaint"])
    arms = [
        {
            "name": name,
            "executor": "diffusers",
            "model": model,
            "overrides": [{"field": "steps", "op": "set", "value": steps}],
        }
        for name, steps in (("two-steps", 2), ("three-steps", 3))
    ]
    (tmp_path / "arms.json").write_text(json.dumps(arms))
    out = tmp_path / "out"
    r = invoke("compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(out))
    assert r.exit_code == 0, r.output
    with (out / "scores.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"task", "arm", "metric", "value"}
    assert {r["task"] for r in rows} == {"face-1", "case-002"}
    assert {r["arm"] for r in rows} == {"two-steps", "three-steps"}
    metrics = {r["metric"] for r in rows}
    assert {"outside-unchanged", "seconds"} <= metrics
    assert not metrics & set(NOT_SCORED)  # never faked
    for task in ("face-1", "case-002"):
        provs = [
            json.loads((out / task / arm / "provenance.json").read_text())
            for arm in ("two-steps", "three-steps")
        ]
        assert provs[0]["seed"] == provs[1]["seed"]  # the same seed per task across arms
        assert [p["steps"] for p in provs] == [2, 3]
    text = (out / "report.md").read_text()
    assert "## seconds (lower is better)" in text and "| two-steps |" in text
    assert "winner:" in text and "## Not scored" in text
    assert "- two-steps: diffusers " in text  # what ran, first
    assert all(f"- {m}: skipped" in text for m in NOT_SCORED)
    with Image.open(out / "sheet.png") as sheet:
        assert sheet.size == (3 * (THUMB_PX + 4), 2 * (THUMB_PX + 4))


def test_the_tie_rule() -> None:
    a, b = Stat(1.0, 0.5, 5), Stat(1.2, 0.1, 5)
    assert winner({"a": a, "b": b}, "lower") == "tie (a, b)"  # 0.2 apart, spread 0.5
    assert winner({"a": Stat(1.0, 0.05, 5), "b": b}, "lower") == "a"
    assert winner({"a": a, "b": Stat(3.0, 0.1, 5)}, "higher") == "b"
    assert winner({"a": a, "b": b}, "none") == "-"


@pytest.mark.parametrize(
    ("arms", "words"),
    [
        ("[]", "one or more arms"),
        ('[{"name": "a"}, {"name": "a"}]', "distinct names"),
        ('[{"name": "a", "colour": 1}]', "colour"),
    ],
)
def test_bad_arms_are_one_line(tmp_path: Path, arms: str, words: str) -> None:
    tasks = write_tasks(tmp_path)
    (tmp_path / "arms.json").write_text(arms)
    r = invoke(
        "compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(tmp_path / "o")
    )
    assert r.exit_code == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.output


def test_a_bad_line_and_a_failed_run_are_reported(tmp_path: Path) -> None:
    tasks = write_tasks(tmp_path)
    with tasks.open("a") as f:
        f.write("{not json\n")
        f.write(
            json.dumps({"image": "astronaut.png", "edit": "add a dragon", "name": "gen"}) + "\n"
        )
    (tmp_path / "arms.json").write_text('[{"name": "fill", "executor": "classical"}]')
    out = tmp_path / "out"
    r = invoke("compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(out))
    assert r.exit_code == 2, r.output
    assert f"{tasks}:3: not JSON" in r.stderr and "error: gen / fill: " in r.stderr
    text = (out / "report.md").read_text()
    assert "## Runs that failed" in text and "gen / fill" in text
    with (out / "scores.csv").open() as f:
        assert {row["task"] for row in csv.DictReader(f)} == {"face-1", "case-002"}
