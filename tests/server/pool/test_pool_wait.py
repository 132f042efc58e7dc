"""``deploy``'s wait without a cluster: Serve's status is replaced by a scripted sequence, so the
progress lines and the ``--wait-s`` give-up can be checked in a second (no Ray started)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from retouch.planner.contract.errors import ExecutorError

from tests.server.pool.support import have_ray

if not have_ray():
    pytest.skip(
        "the pool tests need the ray extra: pip install -e '.[ray]'", allow_module_level=True
    )


def serve_status(app_status: str, **deployments: dict[str, int]) -> SimpleNamespace:
    deps = {name: SimpleNamespace(replica_states=states) for name, states in deployments.items()}
    app = SimpleNamespace(status=app_status, message="", deployments=deps)
    return SimpleNamespace(applications={"retouch": app})


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> list[SimpleNamespace]:
    from ray import serve

    script: list[SimpleNamespace] = []

    def status() -> SimpleNamespace:
        return script.pop(0) if len(script) > 1 else script[0]

    monkeypatch.setattr(serve, "status", status)
    return script


def test_replicas_that_never_start_give_up_after_wait_s_with_their_states(
    scripted: list[SimpleNamespace],
) -> None:
    from retouch.server.pool.ops import wait_running

    scripted += [
        serve_status("DEPLOYING", Executor={"STARTING": 2}, Segmenter={"RUNNING": 1}),
        serve_status("DEPLOYING", Executor={"PENDING_ALLOCATION": 2}, Segmenter={"RUNNING": 1}),
    ]
    said: list[str] = []
    with pytest.raises(ExecutorError) as err:
        wait_running("retouch", timeout=1.6, say=said.append, every=0)
    msg = str(err.value)
    assert "did not start within 2 s" in msg
    assert "(Executor: 2 PENDING_ALLOCATION; Segmenter: 1 RUNNING)" in msg
    assert "--wait-s" in msg and "retouch pool stop --app retouch" in msg
    assert said == [  # once per change, not once per poll
        "waiting for the pool's replicas: Executor: 2 STARTING; Segmenter: 1 RUNNING",
        "waiting for the pool's replicas: Executor: 2 PENDING_ALLOCATION; Segmenter: 1 RUNNING",
    ]


def test_a_pool_that_starts_returns_and_a_failed_one_says_why(
    scripted: list[SimpleNamespace],
) -> None:
    from retouch.server.pool.ops import wait_running

    scripted += [serve_status("DEPLOYING", Executor={"STARTING": 1}), serve_status("RUNNING")]
    said: list[str] = []
    wait_running("retouch", timeout=30, say=said.append, every=0)
    assert said == ["waiting for the pool's replicas: Executor: 1 STARTING"]
    scripted[:] = [serve_status("DEPLOY_FAILED")]
    scripted[0].applications["retouch"].message = "replica constructor raised"
    with pytest.raises(ExecutorError, match="failed to deploy: replica constructor raised"):
        wait_running("retouch", timeout=30)
