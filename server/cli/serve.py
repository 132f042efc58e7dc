"""``retouch serve``: the MCP server over stdio (default) or streamable HTTP.

Versions of the edit history live in ``--data-dir`` (else $RETOUCH_DATA_DIR, else the user data
directory), outside the roots: tools read them by reference (``@ID``), never by path.

Under stdio nothing but protocol goes to stdout (logs go to stderr). Over HTTP the server binds to
127.0.0.1 unless told otherwise, keeps the SDK's DNS-rebinding protection on (Host and Origin must
name an allowed host), and with ``--token`` (or $RETOUCH_MCP_TOKEN) requires
``Authorization: Bearer <token>`` on every request.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from retouch.server.cli.app import run_guarded

TOKEN_ENV = "RETOUCH_MCP_TOKEN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def transport_security(host: str, extra_hosts: list[str]):  # type: ignore[no-untyped-def]
    """DNS-rebinding protection: loopback names always, plus ``host`` and ``extra_hosts``."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = ["127.0.0.1", "localhost", "[::1]"]
    for h in [host, *extra_hosts]:
        shown = f"[{h}]" if ":" in h and not h.startswith("[") else h
        if shown not in names and h not in ("0.0.0.0", "::"):
            names.append(shown)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{n}:*" for n in names] + names,
        allowed_origins=[f"{scheme}://{n}:*" for n in names for scheme in ("http", "https")],
    )


Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_ENV,
        show_envvar=True,
        help="Require this bearer token on HTTP requests.",
    ),
]
TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        envvar="RETOUCH_MCP_TOKEN_FILE",
        show_envvar=True,
        help="HTTP: a file of 'NAME TOKEN' lines, one user per token; each user's history "
        "sessions are private to it.",
        show_default=False,
    ),
]
Roots = Annotated[
    list[Path] | None,
    typer.Option(
        "--root",
        help="Folder tools may read and write; repeat. Default: the working directory "
        "(the output folder is always allowed).",
    ),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Edit-history store folder (default: $RETOUCH_DATA_DIR, else the user data "
        "directory); opened on the first tool that records or reads a version.",
        show_default=False,
    ),
]
AllowedHost = Annotated[
    list[str] | None,
    typer.Option(
        "--allowed-host",
        help="Extra Host name clients may use over HTTP (DNS-rebinding protection); repeat.",
    ),
]
PoolOpt = Annotated[
    str | None,
    typer.Option(
        "--pool",
        help="Send run_edit and make_mask to the Ray Serve pool at this address (auto, "
        "ray://HOST:10001; see retouch pool) instead of this process's GPU worker.",
        show_default=False,
    ),
]


def serve_cmd(
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option("--host", help="HTTP address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port.")] = 8765,
    token: Token = None,
    token_file: TokenFile = None,
    root: Roots = None,
    out: Annotated[
        Path, typer.Option("--out", help="Output folder for plans, masks and results.")
    ] = Path("outputs"),
    data_dir: DataDirOpt = None,
    allowed_host: AllowedHost = None,
    pool: PoolOpt = None,
    pool_app: Annotated[
        str, typer.Option("--pool-app", help="The pool's Ray Serve application name.")
    ] = "retouch",
) -> None:
    """Run the MCP server (stdio by default; --http for streamable HTTP on 127.0.0.1)."""

    def body() -> None:
        from retouch.planner.contract.errors import InputError
        from retouch.server.mcp.app import build_server
        from retouch.server.mcp.config import ServerConfig

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="retouch: %(message)s")
        if not root:  # the working directory is the default root: not /, ~ or a system folder
            from retouch.server.mcp.roots import check_default_root

            check_default_root()
        cfg = ServerConfig.create(
            roots=[str(r) for r in root] if root else None, out=out, data_dir=data_dir
        )
        if pool is not None:  # a thin front: the GPU work runs on the pool's replicas
            from retouch.server.pool.client import PoolClient

            cfg.pool = PoolClient(pool, pool_app)
            cfg.pool.handle("Executor")  # connect now: a wrong address fails before serving
        if not http:
            if token:
                typer.echo(
                    "retouch: --token applies to --http only; stdio is already local", err=True
                )
            build_server(cfg).run("stdio")
            return
        if host not in LOOPBACK and not (token or token_file):
            raise InputError(
                f"--host {host} exposes the server beyond this machine; also pass "
                f"--token (or set {TOKEN_ENV})"
            )
        from retouch.server.mcp.auth import http_auth

        tokens = http_auth(host in LOOPBACK, token, str(token_file or "") or None, sys.argv)
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        app = build_server(cfg, token=token, url=url, tokens=tokens)
        typer.echo(
            f"retouch: MCP over streamable HTTP at {url}/mcp"
            f"{' (bearer token required)' if token or tokens else ''}; roots: {cfg.roots.describe()}",
            err=True,
        )
        app.run(
            "streamable-http",
            host=host,
            port=port,
            transport_security=transport_security(host, allowed_host or []),
        )

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
