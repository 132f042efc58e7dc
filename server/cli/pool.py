"""``retouch pool serve|status|stop``: the Ray Serve executor pool (the optional ``ray`` extra).

``serve`` deploys the application onto a running Ray cluster and returns (``--address local``
starts a private Ray instead and serves until Ctrl-C, then deletes the application and exits 0);
``status`` shows each replica's models, ongoing and finished jobs and GPU memory; ``stop`` deletes
the application.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from retouch.server.cli.app import run_guarded

pool_app = typer.Typer(
    help="The Ray Serve executor pool: serve, status, stop.", no_args_is_help=True
)

Address = Annotated[
    str,
    typer.Option(
        "--address",
        help="auto (the cluster `ray start --head` runs here), ray://HOST:10001, or local "
        "(a private Ray in the foreground).",
    ),
]
AppName = Annotated[str, typer.Option("--app", help="The Ray Serve application's name.")]
Insecure = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="Allow a Ray cluster without token authentication (anyone reaching its ports runs "
        "code on it); without it the pool uses RAY_AUTH_MODE=token and refuses an open cluster.",
    ),
]


def say(line: str) -> None:
    typer.echo(f"retouch: {line}", err=True)


@pool_app.command("serve")
def serve_cmd(
    address: Address = "auto",
    replicas: Annotated[
        int | None, typer.Option("--replicas", min=1, help="Executor replicas (fixes min = max).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="pool.yaml (see docs/pool.md).")
    ] = None,
    wait_s: Annotated[
        float, typer.Option("--wait-s", min=1, help="Give up if the replicas do not run by then.")
    ] = 120,
    insecure: Insecure = False,
) -> None:
    """Deploy the executor pool onto a Ray cluster."""

    def body() -> None:
        from retouch.server.pool import ops
        from retouch.server.pool.config import PoolConfig

        # 1. deploy onto the cluster (auto, ray://) and return, or onto a private Ray (local)
        cfg = PoolConfig.load(config, replicas)
        ray = ops.connect(address, insecure=insecure, say=say)
        ops.deploy(cfg, wait_s=wait_s, say=say)
        if address != "local":
            typer.echo(f"retouch: pool {cfg.app!r} running on {address}", err=True)
            return
        # 2. a private Ray: say where it is (for serve --pool), serve until Ctrl-C, then tear down
        gcs = ray.get_runtime_context().gcs_address
        typer.echo(
            f"retouch: pool {cfg.app!r} running on a private Ray at {gcs} "
            f"(retouch serve --pool {gcs}); serving until interrupted (Ctrl-C)",
            err=True,
        )
        say(
            "that Ray's node address is 127.0.0.1 and it runs no dashboard; its ports may still "
            "listen on every interface, so keep the token (or, with --insecure, the machine) private"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo(f"retouch: stopping pool {cfg.app!r}", err=True)
        ops.stop(cfg.app)
        ray.shutdown()
        typer.echo(f"retouch: pool {cfg.app!r} stopped", err=True)

    run_guarded(body)


@pool_app.command("status")
def status_cmd(
    address: Address = "auto",
    app: AppName = "retouch",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    insecure: Insecure = False,
) -> None:
    """Show the pool's replicas: the models each holds, ongoing and finished jobs, GPU memory."""

    def body() -> None:
        from retouch.server.pool import ops

        ops.connect(address, insecure=insecure)
        st = ops.status(app)
        if as_json:
            typer.echo(json.dumps(st, indent=2))
            return
        typer.echo(f"pool {st['app']}: {st['status']}")
        for name, d in st["deployments"].items():
            counts = ", ".join(f"{n} {state}" for state, n in d["replicas"].items()) or "none"
            typer.echo(f"  {name}: {d['status']}, replicas {counts}")
        if not st["replicas"]:
            typer.echo("  no replica has reported yet (they do every 2 s)")
        for r in sorted(st["replicas"], key=lambda r: (r["kind"], r["replica"])):
            gpu = r["gpu_memory"]
            mem = (
                f"GPU {gpu['used'] / 2**30:.1f}/{gpu['total'] / 2**30:.1f} GiB" if gpu else "no GPU"
            )
            typer.echo(
                f"  {r['kind']} {r['replica']}: models {', '.join(r['models']) or '-'}; "
                f"ongoing {r['ongoing']}, finished {r['jobs']}; {mem}"
            )

    run_guarded(body)


@pool_app.command("stop")
def stop_cmd(
    address: Address = "auto", app: AppName = "retouch", insecure: Insecure = False
) -> None:
    """Tear the pool application down (the Ray cluster keeps running)."""

    def body() -> None:
        from retouch.server.pool import ops

        ops.connect(address, insecure=insecure)
        ops.stop(app)
        typer.echo(f"retouch: pool {app!r} stopped", err=True)

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.add_typer(pool_app, name="pool")
