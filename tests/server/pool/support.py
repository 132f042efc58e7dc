"""Shared helpers for the pool tests and benchmark (not a test module).

Ray must only ever talk to loopback: ``loopback_only()`` says whether this process is in a network
namespace whose only interface is ``lo``, and ``in_loopback_namespace(cmd)`` runs a command in a
fresh one (``unshare -n``, as root). Tests that start Ray call ``skip_unless_ray_may_run()``.

The edits' inputs and the MCP server in front of a pool, shared by the modules (their ``work`` and
``pool`` fixtures are in conftest.py):

    write_photo_and_mask(folder, astronaut, box)   # photo.png (64 px) and mask.png
    serve_params(address, work, *more)              # `retouch serve --pool ADDRESS --root WORK`
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mcp import StdioServerParameters
    from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
NETNS_ENV = "RETOUCH_LOOPBACK_NETNS"


def have_ray() -> bool:
    return importlib.util.find_spec("ray") is not None


def loopback_only() -> bool:
    """True when this process's network namespace has no interface but ``lo``."""
    lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    return [line.split(":", 1)[0].strip() for line in lines] == ["lo"]


def skip_unless_ray_may_run() -> None:
    """Skip the calling test module unless the ray extra is installed and ``loopback_only()``."""
    if not have_ray():
        pytest.skip(
            "the pool tests need the ray extra: pip install -e '.[ray]'", allow_module_level=True
        )
    if not loopback_only():
        pytest.skip(
            "Ray may only run in a loopback-only network namespace; test_netns.py runs this "
            "module in one (unshare -n, as root)",
            allow_module_level=True,
        )


def in_loopback_namespace(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` from the repo root in a new network namespace with only loopback, up."""
    script = f"ip link set lo up && export {NETNS_ENV}=1 && exec {shlex.join(cmd)}"
    return subprocess.run(
        ["unshare", "-n", "--", "sh", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_photo_and_mask(
    folder: Path, astronaut: Image.Image, box: tuple[int, int, int, int] = (24, 8, 56, 40)
) -> None:
    """``folder/photo.png``: the astronaut at 64 x 64; ``folder/mask.png``: L, 255 inside ``box``
    (XYXY px), 0 elsewhere."""
    import numpy as np
    from PIL import Image

    astronaut.resize((64, 64)).save(folder / "photo.png")
    mask = np.zeros((64, 64), dtype=np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255
    Image.fromarray(mask, "L").save(folder / "mask.png")


def serve_params(address: str, work: Path, *more: str) -> StdioServerParameters:
    """``retouch serve --pool ADDRESS --root WORK`` and ``more`` arguments, as a stdio MCP server
    run from ``work`` with this checkout on its path."""
    from mcp import StdioServerParameters

    args = ["-m", "retouch.server.cli", "serve", "--pool", address, "--root", str(work), *more]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return StdioServerParameters(command=sys.executable, args=args, cwd=str(work), env=env)
