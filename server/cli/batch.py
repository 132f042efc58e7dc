"""``retouch batch``: one plan and one edit per image, in turn, with the model loaded once.

DIR/<image-stem>/ gets each image's usual files (as ``retouch edit``), DIR/summary.json one entry
per image, DIR/contact-sheet.png source | result per image with its verdict. A bad image is an
``error`` entry and the batch goes on. Exit 0 all passed, 1 any QA failed, 2 any input was bad.
"""

from __future__ import annotations

import glob
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from retouch.server.cli import options as o
from retouch.server.cli.app import run_guarded
from retouch.server.edits.batch import (
    IMAGE_SUFFIXES,
    BatchEntry,
    BatchSummary,
    contact_sheet,
    folder_names,
    mask_for,
    verdict_word,
    wrap_label,
)


def expand_images(args: list[str]) -> list[str]:
    """Each IMAGE argument as files: a folder gives its images (sorted), a glob its matches, a
    path itself (a missing one is kept, so it is reported as that image's error)."""
    paths: list[str] = []
    for arg in args:
        p = Path(arg).expanduser()
        if p.is_dir():
            found = sorted(
                str(f) for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
            )
        elif not p.exists() and glob.has_magic(arg):
            found = sorted(
                f
                for f in glob.glob(os.path.expanduser(arg))
                if Path(f).is_file() and Path(f).suffix.lower() in IMAGE_SUFFIXES
            )
        else:
            found = [arg]
        paths.extend(f for f in found if f not in paths)
    return paths


MaskDir = Annotated[
    Path | None,
    typer.Option("--mask-dir", help="Folder of masks named by image stem (STEM.png)."),
]
ExecutorOpt = Annotated[
    Literal["auto", "diffusers", "classical"],
    typer.Option("--executor", help="auto, diffusers or classical (as retouch edit)."),
]
AllowDownload = Annotated[
    bool, typer.Option("--allow-download", help="Let diffusers download a missing model.")
]
MaxRetries = Annotated[
    int,
    typer.Option("--max-retries", min=0, max=10, help="QA retries per image, as retouch edit."),
]
OutDir = Annotated[
    Path, typer.Option("--out", help="Folder: DIR/<stem>/ per image, summary.json, sheet.")
]


@dataclass(frozen=True)
class BatchArgs:
    """``retouch batch``'s arguments as parsed; ``hardware`` is resolved before any edit."""

    images: list[str]
    edit: str
    mask_dir: Path | None
    text: str | None
    extend: str | None
    scene: str | None
    reference: str | None
    priority: str
    licence: str
    hardware: str | None
    model: str | None
    executor: str
    steps: int | None
    seed: int | None
    sam: str | None
    device: str | None
    allow_download: bool
    max_retries: int
    out: Path


def batch_cmd(
    images: Annotated[
        list[str],
        typer.Argument(
            help="Images, folders (their images) or globs such as 'shots/*.jpg'.",
            show_default=False,
        ),
    ],
    edit: o.Edit,
    mask_dir: MaskDir = None,
    text: o.Text = None,
    extend: o.ExtendOpt = None,
    scene: o.Scene = None,
    reference: o.Reference = None,
    priority: o.PriorityOpt = "balanced",
    licence: o.LicenceOpt = "any",
    hardware: o.MachineHardware = None,
    model: o.ModelOpt = None,
    executor: ExecutorOpt = "auto",
    steps: o.Steps = None,
    seed: o.Seed = None,
    sam: o.SamCheckpoint = None,
    device: o.DeviceOpt = None,
    allow_download: AllowDownload = False,
    max_retries: MaxRetries = 0,
    out: OutDir = Path("outputs/batch"),
) -> None:
    """Edit many images the same way: DIR/<stem>/ each, DIR/summary.json, DIR/contact-sheet.png."""
    run_guarded(run_batch_args, BatchArgs(**locals()))


def _check(a: BatchArgs) -> list[str]:
    """Check what applies to every image before editing any; the image paths."""
    from retouch.planner.contract.errors import InputError

    if a.mask_dir is not None and a.text is not None:
        raise InputError("give --mask-dir or --text, not both; each image has one mask")
    if a.mask_dir is not None and not a.mask_dir.is_dir():
        raise InputError(f"--mask-dir {a.mask_dir} is not a folder; give the folder of masks")
    paths = expand_images(a.images)
    if not paths:
        raise InputError(f"no images in {' '.join(a.images)}; give image files or folders")
    if a.out.exists() and not a.out.is_dir():
        raise InputError(f"--out {a.out} is a file; give a folder")
    if a.reference is not None:
        from retouch.server.requests import check_reference

        check_reference(a.reference)  # one bad reference would fail every image
    return paths


def run_batch_args(a: BatchArgs) -> None:
    """The command's body: every image through the edit service, then the sheet and tally."""
    from retouch.executors.hardware import detect_hardware
    from retouch.server.cli.progress import BatchBar
    from retouch.server.edits.files import save_image

    paths = _check(a)
    hw = a.hardware or ("cpu" if a.device == "cpu" else detect_hardware())
    a = replace(a, hardware=hw)
    a.out.mkdir(parents=True, exist_ok=True)
    # one image at a time; pipelines stay loaded in this process between them
    summary = BatchSummary(edit=a.edit, images=[])
    rows: list[tuple[Any, Any, str]] = []
    bar = BatchBar(len(paths))
    try:
        for n, (image, name) in enumerate(zip(paths, folder_names(paths), strict=True)):
            bar.image(n, name)
            entry, row = _one(image, a.out / name, a, bar)
            summary.images.append(entry)
            rows.append(row)
            _write_summary(summary, a.out)
            _echo_entry(entry)
        bar.image(len(paths), "done")
    finally:
        bar.close()
    save_image(contact_sheet(rows), a.out / "contact-sheet.png")
    counts = {s: sum(e.status == s for e in summary.images) for s in ("ok", "qa-failed", "error")}
    typer.echo(
        f"batch   {len(paths)} image(s): {counts['ok']} ok, {counts['qa-failed']} qa-failed, "
        f"{counts['error']} error; wrote {a.out / 'summary.json'}, {a.out / 'contact-sheet.png'}"
    )
    if counts["error"]:
        raise typer.Exit(2)
    if counts["qa-failed"]:
        raise typer.Exit(1)


def edit_one(image: str, folder: Path, a: BatchArgs, progress: Any = None) -> Any:
    """Plan ``a.edit`` for ``image`` (with its mask from --mask-dir, or --text), and carry it out
    into ``folder`` through the edit service; the EditOutcome. Raises the RetouchError of a bad
    input or a failed run; a QA failure is in the outcome's report."""
    from retouch.planner.contract.imageio import open_image, read_mask
    from retouch.server.edits.job import EditJob, RunSettings
    from retouch.server.edits.sequence import carry_out, plan_for
    from retouch.server.requests import build_request

    mask = None
    if a.mask_dir is not None:
        open_image(image)  # a broken image is reported as such, not as a missing mask
        mask = mask_for(a.mask_dir, Path(image).stem)
    request = build_request(
        image,
        a.edit,
        mask=mask,
        text=a.text,
        extend=a.extend,
        scene=a.scene,
        priority=a.priority,
        hardware=a.hardware or "cpu",
        seed=a.seed,
        steps=a.steps,
        licence=a.licence,
        reference=a.reference,
    )
    plan = plan_for(request)
    source = open_image(image)
    job = EditJob(
        plan=plan,
        image=source,
        mask=read_mask(mask, source.size) if mask and plan.mask.source == "given" else None,
        settings=RunSettings(a.model, a.executor, a.device, a.sam, a.allow_download),
        max_retries=a.max_retries,
    )
    return carry_out(job, folder / "result", progress=progress)


def _one(
    image: str, folder: Path, a: BatchArgs, bar: Any
) -> tuple[BatchEntry, tuple[Any, Any, str]]:
    """Edit one image; any error becomes its entry (the batch goes on)."""
    start = time.perf_counter()
    stem = Path(image).stem
    try:
        done = edit_one(image, folder, a, bar)
    except Exception as exc:  # noqa: BLE001 - one bad image never stops the batch
        entry = BatchEntry(
            image=image,
            folder=str(folder) if folder.is_dir() else None,
            status="error",
            verdict=None,
            degraded=[],
            error=" ".join(_message(exc).split()),
            seconds=round(time.perf_counter() - start, 3),
        )
        return entry, (_readable(image), None, wrap_label(f"{stem}: error: {entry.error}"))
    word = verdict_word(done.report)
    entry = BatchEntry(
        image=image,
        folder=str(folder),
        status="ok" if done.report.passed else "qa-failed",
        verdict=word,
        degraded=[d.sentence() for d in done.report.degraded],
        error=None,
        seconds=round(time.perf_counter() - start, 3),
    )
    failed = ", ".join(i.id for i in done.report.failed)
    label = f"{stem}: {word}" + (f" ({failed})" if failed else "")
    return entry, (done.source, done.result, wrap_label(label))


def _message(exc: Exception) -> str:
    """An image's error in one line, with the flags that fix it (an unexpected error re-raised
    under RETOUCH_DEBUG)."""
    from pydantic import ValidationError
    from retouch.planner.contract.errors import RetouchError
    from retouch.server.cli.hints import error_line
    from retouch.server.requests import validation_message

    if isinstance(exc, RetouchError):
        return error_line(exc)
    if isinstance(exc, ValidationError):
        return validation_message(exc)
    if os.environ.get("RETOUCH_DEBUG"):
        raise exc
    return f"internal error ({type(exc).__name__}: {exc}); rerun with RETOUCH_DEBUG=1"


def _readable(image: str) -> Any:
    """The image if it opens, else None (its contact-sheet panel is then grey)."""
    from retouch.planner.contract.errors import RetouchError
    from retouch.planner.contract.imageio import open_image

    try:
        return open_image(image)
    except RetouchError:
        return None


def _write_summary(summary: BatchSummary, out: Path) -> None:
    from retouch.planner.contract.atomic import atomic_write

    atomic_write(out / "summary.json", (summary.model_dump_json(indent=2) + "\n").encode())


def _echo_entry(e: BatchEntry) -> None:
    """One line per image: status, image, verdict or error, seconds; degraded lines first."""
    for d in e.degraded:
        typer.echo(f"degraded {Path(e.image).name}: {d}")
    if e.error is not None:
        typer.echo(f"error: {e.image}: {e.error}", err=True)
    typer.echo(f"{e.status:<9} {e.image}  {e.verdict or 'not edited'}  ({e.seconds:.1f} s)")


def register(app: typer.Typer) -> None:
    app.command("batch")(batch_cmd)
