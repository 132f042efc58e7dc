"""What ``retouch pool serve|status|stop`` do: connect to Ray, deploy the application, read the
replicas' reports, tear it down. Ray is imported here, inside the functions.

Addresses: ``auto`` is the cluster ``ray start --head`` runs on this machine, ``ray://HOST:10001``
a remote one (Ray Client), ``local`` a private Ray started in this process.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from retouch.planner.errors import ExecutorError, InputError, ModelMissingError
from retouch.server.pool.config import PoolConfig
from retouch.server.pool.replicas import NAMESPACE, STATE_ACTOR, PoolState, build_app

INSTALL = "install the pool extra: pip install -e '.[ray]'"


def need_ray() -> Any:
    try:
        import ray
        from ray import serve  # noqa: F401
    except ImportError as exc:
        raise ModelMissingError(
            f"the pool needs Ray Serve, which is not installed; {INSTALL}"
        ) from exc
    return ray


def connect(address: str, num_cpus: int | None = None) -> Any:
    """ray.init for this process (once): ``local`` starts a private Ray on loopback. Any other
    address is checked first with one TCP connect (5 s), since Ray itself retries a silent address
    for minutes."""
    ray = need_ray()
    if ray.is_initialized():
        return ray
    opts: dict[str, Any] = {"namespace": NAMESPACE, "log_to_driver": False}
    try:
        if address == "local":  # "local", not None: RAY_ADDRESS must not turn it into a connect
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **opts)
        else:
            _probe(address)
            ray.init(address=address, **opts)
    except (ConnectionError, RuntimeError) as exc:
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address!r} ({str(exc).splitlines()[0]}); start one "
            "with `ray start --head`, or pass --address local"
        ) from exc
    return ray


def _probe(address: str) -> None:
    """Raise ConnectionError unless something accepts a TCP connection where ``address`` points
    (``auto``: the cluster Ray finds on this machine; raises ConnectionError when there is none)."""
    target = (os.environ.get("RAY_ADDRESS") or address) if address == "auto" else address
    if target == "local":  # RAY_ADDRESS=local: ray.init starts one, nothing to reach
        return
    if target == "auto":
        from ray._private.services import canonicalize_bootstrap_address_or_die

        target = canonicalize_bootstrap_address_or_die("auto")
    target = target.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--address {address!r} is not auto, local, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port}: {exc.strerror or exc}") from exc


def deploy(cfg: PoolConfig) -> None:
    """Deploy (or update) the application on the connected cluster and wait until it runs."""
    ray = need_ray()
    from ray import serve

    try:
        ray.get_actor(STATE_ACTOR, namespace=NAMESPACE)
    except ValueError:
        state = ray.remote(num_cpus=0)(PoolState)
        state.options(name=STATE_ACTOR, namespace=NAMESPACE, lifetime="detached").remote()
    serve.start(proxy_location="Disabled")
    serve.run(build_app(cfg), name=cfg.app, route_prefix=None, blocking=False)
    wait_running(cfg.app)


def wait_running(app: str, timeout: float = 120) -> None:
    from ray import serve

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = serve.status().applications.get(app)
        if st is not None and st.status == "RUNNING":
            return
        if st is not None and st.status in ("DEPLOY_FAILED", "UNHEALTHY"):
            raise ExecutorError(f"the pool application {app!r} failed to deploy: {st.message}")
        time.sleep(0.5)
    raise ExecutorError(f"the pool application {app!r} did not start within {timeout:.0f} s")


def status(app: str) -> dict[str, Any]:
    """Deployments (status, replica counts) and each live replica's last report."""
    ray = need_ray()
    from ray import serve

    st = serve.status().applications.get(app)
    if st is None:
        raise ExecutorError(f"no pool application {app!r} on this cluster; run retouch pool serve")
    try:
        reports = ray.get(ray.get_actor(STATE_ACTOR, namespace=NAMESPACE).all.remote())
    except ValueError:
        reports = []
    now = time.time()
    return {
        "app": app,
        "status": _name(st.status),
        "deployments": {
            name: {
                "status": _name(d.status),
                "replicas": {_name(k): n for k, n in d.replica_states.items()},
            }
            for name, d in st.deployments.items()
        },
        "replicas": [r for r in reports if now - r["seen"] < 10],  # health checks every 2 s
    }


def _name(state: Any) -> str:
    """A Serve status enum as its bare name (``RUNNING``; ``str()`` gives ``ApplicationStatus.
    RUNNING`` on Python 3.11)."""
    return str(getattr(state, "value", state))


def stop(app: str) -> None:
    """Delete the application and the state actor (the Ray cluster keeps running)."""
    ray = need_ray()
    from ray import serve

    serve.delete(app)
    try:
        ray.kill(ray.get_actor(STATE_ACTOR, namespace=NAMESPACE))
    except ValueError:
        pass
