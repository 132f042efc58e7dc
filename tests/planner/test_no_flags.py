"""No message in planner/ or executors/ names a CLI flag (issue 25, item 3): a fix is a Hint beside
the message (planner/contract/hints.py), and each front words it. Scans every string literal that is not a
docstring; the few that are commands by design are listed with the reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAG = re.compile(r"(?<![\w-])--[a-z]")
# file -> why its flags are not advice: each is a command line for another program, or the skill
# doc's own `retouch edit` command (a document for a shell, rendered from the plan)
ALLOWED = {
    "planner/render.py": "builds the skill doc's retouch edit command line",
    "executors/hardware.py": "nvidia-smi's arguments",
    "executors/classical/exemplar.py": "a pip command for the machine's operator",
    "executors/qa/pose.py": "an hf download command (compare's pose model, CLI only)",
}


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            docs.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def _sources() -> list[Path]:
    return sorted(p for d in ("planner", "executors") for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_message_names_a_flag(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    found = [f"{rel}:{n}: {s[:80]!r}" for n, s in _literals(path) if FLAG.search(s)]
    if rel not in ALLOWED:
        assert not found, "\n".join(found)


def test_the_scan_sees_a_flag(tmp_path: Path) -> None:
    """The check itself: a flag in a message string is found, one in a docstring is not."""
    probe = tmp_path / "probe.py"
    probe.write_text('"""Docs may say --mask."""\nx = "give --mask MASK.png"\n', encoding="utf-8")
    assert [s for _, s in _literals(probe) if FLAG.search(s)] == ["give --mask MASK.png"]
