"""What ``retouch pool serve|status|stop`` do: connect to Ray, deploy the application, read the
replicas' reports, tear it down. Ray is imported here, inside the functions.

Addresses: ``auto`` is the cluster ``ray start --head`` runs on this machine, ``ray://HOST:10001``
a remote one (Ray Client), ``local`` a private Ray started in this process.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Any

from retouch.planner.contract.errors import ExecutorError, InputError, ModelMissingError
from retouch.server.pool import auth, placement
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


Say = Callable[[str], None]


def _quiet(_line: str) -> None:
    pass


def connect(
    address: str,
    num_cpus: int | None = None,
    insecure: bool | None = None,
    say: Say = _quiet,
) -> Any:
    """ray.init for this process (once), with Ray token authentication unless ``insecure``
    (None: ``RETOUCH_POOL_INSECURE``). ``local`` starts a private Ray (node IP 127.0.0.1, no
    dashboard) and makes a token if there is none; any other address needs the token already and
    is checked first with one TCP connect (5 s, since Ray itself retries a silent address for
    minutes), then refused if it answers callers without a token."""
    ray = need_ray()
    if ray.is_initialized():
        return ray
    insecure = auth.insecure_from_env() if insecure is None else insecure
    opts: dict[str, Any] = {"namespace": NAMESPACE, "log_to_driver": False}
    try:
        if address == "local":  # "local", not None: RAY_ADDRESS must not turn it into a connect
            if insecure:
                auth.disable_token_mode()
                say("--insecure: this private Ray runs without token authentication")
            else:
                say(auth.secure(generate=True))
            ray.init(
                address="local",
                num_cpus=num_cpus,
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                **opts,
            )
        else:
            gcs = _probe(address)
            if not insecure:
                say(auth.secure(generate=False))
                if gcs is not None and not auth.cluster_requires_token(gcs):
                    raise _open_cluster(address)
            ray.init(address=address, **opts)
            if not insecure and gcs is None and not _remote_requires_token(ray):
                ray.shutdown()
                raise _open_cluster(address)
    except (ConnectionError, RuntimeError) as exc:
        also = (  # Ray Client with a token, to a cluster without auth: "Initialization failure"
            "; a cluster without token authentication fails this way too (--insecure)"
            if address.startswith("ray://") and not insecure
            else ""
        )
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address!r} ({str(exc).splitlines()[0]}); start one "
            f"with `ray start --head`, or pass --address local{also}"
        ) from exc
    except Exception as exc:
        if type(exc).__name__ != "AuthenticationError":
            raise
        raise ExecutorError(
            f"the Ray cluster at {address!r} refused this process's token "
            f"({str(exc).splitlines()[0]}); use the cluster's token file "
            f"({auth.PATH_ENV} or {auth.token_path()})"
        ) from exc
    return ray


def _open_cluster(address: str) -> InputError:
    return InputError(
        f"the Ray cluster at {address!r} accepts callers without a token, so anyone who reaches "
        f"its ports runs code on it; restart it with `{auth.MODE_ENV}=token ray start --head` "
        f"(token: {auth.token_path()}), or pass --insecure (RETOUCH_POOL_INSECURE=1 for "
        "retouch serve --pool) on a network only you reach"
    )


def _remote_requires_token(ray: Any) -> bool:
    """Ray Client (ray://): ask the cluster itself whether its GCS refuses token-less calls."""

    def check() -> bool:
        import ray as cluster_ray
        from retouch.server.pool.auth import cluster_requires_token

        return cluster_requires_token(cluster_ray.get_runtime_context().gcs_address)

    return bool(ray.get(ray.remote(num_cpus=0)(check).remote(), timeout=60))


def _probe(address: str) -> str | None:
    """Raise ConnectionError unless something accepts a TCP connection where ``address`` points
    (``auto``: the cluster Ray finds on this machine; raises ConnectionError when there is none).
    Returns the GCS's HOST:PORT (None for ``local`` and for a Ray Client ``ray://`` address)."""
    target = (os.environ.get("RAY_ADDRESS") or address) if address == "auto" else address
    if target == "local":  # RAY_ADDRESS=local: ray.init starts one, nothing to reach
        return None
    if target == "auto":
        from ray._private.services import canonicalize_bootstrap_address_or_die

        target = canonicalize_bootstrap_address_or_die("auto")
    client = target.startswith("ray://")
    target = target.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--address {address!r} is not auto, local, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port}: {exc.strerror or exc}") from exc
    return None if client else target


def deploy(cfg: PoolConfig, wait_s: float = 120, say: Say = _quiet) -> None:
    """Deploy (or update) the application on the connected cluster and wait until it runs:
    first check that its replicas fit the cluster (placement.fit), then show progress."""
    ray = need_ray()
    from ray import serve

    resources = ray.cluster_resources()
    for note in placement.cpu_default(cfg, resources):  # said before fit can refuse
        say(note)
    for note in placement.fit(cfg, resources):
        say(note)
    try:
        ray.get_actor(STATE_ACTOR, namespace=NAMESPACE)
    except ValueError:
        state = ray.remote(num_cpus=0)(PoolState)
        state.options(name=STATE_ACTOR, namespace=NAMESPACE, lifetime="detached").remote()
    serve.start(proxy_location="Disabled")
    serve.run(build_app(cfg), name=cfg.app, route_prefix=None, blocking=False)
    wait_running(cfg.app, wait_s, say)


def replica_states(app: str, st: Any = None) -> str:
    """ "Executor: 1 RUNNING, 1 STARTING; Segmenter: 1 RUNNING" for ``app`` (Serve's view;
    ``st``: its application status if already read)."""
    from ray import serve

    st = st if st is not None else serve.status().applications.get(app)
    if st is None:
        return "not deployed yet"
    parts = []
    for name, d in st.deployments.items():
        counts = ", ".join(f"{n} {_name(k)}" for k, n in d.replica_states.items()) or "none yet"
        parts.append(f"{name}: {counts}")
    return "; ".join(parts) or "no deployments yet"


def wait_running(app: str, timeout: float = 120, say: Say = _quiet, every: float = 5) -> None:
    """Wait until ``app`` runs; say the replicas' states when they change (at most every
    ``every`` s); after ``timeout`` s raise ExecutorError with them."""
    from ray import serve

    end = time.monotonic() + timeout
    last, shown_at, st = "", 0.0, None
    while time.monotonic() < end:
        st = serve.status().applications.get(app)
        if st is not None and st.status == "RUNNING":
            return
        if st is not None and st.status in ("DEPLOY_FAILED", "UNHEALTHY"):
            raise ExecutorError(f"the pool application {app!r} failed to deploy: {st.message}")
        now = time.monotonic()
        if now - shown_at >= every and (states := replica_states(app, st)) != last:
            say(f"waiting for the pool's replicas: {states}")
            last, shown_at = states, now
        time.sleep(0.5)
    raise ExecutorError(
        f"the pool application {app!r} did not start within {timeout:.0f} s "
        f"({replica_states(app, st)}); it stays deployed: see `ray status` for what is pending, "
        f"raise --wait-s if replicas are still loading, or remove it with retouch pool stop "
        f"--app {app}"
    )


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
