"""The ``run_batch`` tool: one edit applied to every image in a folder inside the roots, with
``retouch batch``'s semantics: each image planned and carried out by the edit service
(``retouch.server.edits``), one folder per image, ``summary.json`` (one entry per image, written
after each) and ``contact-sheet.png`` (source | result | verdict per image); a bad image is an
``error`` entry and the batch goes on.

Each image is its own job on the GPU worker (pipelines stay loaded between images; other calls may
run between them). Progress is per image and, inside an image, per denoising step; cancelling
stops at the next step: the images already done keep their folders and summary.json lists them;
the contact sheet is made only when the batch finishes. A client with the Tasks extension always
gets a task (server/mcp/tasks.py); a plain call returns when the batch is done.
"""

from __future__ import annotations

import contextvars
import threading
import time
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.errors import InputError
from retouch.server.mcp import outputs
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import FileRef
from retouch.server.mcp.toolkit import Hints, Shown, ToolSpec, link, reply

MAX_IMAGES = 500  # a folder with more is refused: split it


class RunBatchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    folder: str = Field(description="Folder of images under the roots.")
    edit: str = Field(description="The edit, as for plan_edit.")
    text: str | None = Field(None, max_length=200, description="Object to mask, in words.")
    mask_dir: str | None = Field(None, description="Masks named by image stem (STEM.png).")


class BatchImage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    image: str
    status: Literal["ok", "qa-failed", "error"]
    verdict: str | None
    error: str | None
    result: str | None


class RunBatchOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    folder: str
    summary: FileRef
    contact_sheet: FileRef
    images: list[BatchImage]
    counts: dict[str, int]  # ok, qa-failed, error


def _images(cfg: ServerConfig, args: RunBatchInput) -> tuple[list[Path], Path | None]:
    """The folder's images (sorted) and the mask folder, both confined to the roots."""
    from retouch.server.edits.batch import IMAGE_SUFFIXES

    if args.text is not None and args.mask_dir is not None:
        raise InputError("give text or mask_dir, not both; each image has one mask")
    folder = cfg.roots.resolve_input_dir(args.folder, "folder")
    masks = cfg.roots.resolve_input_dir(args.mask_dir, "mask_dir") if args.mask_dir else None
    found = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not found:
        raise InputError(f"no images in {args.folder}; give a folder of PNG/JPEG/WebP/TIFF images")
    if len(found) > MAX_IMAGES:
        raise InputError(f"{args.folder} has {len(found)} images, over {MAX_IMAGES}; split it")
    return found, masks


def edit_one(
    cfg: ServerConfig,
    args: RunBatchInput,
    image: Path,
    masks: Path | None,
    folder: Path,
    progress: Any,
    cancel: threading.Event,
) -> Any:
    """Plan the edit for ``image`` and carry it out into ``folder`` (the edit service's
    EditOutcome). Raises the RetouchError of a bad input or a failed run."""
    from retouch.executors.hardware import detect_hardware
    from retouch.planner.contract.imageio import read_mask
    from retouch.server.edits.batch import mask_for
    from retouch.server.edits.job import EditJob, RunSettings
    from retouch.server.edits.sequence import carry_out, plan_for
    from retouch.server.requests import build_request

    source = cfg.load_image(image)  # the pixel limit first; a broken image says so here
    mask = mask_for(masks, image.stem) if masks is not None else None
    request = build_request(
        str(image), args.edit, mask=mask, text=args.text, hardware=detect_hardware()
    )
    plan = plan_for(request)
    job = EditJob(
        plan=plan,
        image=source,
        mask=read_mask(mask, source.size) if mask and plan.mask.source == "given" else None,
        settings=RunSettings(),
    )
    return carry_out(job, folder / "result.png", progress=progress, cancel=cancel)


def _message(exc: Exception) -> str:
    """An image's error in one line, with the arguments that fix it."""
    from pydantic import ValidationError
    from retouch.planner.contract.errors import RetouchError
    from retouch.server.mcp.hints import tool_error
    from retouch.server.requests import validation_message

    if isinstance(exc, RetouchError):
        text = tool_error(exc, "run_batch")
    elif isinstance(exc, ValidationError):
        text = validation_message(exc)
    else:
        text = f"internal error ({type(exc).__name__}); the server's log has the traceback"
    return " ".join(text.split())


def _readable(cfg: ServerConfig, image: Path) -> Any:
    """The image if it opens, else None (its contact-sheet panel is then grey)."""
    from retouch.planner.contract.errors import RetouchError

    try:
        return cfg.load_image(image)
    except RetouchError:
        return None


async def _one(
    cfg: ServerConfig, args: RunBatchInput, image: Path, masks: Path | None, folder: Path, report
) -> tuple[Any, tuple[Any, Any, str]]:
    """(BatchEntry, contact-sheet row) for one image: its own job on the GPU worker; any error
    becomes its entry (the batch goes on), a cancellation stops the batch."""
    import logging

    from retouch.server.edits.batch import BatchEntry, verdict_word

    start = time.perf_counter()

    def job(cancel: threading.Event, progress: Any) -> Any:
        return edit_one(cfg, args, image, masks, folder, progress, cancel)

    try:
        done = await cfg.worker.run(job, on_progress=report)
    except Exception as exc:  # noqa: BLE001 - one bad image never stops the batch
        if not isinstance(exc, InputError | ValueError):
            logging.getLogger("retouch.mcp").info("run_batch: %s failed", image, exc_info=exc)
        entry = BatchEntry(
            image=str(image),
            folder=str(folder) if folder.is_dir() else None,
            status="error",
            verdict=None,
            degraded=[],
            error=_message(exc),
            seconds=round(time.perf_counter() - start, 3),
        )
        return entry, (_readable(cfg, image), None, f"{image.stem}: error: {entry.error}")
    word = verdict_word(done.report)
    entry = BatchEntry(
        image=str(image),
        folder=str(folder),
        status="ok" if done.report.passed else "qa-failed",
        verdict=word,
        degraded=[d.sentence() for d in done.report.degraded],
        error=None,
        seconds=round(time.perf_counter() - start, 3),
    )
    failed = ", ".join(i.id for i in done.report.failed)
    return entry, (
        done.source,
        done.result,
        f"{image.stem}: {word}" + (f" ({failed})" * bool(failed)),
    )


async def run_batch(cfg: ServerConfig, args: RunBatchInput, ctx: Context) -> RunBatchOutput:
    """Every image of the folder in turn; summary.json after each, the contact sheet at the end."""
    import secrets
    import textwrap

    from retouch.planner.contract.atomic import atomic_write
    from retouch.server.edits.batch import BatchSummary, contact_sheet, folder_names
    from retouch.server.edits.files import save_image

    if cfg.pool is not None:
        raise InputError(
            "run_batch runs on this server's own worker; use a server started without an executor pool"
        )
    images, masks = _images(cfg, args)
    out = cfg.out_folder("batches", f"{outputs.stamp()}-{secrets.token_hex(2)}")
    summary = BatchSummary(edit=args.edit, images=[])
    rows: list[tuple[Any, Any, str]] = []
    total = len(images)
    for n, (image, name) in enumerate(
        zip(images, folder_names([str(p) for p in images]), strict=True)
    ):
        said = f"image {n + 1}/{total} ({image.name})"
        await ctx.report_progress(n, total, said)

        async def report(step: int, steps: int, n: int = n, said: str = said) -> None:
            await ctx.report_progress(
                n + step / steps, total, f"{said}: denoising step {step}/{steps}"
            )

        entry, (source, result, label) = await _one(cfg, args, image, masks, out / name, report)
        summary.images.append(entry)
        rows.append((source, result, "\n".join(textwrap.wrap(label, 52)[:8])))
        data = (summary.model_dump_json(indent=2) + "\n").encode()
        # outside the call's undo (an empty context): a cancelled batch keeps what it finished
        await anyio.to_thread.run_sync(
            contextvars.Context().run, atomic_write, out / "summary.json", data
        )
    await ctx.report_progress(total, total, f"{total} image(s) done; writing the contact sheet")
    await anyio.to_thread.run_sync(
        lambda: save_image(contact_sheet(rows), out / "contact-sheet.png")
    )
    ref = outputs.file_ref
    count = {s: sum(e.status == s for e in summary.images) for s in ("ok", "qa-failed", "error")}
    return RunBatchOutput(
        folder=str(out),
        summary=ref(cfg.out_dir, out / "summary.json"),
        contact_sheet=ref(cfg.out_dir, out / "contact-sheet.png"),
        images=[
            BatchImage(
                image=Path(e.image).name,
                status=e.status,
                verdict=e.verdict,
                error=e.error,
                result=str(Path(e.folder) / "result.png") if e.status != "error" else None,
            )
            for e in summary.images
        ],
        counts=count,
    )


async def _run_batch_tool(cfg: ServerConfig, args: RunBatchInput, ctx: Context) -> CallToolResult:
    out = await run_batch(cfg, args, ctx)
    n = out.counts
    text = (
        f"{len(out.images)} image(s): {n['ok']} ok, {n['qa-failed']} qa-failed, {n['error']} "
        "error. "
        f"Per image: {out.folder}/<name>/ (result.png, comparison, qa.json); summary "
        f"{out.summary.uri}; the contact sheet below is source | result | verdict per image."
    )
    sheet = Path(out.contact_sheet.path)
    small, mime = await anyio.to_thread.run_sync(outputs.preview, _open(sheet))
    links = [
        link(out.contact_sheet, "contact-sheet.png", "source | result | verdict per image"),
        link(out.summary, "summary.json", "one entry per image"),
    ]
    return reply(out, text, Shown([(small, mime)]), links, json_text=False)


def _open(path: Path) -> Any:
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("RGB")


RUN_BATCH = ToolSpec(
    "run_batch",
    "Edit a folder",
    "One edit on every image in a folder, as retouch batch: a folder per image, summary.json, "
    "a contact sheet.",
    RunBatchInput,
    RunBatchOutput,
    _run_batch_tool,
    Hints(read_only=False, idempotent=False),
)
