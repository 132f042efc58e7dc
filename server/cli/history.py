"""``retouch history / show / revert / gc``: the edit-history store from the shell (server/history/store.py).

Every command takes ``--data-dir`` (default: ``RETOUCH_DATA_DIR``, else the user data directory).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
from retouch.server.cli.app import run_guarded

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="History store folder (default: $RETOUCH_DATA_DIR, else the user data directory).",
        show_default=False,
    ),
]
Session = Annotated[str, typer.Argument(help="Session name (one per conversation).")]
VersionArg = Annotated[
    str,
    typer.Argument(help="Version: @ID, an id prefix, @current or @current~N (N versions back)."),
]


def _store(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from retouch.server.history.store import Store

    return Store(data_dir)


def history_cmd(
    session: Annotated[
        str | None,
        typer.Argument(help="Session name; leave out to list the sessions.", show_default=False),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a tree.")] = False,
    data_dir: DataDir = None,
) -> None:
    """List a session's versions as a tree (* = current), or every session."""

    def body() -> None:
        from retouch.server.history.tree import build_tree, format_tree

        store = _store(data_dir)
        if session is None:
            sessions = store.sessions()
            if json_out:
                typer.echo(json.dumps([s.model_dump() for s in sessions], indent=2))
            else:
                lines = [
                    f"{s.name}  {s.versions} version(s)  current @{s.current}  updated {s.updated}"
                    for s in sessions
                ]
                typer.echo("\n".join(lines) or f"no sessions in {store.data_dir}")
            return
        versions, current = store.state(session)
        if json_out:
            rows = [
                {
                    "id": v.id,
                    "parent": v.parent,
                    "created": v.created,
                    "edit": v.edit,
                    "current": v.id == current,
                    "image_sha256": v.image_sha256,
                    "mask_sha256": v.mask_sha256,
                    "comparison_sha256": v.comparison_sha256,
                }
                for v in versions
            ]
            typer.echo(json.dumps(rows, indent=2))
        else:
            typer.echo(format_tree(build_tree(session, versions, current)))

    run_guarded(body)


def show_cmd(
    version: VersionArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the version's image here (format from the suffix; .png is the "
            "stored file byte for byte).",
            show_default=False,
        ),
    ] = None,
    mask: Annotated[
        Path | None,
        typer.Option(
            "--mask", help="Also write its edit mask (white = edited).", show_default=False
        ),
    ] = None,
    comparison: Annotated[
        Path | None,
        typer.Option("--comparison", help="Also write its before/after image.", show_default=False),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            help="Session the version must belong to (needed for @current).",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the whole record as JSON.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Show one version: write its image (and mask, comparison) and print its record."""

    def body() -> None:
        from retouch.planner.contract.errors import InputError

        store = _store(data_dir)
        v = store.resolve(version, session)
        if mask is not None and v.mask_sha256 is None:
            raise InputError(f"version @{v.id} has no mask; drop --mask")
        if comparison is not None and v.comparison_sha256 is None:
            raise InputError(f"version @{v.id} has no comparison image; drop --comparison")
        for path, sha in (
            (out, v.image_sha256),
            (mask, v.mask_sha256),
            (comparison, v.comparison_sha256),
        ):
            if path is not None and sha is not None:
                export(store.read_file(sha), path)
        if json_out:
            typer.echo(v.model_dump_json(indent=2))
        else:
            typer.echo(
                f"@{v.id}  session {v.session}  parent "
                f"{'@' + v.parent if v.parent else '(a file)'}  {v.created}\n  {v.edit}"
            )
            for path in (out, mask, comparison):
                if path is not None:
                    typer.echo(f"wrote {path}")

    run_guarded(body)


def export(png: bytes, path: Path) -> None:
    """Write a stored PNG to ``path`` atomically: byte for byte for .png, else re-encoded in the
    format the suffix names (alpha and ICC profile kept where the format can hold them). A stored
    TIFF (CMYK...) goes through executors/images/encode.py, which refuses a format that would
    change it."""
    import io

    from PIL import Image
    from retouch.planner.contract.errors import InputError

    suffix = path.suffix.lower()
    if not png.startswith(b"\x89PNG"):  # kept as TIFF (CMYK...): encoded as it is, or refused
        from retouch.executors.images.encode import encode_image, format_of
        from retouch.planner.contract.imageio import decode_image

        data = encode_image(decode_image(png), format_of(path))
    elif suffix == ".png":
        data = png
    else:
        fmt = Image.registered_extensions().get(suffix)
        if fmt is None or fmt not in Image.SAVE:
            raise InputError(
                f"cannot write {path}: unknown image suffix {suffix!r}; use .png, .jpg or .webp"
            )
        with Image.open(io.BytesIO(png)) as im:
            im.load()
            if fmt == "JPEG" and ("A" in im.getbands() or "transparency" in im.info):
                raise InputError(
                    f"the image has transparency, which JPEG cannot keep; write "
                    f"{path.with_suffix('.png')} instead"
                )
            buf = io.BytesIO()
            im.save(buf, format=fmt, icc_profile=im.info.get("icc_profile"))
            data = buf.getvalue()
    if not path.parent.is_dir():
        raise InputError(f"folder {path.parent} does not exist; create it or pick another --out")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path} ({exc.strerror}); check the path") from exc


def revert_cmd(session: Session, version: VersionArg, data_dir: DataDir = None) -> None:
    """Make an earlier version current: the next edit in SESSION starts from it (undo)."""

    def body() -> None:
        v = _store(data_dir).revert(session, version)
        typer.echo(f"session {session}: current is now @{v.id} ({v.edit})")

    run_guarded(body)


def gc_cmd(
    keep_days: Annotated[
        float | None,
        typer.Option(
            "--keep-days",
            help="Also prune versions older than N days that are not current "
            "and not an ancestor of a kept version.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also remove the run folders killed edits left half-written in this output "
            "folder (OUT/runs/.partial-*, older than 10 minutes).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Delete files no version uses (left by killed edits) and, with --keep-days, old branches."""

    def body() -> None:
        from retouch.server.history.store import check_keep_days

        check_keep_days(keep_days)  # before the store is opened (and perhaps created)
        report = _store(data_dir).gc(keep_days)
        typer.echo(
            f"removed {len(report.versions_removed)} version(s), "
            f"{report.files_removed} file(s), {report.temp_files_removed} temp file(s); "
            f"freed {report.bytes_freed} bytes; {report.files_kept} file(s) in use"
        )
        if out is not None:
            from retouch.server.history.gc import remove_partial_runs

            n = remove_partial_runs(out / "runs")
            typer.echo(f"removed {n} half-written run folder(s) from {out / 'runs'}")

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.command("history")(history_cmd)
    app.command("show")(show_cmd)
    app.command("revert")(revert_cmd)
    app.command("gc")(gc_cmd)
