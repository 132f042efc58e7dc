"""Shared helpers for the pool tests and benchmark (not a test module).

Ray must only ever talk to loopback: ``loopback_only()`` says whether this process is in a network
namespace whose only interface is ``lo``, and ``in_loopback_namespace(cmd)`` runs a command in a
fresh one (``unshare -n``, as root). Tests that start Ray call ``skip_unless_ray_may_run()``.
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
from pathlib import Path

import pytest

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
