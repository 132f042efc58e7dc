"""``retouch pool serve|status|stop``: the Ray Serve executor pool (the optional ``ray`` extra).

``serve`` deploys the application onto a running Ray cluster and returns (``--address local``
starts a private Ray instead and serves until interrupted); ``status`` shows each replica's
models, ongoing jobs and GPU memory; ``stop`` deletes the application.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from server.cli.app import run_guarded

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


@pool_app.command("serve")
def serve_cmd(
    address: Address = "auto",
    replicas: Annotated[
        int | None, typer.Option("--replicas", min=1, help="Executor replicas (fixes min = max).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="pool.yaml (see README, Scale out).")
    ] = None,
) -> None:
    """Deploy the executor pool onto a Ray cluster."""

    def body() -> None:
        from server.pool import ops
        from server.pool.config import PoolConfig

        cfg = PoolConfig.load(config, replicas)
        ops.connect(address)
        ops.deploy(cfg)
        typer.echo(f"retouch: pool {cfg.app!r} running on {address}", err=True)
        if address != "local":
            return
        typer.echo("retouch: serving until interrupted (Ctrl-C)", err=True)
        try:
            while True:
                time.sleep(3600)
        finally:
            ops.stop(cfg.app)

    run_guarded(body)


@pool_app.command("status")
def status_cmd(
    address: Address = "auto",
    app: AppName = "retouch",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the pool's replicas, the models each holds, ongoing jobs and GPU memory."""

    def body() -> None:
        from server.pool import ops

        ops.connect(address)
        st = ops.status(app)
        if as_json:
            typer.echo(json.dumps(st, indent=2))
            return
        typer.echo(f"pool {st['app']}: {st['status']}")
        for name, d in st["deployments"].items():
            typer.echo(f"  {name}: {d['status']} {d['replicas']}")
        for r in st["replicas"]:
            gpu = r["gpu_memory"]
            mem = f"{gpu['used'] / 2**30:.1f}/{gpu['total'] / 2**30:.1f} GiB" if gpu else "no GPU"
            typer.echo(
                f"  {r['kind']} {r['replica']}: models {r['models'] or '-'}, "
                f"ongoing {r['ongoing']}, done {r['jobs']}, {mem}"
            )

    run_guarded(body)


@pool_app.command("stop")
def stop_cmd(address: Address = "auto", app: AppName = "retouch") -> None:
    """Tear the pool application down (the Ray cluster keeps running)."""

    def body() -> None:
        from server.pool import ops

        ops.connect(address)
        ops.stop(app)
        typer.echo(f"retouch: pool {app!r} stopped", err=True)

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.add_typer(pool_app, name="pool")
