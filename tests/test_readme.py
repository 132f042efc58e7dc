"""The README stays true: two Quick start commands (CI runs them); and every CLI command has a
section in the hand-written docs pages (the README links to them; docs/cli.md is only --help)."""

from __future__ import annotations

import re
from pathlib import Path

from retouch.server.cli.app import get_app

from tests import gen_docs

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def _quick_start() -> list[str]:
    part = README.split("## Quick start", 1)[1]
    block = part.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands() -> None:
    cmds = _quick_start()
    assert len(cmds) == 2, cmds
    assert "retouch demo" in cmds[0] and "pytest" in cmds[1]


def test_every_command_has_a_docs_section() -> None:
    app = get_app()
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    headers = [
        line
        for page in sorted(DOCS.glob("*.md"))
        if page.name not in gen_docs.PAGES  # generated pages hold --help, not prose
        for line in page.read_text().splitlines()
        if line.startswith(("## ", "### "))
    ]
    for name in names:
        assert any(re.search(rf"`retouch [^`]*\b{name}\b", h) for h in headers), (
            f"no docs section for retouch {name}: add a '## `retouch {name}`' section to the "
            "docs/ page of its topic"
        )


def test_ci_runs_the_quick_start() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "Quick start" in ci and "README.md" in ci


def test_the_readme_keeps_the_measured_install_sizes() -> None:
    """Issue 29, item 6: both installs measured (size on disk, time) in the README itself."""
    measured = re.findall(r"(\d[\d.]*) ([MG]B)(?: on disk)?(?: \([^)]*\))? in (\d+) s", README)
    assert len(measured) >= 2, "the README lost the measured install sizes and times"
