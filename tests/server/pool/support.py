"""Shared helpers for the pool tests and benchmark (not a test module).

Ray must only ever talk to loopback: ``loopback_only()`` says whether this process is in a network
namespace whose only interface is ``lo``, and ``in_loopback_namespace(cmd)`` runs a command in a
fresh one (``unshare -n``, as root). Tests that start Ray skip unless ``loopback_only()``.
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NETNS_ENV = "RETOUCH_LOOPBACK_NETNS"


def have_ray() -> bool:
    return importlib.util.find_spec("ray") is not None


def loopback_only() -> bool:
    """True when this process's network namespace has no interface but ``lo``."""
    lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    return [line.split(":", 1)[0].strip() for line in lines] == ["lo"]


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
