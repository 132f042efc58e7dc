"""The pixel tools: ``make_mask``, ``run_edit`` (on the GPU worker) and ``check_edit``.

Heavy modules (executors.run and what it loads: torch, diffusers, OpenCV, segment-anything) are
imported inside the jobs, on the worker thread, the first time a tool needs them. A module that is
not in this build yet becomes ModelMissingError "<feature> is not available yet in this build".
"""

from __future__ import annotations

import hashlib
import importlib
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio.to_thread
import numpy as np
from PIL import Image

from planner.errors import InputError, ModelMissingError
from planner.imageio import array_to_mask, read_mask
from planner.schema import EditPlan
from server import outputs
from server.history_hooks import record_edit
from server.tool_config import ServerConfig, Stopwatch
from server.tool_history import VERSION_URI, image_source, load_source, run_session
from server.tool_plan import apply_overrides, load_plan_ref, make_request_plan
from server.tools import (
    CheckEditInput,
    CheckEditOutput,
    MakeMaskInput,
    MakeMaskOutput,
    RunEditInput,
    RunEditOutput,
)

Progress = Callable[[int, int], Awaitable[None]]


def feature(module: str, what: str) -> ModuleType:
    """Import ``module`` or explain that ``what`` is not in this build."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise ModelMissingError(
                f"{what} is not available yet in this build ({module} is missing); update retouch"
            ) from exc
        raise ModelMissingError(
            f"{what} needs {exc.name}, which is not installed; run "
            "`pip install -e .` in the retouch repository"
        ) from exc


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


@dataclass
class Shown:
    """Images a tool returns inline, beside its structured result."""

    images: list[tuple[bytes, str]]  # (bytes, mime)


# ------------------------------------------------------------------------------------- make_mask


async def make_mask(cfg: ServerConfig, args: MakeMaskInput) -> tuple[MakeMaskOutput, Shown]:
    sw = Stopwatch("make_mask")
    # 1. check inputs before anything loads
    src = image_source(cfg, args.image, args.image_base64, args.session)
    sw.read("image", src.path, src.version_id)
    checkpoint = cfg.input_file(args.checkpoint, "checkpoint") if args.checkpoint else None
    extra = cfg.new_output(args.output) if args.output else None

    def job(cancel: threading.Event, progress: object) -> tuple[np.ndarray, object, Image.Image]:
        segment = feature("executors.segment", "make_mask")
        masks = feature("executors.masks", "make_mask")
        image = load_source(cfg, src)
        found = segment.segment(
            image,
            args.sam,
            checkpoint=str(checkpoint) if checkpoint else None,
            sam_type=args.sam_type,
        )
        mask = found.mask
        if not mask.any():
            raise InputError(
                f"the prompt selected nothing ({found.method}); click on the object "
                "(label 1) or draw a box around it"
            )
        if args.invert:
            mask = masks.invert(mask)
        if args.dilate_px:
            mask = masks.dilate(mask, args.dilate_px)
        return mask, found, image

    mask, found, image = await cfg.worker.run(job)
    if not mask.any():
        raise InputError("the mask is empty after invert; the object covers the whole image")
    # 2. write the mask and describe it
    mask_id = f"{_stamp()}-{hashlib.sha256(mask.tobytes()).hexdigest()[:8]}"
    path = cfg.out_dir / "masks" / f"{mask_id}.png"
    png = outputs.encode_png(array_to_mask(mask))
    outputs.atomic_write(path, png)
    if extra is not None:
        outputs.atomic_write(extra, png)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    bbox = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    out = MakeMaskOutput(
        image=src.ref,
        mask=outputs.file_ref(cfg.out_dir, path),
        output=str(extra) if extra else None,
        method=found.method,
        score=float(found.score),
        note=found.note,
        area=float(mask.mean()),
        bbox=bbox,
        provenance=sw.provenance(
            {
                "method": found.method,
                "sam_type": found.sam_type,
                "prompt": args.sam.model_dump(mode="json"),
                "invert": args.invert,
                "dilate_px": args.dilate_px,
            }
        ),
    )
    return out, Shown([(outputs.mask_overlay(image, mask), "image/jpeg")])


# ------------------------------------------------------------------------------------- run_edit


def _confine_weights(cfg: ServerConfig, plan: EditPlan) -> None:
    """Model folders named by path (a plan file or an override can name any) must lie in a root;
    Hugging Face ids resolve in the local cache and are left alone."""
    for what, ident in (
        ("model.id", plan.model.id),
        ("controlnet.id", plan.controlnet.id if plan.controlnet else None),
    ):
        if ident is None:
            continue
        looks_like_path = (
            ident.startswith(("/", ".", "~")) or ident.endswith("/") or ident.count("/") > 1
        )
        if looks_like_path or (cfg.roots.base / ident).exists():
            cfg.roots.resolve_input_dir(ident, what)


def _plan_for(cfg: ServerConfig, args: RunEditInput, sw: Stopwatch) -> EditPlan:
    if (args.plan is None) == (args.request is None):
        raise InputError("give exactly one of plan (a plan_id or plan.json path) and request")
    if args.plan is not None:
        return load_plan_ref(cfg, args.plan, sw)
    return make_request_plan(cfg, args.request, sw, args.session)


async def run_edit(
    cfg: ServerConfig, args: RunEditInput, on_progress: Progress | None = None
) -> tuple[RunEditOutput, Shown]:
    sw = Stopwatch("run_edit")
    # 1. the plan (overrides applied) and every file it reads, confined to the roots
    plan = apply_overrides(_plan_for(cfg, args, sw), args.overrides)
    src = image_source(cfg, plan.request.image, None, args.session)
    sw.read("image", src.path, src.version_id)
    session, parent = run_session(args.session, src)
    if session is not None:
        await anyio.to_thread.run_sync(lambda: cfg.store)  # a broken store fails before the run
    mask_ref = args.mask or plan.request.mask
    mask_path = sw.read("mask", cfg.input_file(mask_ref, "mask")) if mask_ref else None
    control = args.control
    control_path = sw.read("control", cfg.image_file(control, None, "control")) if control else None
    _confine_weights(cfg, plan)
    extra = cfg.new_output(args.output) if args.output else None
    plan_hash = hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:8]
    run_id = f"{_stamp()}-{plan_hash}-{secrets.token_hex(2)}"  # unique even for the same plan
    run_dir = cfg.out_dir / "runs" / run_id

    # 2. the edit and its QA, on the GPU worker
    def job(cancel: threading.Event, progress: Callable[[int, int], None] | None):  # type: ignore[no-untyped-def]
        run = feature("executors.run", "run_edit")
        qa = feature("executors.qa", "QA")
        image = load_source(cfg, src)
        mask = read_mask(mask_path, image.size) if mask_path else None
        control = cfg.load_image(control_path, "control") if control_path else None
        out = run.run_plan(
            plan,
            image=image,
            mask=mask,
            control=control,
            executor=args.executor,
            progress=progress,
            cancel=cancel,
        )
        return image, out, qa.check(image, out.image, out.edit_mask, plan)

    image, out, report = await cfg.worker.run(job, on_progress=on_progress)
    # 3. the files, written off the event loop
    files = await anyio.to_thread.run_sync(_write_run, run_dir, image, out, report, plan, extra)
    # 4. the history: the result (after QA) becomes the session's new current version
    version = None
    if session is not None:
        version = await anyio.to_thread.run_sync(
            lambda: record_edit(
                cfg.store,
                session,
                parent,
                plan.request,
                plan,
                out,
                files.comparison.read_bytes(),
                report,
            )
        )
    vid = version.id if version else None
    provenance = sw.provenance(out.provenance.model_dump(mode="json"), version=vid)
    outputs.atomic_write(run_dir / "provenance.json", provenance.model_dump_json(indent=2).encode())
    ref = outputs.file_ref
    failed = [item.id for item in report.items if item.status == "fail"]
    step = (
        "QA passed: show the user the result"
        if report.passed
        else f"QA failed ({', '.join(failed)}): rerun run_edit with the same plan and the failed "
        "checks' fix changes as overrides, or tell the user"
    )
    if vid is not None:
        step += (
            f"; recorded as @{vid} in session {session!r} (edit it next with image '@current'; "
            "undo with revert to '@current~1')"
        )
    result = RunEditOutput(
        run_id=run_id,
        result=ref(cfg.out_dir, files.result),
        output=str(extra) if extra else None,
        mask=ref(cfg.out_dir, files.mask) if files.mask else None,
        preview=ref(cfg.out_dir, files.preview),
        comparison=ref(cfg.out_dir, files.comparison),
        plan_file=ref(cfg.out_dir, files.plan),
        applied=args.overrides,
        qa=report,
        next_step=step,
        version=vid,
        session=session if vid else None,
        parent=parent if vid else None,
        version_uri=VERSION_URI.format(id=vid) if vid else None,
        provenance=provenance,
    )
    return result, Shown(files.shown)


@dataclass
class RunFiles:
    result: Path
    mask: Path | None
    preview: Path
    comparison: Path
    plan: Path
    shown: list[tuple[bytes, str]]


def _write_run(
    run_dir: Path, image: Image.Image, out: Any, report: Any, plan: EditPlan, extra: Path | None
) -> RunFiles:
    """result.png (mode, alpha and ICC kept), mask.png, preview, comparison.jpg, plan and QA."""
    png = outputs.encode_png(out.image)
    outputs.atomic_write(run_dir / "result.png", png)
    if extra is not None:
        outputs.atomic_write(extra, png)
    mask = None
    if out.edit_mask is not None:
        mask = run_dir / "mask.png"
        outputs.atomic_write(mask, outputs.encode_png(array_to_mask(out.edit_mask)))
    small, mime = outputs.preview(out.image)
    preview = run_dir / ("preview.png" if mime == "image/png" else "preview.jpg")
    outputs.atomic_write(preview, small)
    compare = outputs.comparison(image, out.image, out.edit_mask)
    outputs.atomic_write(run_dir / "comparison.jpg", compare)
    outputs.atomic_write(run_dir / "plan.json", (plan.model_dump_json(indent=2) + "\n").encode())
    outputs.atomic_write(run_dir / "qa.json", report.model_dump_json(indent=2).encode())
    return RunFiles(
        result=run_dir / "result.png",
        mask=mask,
        preview=preview,
        comparison=run_dir / "comparison.jpg",
        plan=run_dir / "plan.json",
        shown=[(small, mime), (compare, "image/jpeg")],
    )


# ------------------------------------------------------------------------------------- check_edit


async def check_edit(cfg: ServerConfig, args: CheckEditInput) -> CheckEditOutput:
    """Measure a result against a plan's checklist. Writes nothing. Runs on the GPU worker because
    the prompt-adherence check loads CLIP (torch) when its weights are present."""
    sw = Stopwatch("check_edit")
    plan = load_plan_ref(cfg, args.plan, sw) if args.plan else None
    source = image_source(cfg, args.source, None, args.session, "source")
    result = image_source(cfg, args.result, None, args.session, "result")
    sw.read("source", source.path, source.version_id)
    sw.read("result", result.path, result.version_id)
    mask_path = sw.read("mask", cfg.input_file(args.mask, "mask")) if args.mask else None

    def job(cancel: threading.Event, progress: object):  # type: ignore[no-untyped-def]
        qa = feature("executors.qa", "check_edit")
        before = load_source(cfg, source, "source")
        after = load_source(cfg, result, "result")
        mask = read_mask(mask_path, after.size) if mask_path else None
        return qa.check(before, after, mask, plan)

    report = await cfg.worker.run(job)
    fixes = [
        c for item in report.items if item.status == "fail" and item.fix for c in item.fix.changes
    ]
    return CheckEditOutput(
        qa=report,
        passed=report.passed,
        fixes=fixes,
        provenance=sw.provenance(
            {"checklist": "plan" if plan else "default", "items": [i.id for i in report.items]}
        ),
    )
