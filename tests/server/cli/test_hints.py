"""The CLI renders every hint setting as its flag (server/cli/hints.py), and its error line
carries the flags of a real error's hints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer.main
from PIL import Image
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import SETTINGS, Hint, hint
from retouch.planner.contract.readiness import Degradation
from retouch.server.cli.app import get_app
from retouch.server.cli.hints import FLAGS, error_line, fix_line, flag, with_hints
from typer.testing import CliRunner


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_is_a_flag_the_cli_has(setting: str) -> None:
    said = flag(Hint(setting=setting))  # type: ignore[arg-type]
    if setting == "plan":
        assert said == "`retouch plan` again"
        return
    name = FLAGS[setting][0]
    assert said.startswith(name) and name.startswith("--")
    # the flag exists on some command: typer knows it
    group = typer.main.get_command(get_app())
    known = {
        opt
        for cmd in group.commands.values()  # type: ignore[attr-defined]
        for sub in getattr(cmd, "commands", {cmd.name: cmd}).values()
        for param in sub.params
        for opt in param.opts
    }
    assert name in known, f"{name} is not an option of any retouch command"


def test_values_drops_and_labels() -> None:
    assert flag(hint("hardware", "cpu")) == "--hardware cpu"
    assert flag(hint("steps", 40)) == "--steps 40"
    assert flag(hint("mask")) == "--mask MASK.png"
    assert flag(hint("mask", drop=True)) == "drop --mask"
    assert flag(hint("points", "0")) == "--point X,Y:0"
    assert flag(hint("allow_download")) == "--allow-download"
    assert with_hints("say", []) == "say"
    assert with_hints("say", [hint("mask"), hint("mask"), hint("box")]) == (
        "say (--mask MASK.png; --box X0,Y0,X1,Y1)"
    )


def test_error_and_fix_lines() -> None:
    err = InputError("the mask is empty; give none", [hint("mask", drop=True)])
    assert error_line(err) == "the mask is empty; give none (drop --mask)"
    assert error_line(ValueError("plain")) == "plain"
    d = Degradation(
        what="hardware", planned="gpu", used="cpu", why="no GPU", fix="plan for the CPU",
        hints=[hint("hardware", "cpu")],
    )  # fmt: skip
    assert fix_line(d) == "plan for the CPU (--hardware cpu)"


def test_a_command_prints_the_flags_of_its_errors_hints(
    tmp_path: Path, astronaut_path: Path
) -> None:
    black = tmp_path / "black.png"
    Image.fromarray(np.zeros(Image.open(astronaut_path).size[::-1], np.uint8), "L").save(black)
    r = CliRunner().invoke(
        get_app(),
        [
            "plan",
            str(astronaut_path),
            "remove it",
            "--mask",
            str(black),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert r.exit_code == 2
    line = r.stderr.strip()
    assert line.startswith("error: mask ") and line.endswith("for a whole-image edit (drop --mask)")
