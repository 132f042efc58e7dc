"""``retouch pool serve --address auto`` against real ``ray start --head --num-cpus 2`` clusters:
an open one (RAY_AUTH_MODE=disabled) is refused with one error line, and on a token one the
issue's ``--replicas 2`` (3 CPUs asked of 2) fails fast with the shortfall instead of waiting.

Run by test_netns.py inside ``unshare -n``; here it skips unless the namespace has only loopback.
Each cluster has its own HOME and token file and is stopped after its test (its process group)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.pool.support import ROOT, skip_unless_ray_may_run

pytestmark = pytest.mark.ray
skip_unless_ray_may_run()
RAY = str(Path(sys.executable).with_name("ray"))


def cluster_env(tmp: Path, mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(HOME=str(tmp / "home"), RAY_AUTH_MODE=mode, RAY_AUTH_TOKEN_PATH=str(tmp / "token"))
    return env


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A 2-CPU Ray head on loopback, with token auth or not (the param); yields the CLI's env.
    It runs as ``ray start --block`` in a process group of its own, and only that group is
    stopped afterwards (``ray stop`` would kill every Ray process on the machine, by name)."""
    env = cluster_env(tmp_path, request.param)
    (tmp_path / "home").mkdir()
    (tmp_path / "token").write_text(secrets.token_hex(32))
    (tmp_path / "token").chmod(0o600)
    start = [RAY, "start", "--head", "--block", "--num-cpus", "2", "--num-gpus", "0"]
    start += ["--port", "6399", "--node-ip-address", "127.0.0.1", "--include-dashboard=false"]
    head = subprocess.Popen(
        [*start, "--disable-usage-stats"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(6399, head, timeout=120)
        env["RAY_ADDRESS"] = "127.0.0.1:6399"
        yield env
    finally:
        stop_group(head)


def wait_for_port(port: int, head: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert head.poll() is None, f"ray start exited {head.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(3)  # the raylet registers after the GCS listens
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no Ray head on 127.0.0.1:{port} after {timeout} s")


def stop_group(head: subprocess.Popen[bytes]) -> None:
    """SIGTERM the head's process group (what this fixture started), then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(head.pid, sig)
        except ProcessLookupError:
            return
        try:
            head.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(2)  # let the group's other members (GCS, raylet) go too


def pool_serve(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "retouch.server.cli", "pool", "serve", "--address", "auto", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run, time.monotonic() - start


@pytest.mark.parametrize("cluster", ["disabled"], indirect=True)
def test_an_open_cluster_is_refused_unless_insecure(cluster: dict[str, str]) -> None:
    run, took = pool_serve(cluster, "--replicas", "1")
    assert run.returncode == 2, run.stderr
    errors = [ln for ln in run.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "accepts callers without a token" in errors[0], run.stderr
    assert "RAY_AUTH_MODE=token ray start --head" in errors[0] and "--insecure" in errors[0]
    assert took < 60
    # --insecure goes on to the placement check: 2 x 1 + 1 CPUs asked of 2
    run, took = pool_serve(cluster, "--replicas", "2", "--insecure")
    assert run.returncode == 2 and "asks for 3 CPUs" in run.stderr, run.stderr


@pytest.mark.parametrize("cluster", ["token"], indirect=True)
def test_a_pool_that_cannot_be_placed_fails_fast_with_the_shortfall(
    cluster: dict[str, str],
) -> None:
    run, took = pool_serve(cluster, "--replicas", "2")
    assert took < 90, f"took {took:.0f} s"
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2, run.stderr
    assert any(
        "token authentication on" in ln and cluster["RAY_AUTH_TOKEN_PATH"] in ln for ln in lines
    ), run.stderr
    assert any("no GPU" in ln and "num_gpus: 0" in ln for ln in lines), run.stderr
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, run.stderr
    assert "asks for 3 CPUs (2 Executor replica(s) x 1 + 1 Segmenter x 1)" in errors[0]
    assert "cluster has 2" in errors[0] and "--replicas" in errors[0]
    # a wrong token: Ray refuses it, one error line (not a hang)
    bad = dict(cluster, RAY_AUTH_TOKEN=secrets.token_hex(32))
    run, took = pool_serve(bad, "--replicas", "1", "--wait-s", "20")
    assert run.returncode != 0 and took < 120, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error:"), run.stderr
