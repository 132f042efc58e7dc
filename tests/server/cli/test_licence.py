"""``retouch plan --licence open``: non-commercial weights are skipped and the plan says the licence."""

from __future__ import annotations

import json
from pathlib import Path

from retouch.server.cli.app import get_app
from typer.testing import CliRunner


def _plan(image: Path, out: Path, *extra: str) -> dict:
    args = ["plan", str(image), "make it sunset", "--priority", "quality"]
    r = CliRunner().invoke(get_app(), [*args, "--hardware", "gpu-80gb", "--out", str(out), *extra])
    assert r.exit_code == 0, r.output
    return json.loads((out / "plan.json").read_text())


def test_licence_open_reaches_the_plan(astronaut_path: Path, tmp_path: Path) -> None:
    plan = _plan(astronaut_path, tmp_path / "open", "--licence", "open")
    assert plan["request"]["preferences"]["licence"] == "open"
    assert plan["model"]["commercial_use"] is True and plan["model"]["licence"] == "Apache-2.0"
    assert "flux-kontext" not in plan["model"]["alternates"]
    default = _plan(astronaut_path, tmp_path / "any")
    assert "flux-kontext" in default["model"]["alternates"]
    bad = CliRunner().invoke(get_app(), ["plan", str(astronaut_path), "x", "--licence", "free"])
    assert bad.exit_code != 0
