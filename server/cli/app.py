"""The ``retouch`` command line. Each command lives in server/cli/<name>.py and registers itself.

Errors: every RetouchError becomes ``error: <message> (<flags that fix it>)`` on stderr and its exit
code (planner/contract/errors.py; the flags rendered from its hints by server/cli/hints.py); anything unexpected becomes one line too (set RETOUCH_DEBUG=1 to see the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

app = typer.Typer(
    name="retouch",
    help="Plan, run and check image edits: inpainting, outpainting, SDEdit, instruction edits.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Command modules, in the order their commands appear in --help. Each defines register(app).
COMMAND_MODULES = [
    "retouch.server.cli.plan",
    "retouch.server.cli.mask",
    "retouch.server.cli.edit",
    "retouch.server.cli.batch",
    "retouch.server.cli.compare",
    "retouch.server.cli.check",
    "retouch.server.cli.demo",
    "retouch.server.cli.history",
    "retouch.server.cli.serve",
    "retouch.server.cli.pool",
    "retouch.server.cli.toy",
]


_registered = False


def get_app() -> typer.Typer:
    """The app with every command registered (idempotent; tests use this with typer's CliRunner)."""
    global _registered
    if not _registered:
        for name in COMMAND_MODULES:
            importlib.import_module(name).register(app)
        _registered = True
    return app


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    from retouch.planner.contract.errors import RetouchError
    from retouch.server.cli.hints import error_line

    try:
        code = get_app()(args=argv, standalone_mode=False)
    except RetouchError as exc:  # raised outside a command body (rare)
        typer.echo(f"error: {error_line(exc)}", err=True)
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: one line, as every other error
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `retouch`: the help, as before
            typer.echo(exc.ctx.get_help(), err=True)  # type: ignore[attr-defined]
        else:
            typer.echo(f"error: {usage_line(exc)}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def usage_line(exc: Exception) -> str:
    """A click usage error as one line: the message, the command, where to read its options."""
    message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return message
    return f"{message} (see {ctx.command_path} --help)"


def run_guarded(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Run a command body; turn errors into one line on stderr and an exit code."""
    from pydantic import ValidationError
    from retouch.planner.contract.errors import RetouchError
    from retouch.server.cli.hints import error_line

    try:
        return fn(*args, **kwargs)
    except RetouchError as exc:
        typer.echo(f"error: {error_line(exc)}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except ValidationError as exc:
        from retouch.server.requests import validation_message

        typer.echo(f"error: {validation_message(exc)}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a user-facing tool
        if os.environ.get("RETOUCH_DEBUG"):
            raise
        from retouch.planner.contract.extras import missing_extra

        if isinstance(exc, ImportError) and (missing := missing_extra(exc)) is not None:
            typer.echo(f"error: {missing}", err=True)  # a library an extra installs
            raise typer.Exit(missing.exit_code) from None
        typer.echo(
            f"error: internal error ({type(exc).__name__}: {exc}); rerun with "
            "RETOUCH_DEBUG=1 and report the traceback",
            err=True,
        )
        raise typer.Exit(70) from None


if __name__ == "__main__":
    main()
