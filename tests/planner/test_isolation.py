"""The planner and `retouch plan` must load neither torch nor diffusers (nor OpenCV)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "diffusers", "transformers", "cv2", "segment_anything")


def _loaded_after(code: str, cwd: Path) -> list[str]:
    probe = (
        code
        + f"\nimport sys\nprint('LOADED=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("LOADED="))
    return [m for m in line.removeprefix("LOADED=").split(",") if m]


def test_import_planner_is_light(tmp_path: Path) -> None:
    assert (
        _loaded_after(
            "import retouch.planner, retouch.planner.render, retouch.planner.rules", tmp_path
        )
        == []
    )


def test_retouch_plan_is_light(tmp_path: Path, astronaut_path: Path) -> None:
    code = (
        "from retouch.server.cli.app import main\n"
        "try:\n"
        f"    main(['plan', {str(astronaut_path)!r}, 'make it sunset', '--out', 'o'])\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
    )
    assert _loaded_after(code, tmp_path) == []
    assert (tmp_path / "o" / "plan.json").is_file()
