"""`retouch toy` through the CLI runner: the table, --json, the report and plot, bad options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[3]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("toy")
    r = invoke("toy", "--json", "--out", str(out))
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout), out  # the whole stdout is one JSON object


def test_json_prints_one_object_with_the_documented_keys(json_run: tuple[dict, Path]) -> None:
    data, _ = json_run
    assert set(data) == {"cluster_accuracy", "sweep", "repaint"}
    assert set(data["cluster_accuracy"]) == {"naive", "repaint", "unconditional"}
    assert [row["masked_fraction"] for row in data["sweep"]] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert all(
        set(row) == {"masked_fraction", "naive_residual", "unconditional_residual"}
        for row in data["sweep"]
    )
    assert set(data["repaint"]) == {"naive_boundary_residual", "repaint_boundary_residual"}
    assert data["cluster_accuracy"]["naive"] >= 0.9


def test_report_and_plot_are_written(json_run: tuple[dict, Path]) -> None:
    data, out = json_run
    doc = (out / "toy-report.md").read_text(encoding="utf-8")
    for row in data["sweep"]:
        line = (
            f"| {row['masked_fraction']:.1f} | {row['naive_residual']:.3f} | "
            f"{row['unconditional_residual']:.3f} |"
        )
        assert line in doc
    assert "Seed 0;" in doc and "![residual" in doc and "(toy-sweep.png)" in doc
    rp = data["repaint"]
    assert (
        f"| boundary residual | {rp['naive_boundary_residual']:.3f} | "
        f"{rp['repaint_boundary_residual']:.3f} |" in doc
    )
    with Image.open(out / "toy-sweep.png") as png:
        assert png.format == "PNG" and png.size == (550, 360)
    assert sorted(p.name for p in out.iterdir()) == ["toy-report.md", "toy-sweep.png"]  # no temps


def test_table_run_prints_the_same_numbers(json_run: tuple[dict, Path], tmp_path: Path) -> None:
    data, _ = json_run
    r = invoke("toy", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "| masked fraction | naive residual | unconditional residual |"
    first = data["sweep"][0]
    assert (
        f"| 0.2 | {first['naive_residual']:.3f} | {first['unconditional_residual']:.3f} |" in lines
    )
    acc = data["cluster_accuracy"]
    assert any(
        line.startswith("cluster accuracy") and f"naive {acc['naive']:.1%}" in line
        for line in lines
    )
    assert any(line.startswith("RePaint (jump back 5 every 10 steps) ") for line in lines)
    assert any(line.startswith("inpainting ") for line in lines)
    assert lines[-1] == f"wrote {tmp_path / 'toy-report.md'} and {tmp_path / 'toy-sweep.png'}"


def test_negative_seed_is_a_usage_error() -> None:
    r = invoke("toy", "--seed", "-1")
    assert r.exit_code == 2 and "Invalid value for '--seed'" in r.output


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    r = invoke("toy", "--out", str(blocker))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: cannot create output folder {blocker}")
    assert r.stderr.count("\n") == 1


def test_command_module_imports_without_torch() -> None:
    code = "import sys, retouch.server.cli.toy; print('torch' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False"
