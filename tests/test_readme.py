"""The README stays true: two Quick start commands, and a section for every CLI command."""

from __future__ import annotations

import re
from pathlib import Path

from retouch.server.cli.app import get_app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _quick_start() -> list[str]:
    part = README.split("## Quick start", 1)[1]
    block = part.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands() -> None:
    cmds = _quick_start()
    assert len(cmds) == 2, cmds
    assert "retouch demo" in cmds[0] and "pytest" in cmds[1]


def test_every_command_has_a_readme_section() -> None:
    app = get_app()
    names = [c.name for c in app.registered_commands]
    headers = [line for line in README.splitlines() if line.startswith("### ")]
    for name in names:
        assert any(re.search(rf"\b{name}\b", h) for h in headers), f"no README section for {name}"


def test_ci_runs_the_quick_start() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "Quick start" in ci and "README.md" in ci
