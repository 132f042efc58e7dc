"""What `retouch serve` loads before it answers ``initialize``: the MCP SDK, pydantic and the
tools' schemas, not the libraries a tool needs only when it runs (issue 25: a fast front door,
initialize within 0.1 s of a bare ``import mcp.server.mcpserver``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NEVER = ("torch", "diffusers", "cv2", "scipy", "dlib", "huggingface_hub.hf_api", "jinja2",
         "retouch.planner.plan", "retouch.executors.run")  # fmt: skip
"""Loaded by no tool before it is called."""
NOT_YET = ("numpy", "PIL", "retouch.planner.intent")
"""Loaded today by server/mcp/outputs.py (numpy, Pillow at module level) and server/mcp/mask.py
(planner.picks, whose language rooms compile their regexes on import)."""


def _loaded_at_start(tmp_path: Path, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a fresh interpreter has loaded once `retouch serve`'s command module is
    imported and the server is built (what happens before stdio is read)."""
    code = (
        "import sys\n"
        "import retouch.server.cli.serve\n"
        "from retouch.server.mcp.app import build_server\n"
        "from retouch.server.mcp.config import ServerConfig\n"
        f"build_server(ServerConfig.create(base={str(tmp_path)!r}))\n"
        f"print(','.join(m for m in {names!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.strip().split(",") if m]


def test_serving_loads_no_model_library_and_no_planning(tmp_path: Path) -> None:
    assert _loaded_at_start(tmp_path, NEVER) == []


@pytest.mark.xfail(
    strict=True,
    reason="server/mcp/outputs.py imports numpy and Pillow at module level; server/mcp/mask.py "
    "imports planner.picks (language rooms); issue 25 item 7",
)
def test_serving_loads_no_numpy_pillow_or_language_rooms(tmp_path: Path) -> None:
    assert _loaded_at_start(tmp_path, NOT_YET) == []
