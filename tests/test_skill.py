"""The shipped Agent Skill is valid per the format's reference validator (skills-ref)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

SKILLS = Path(__file__).resolve().parents[1] / "skills"


def test_every_skill_validates() -> None:
    exe = shutil.which("agentskills") or str(Path(sys.executable).parent / "agentskills")
    folders = [p for p in SKILLS.iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        out = subprocess.run([exe, "validate", str(folder)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_frontmatter_rules() -> None:
    for skill in SKILLS.glob("*/SKILL.md"):
        text = skill.read_text()
        front = yaml.safe_load(text.split("---")[1])
        name = front["name"]
        assert name == skill.parent.name and len(name) <= 64
        assert all(c.islower() or c.isdigit() or c == "-" for c in name) and "--" not in name
        assert len(front["description"]) <= 1024
