"""Runs the ``ray`` tests (test_pool.py, test_pool_tasks.py, test_pool_local.py and
test_pool_secure.py), each module in a network namespace of its own with only loopback: Ray must never send
traffic beyond this machine. Skipped without the ray extra or without root."""

from __future__ import annotations

import os
import sys

import pytest

from tests.server.pool.support import NETNS_ENV, have_ray, in_loopback_namespace, loopback_only

pytestmark = [pytest.mark.ray, pytest.mark.timeout(2400)]  # four Ray modules, one after another

# Each module in a pytest process of its own: a Ray that one module's fixtures started (and a Serve
# app deployed on it) never leaks into the next (test_pool_tasks.py failed after test_pool.py in
# one process, and passed alone).
MODULES = (
    "tests/server/pool/test_pool.py",
    "tests/server/pool/test_pool_tasks.py",
    "tests/server/pool/test_pool_local.py",
    "tests/server/pool/test_pool_secure.py",  # `ray start` clusters of its own
)


@pytest.mark.parametrize("module", MODULES)
def test_pool_tests_pass_in_a_loopback_only_namespace(module: str) -> None:
    if not have_ray():
        pytest.skip("the pool tests need the ray extra: pip install -e '.[test,ray]'")
    if os.environ.get(NETNS_ENV) or loopback_only():
        pytest.skip("already in a loopback-only namespace: test_pool.py runs directly")
    probe = in_loopback_namespace(["true"], timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace (unshare -n needs root): {probe.stderr}")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "ray", module]
    run = in_loopback_namespace(cmd, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout.splitlines()[-1], run.stdout
