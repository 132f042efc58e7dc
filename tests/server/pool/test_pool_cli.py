"""``retouch pool status`` without a cluster: one ``error:`` line and a non-zero exit, fast.

These never start Ray and never let it dial out: ``ray.init`` is replaced by a function that fails
the test, so the only connection made is the address check's TCP connect to 127.0.0.1. Safe
outside the loopback-only namespace (the pool's own tests, test_pool.py, need one)."""

from __future__ import annotations

import socket
import time

import pytest
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

from tests.server.pool.support import have_ray

if not have_ray():
    pytest.skip(
        "the pool tests need the ray extra: pip install -e '.[ray]'", allow_module_level=True
    )

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_ray_init(monkeypatch: pytest.MonkeyPatch) -> None:
    import ray

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"ray.init was called ({args}, {kwargs}); it must not be here")

    monkeypatch.setattr(ray, "init", refuse)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_status_of_an_unreachable_cluster_is_one_error_line(scheme: str) -> None:
    address = f"{scheme}127.0.0.1:{closed_port()}"
    start = time.monotonic()
    result = runner.invoke(get_app(), ["pool", "status", "--address", address])
    assert time.monotonic() - start < 10  # Ray itself would retry for minutes
    assert result.exit_code == 5, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the Ray cluster"), lines
    assert address in lines[0] and "ray start --head" in lines[0]


def test_status_with_a_malformed_address_says_what_it_takes() -> None:
    result = runner.invoke(get_app(), ["pool", "status", "--address", "somehost"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "error: --address 'somehost' is not auto, local, HOST:PORT or ray://HOST:PORT"
    )
