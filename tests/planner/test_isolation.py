"""The planner and `retouch plan` must load neither torch nor diffusers (nor OpenCV), nor the MCP
SDK or scipy: `retouch plan` is a front door that should start in well under a second."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "diffusers", "transformers", "cv2", "segment_anything", "mcp", "scipy")


def _loaded_after(code: str, cwd: Path, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    probe = (
        code
        + f"\nimport sys\nprint('LOADED=' + ','.join(m for m in {heavy!r} if m in sys.modules))"
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


def _plan_with_a_mask(tmp_path: Path, astronaut_path: Path) -> str:
    """`retouch plan` of a removal with a mask (the common request), as code to run."""
    import numpy as np
    from PIL import Image

    mask = np.zeros((512, 512), dtype=np.uint8)
    mask[0:292, 344:474] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return (
        "from retouch.server.cli.app import main\n"
        "try:\n"
        f"    main(['plan', {str(astronaut_path)!r}, 'remove the shuttle', '--mask', 'mask.png',"
        " '--out', 'o'])\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
    )


def test_retouch_plan_with_a_mask_is_light(tmp_path: Path, astronaut_path: Path) -> None:
    """Planned for this machine (its hardware, what would run here): no MCP SDK, no torch."""
    code = _plan_with_a_mask(tmp_path, astronaut_path)
    assert _loaded_after(code, tmp_path, tuple(m for m in HEAVY if m != "scipy")) == []
    assert (tmp_path / "o" / "plan.json").is_file()


def test_retouch_plan_with_a_mask_loads_no_scipy(tmp_path: Path, astronaut_path: Path) -> None:
    assert _loaded_after(_plan_with_a_mask(tmp_path, astronaut_path), tmp_path) == []
