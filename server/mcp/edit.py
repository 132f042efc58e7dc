"""The edit tools: ``run_edit`` (the edit service, server/edits, on the GPU worker or the pool)
and ``check_edit``. This module confines the call's files, builds the EditJob and renders the
outcome in the tools' words.

Heavy modules (executors.run and what it loads: torch, diffusers, OpenCV, segment-anything) are
imported inside the jobs, on the worker thread, the first time a tool needs them.
"""

from __future__ import annotations

import contextvars
import hashlib
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, ResourceLink
from retouch.planner.contract.atomic import confined, read_confined, rename_dir
from retouch.planner.contract.changes import apply_changes
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import Degradation, EditPlan
from retouch.server.edits import images
from retouch.server.edits.files import moved, write_provenance
from retouch.server.edits.job import EditJob, EditOutcome, RunSettings
from retouch.server.edits.sequence import carry_out, finish
from retouch.server.mcp import outputs
from retouch.server.mcp.config import ServerConfig, Stopwatch
from retouch.server.mcp.hints import tool_degraded, tool_words
from retouch.server.mcp.history import (
    VERSION_URI,
    Source,
    image_source,
    load_source,
    run_session,
)
from retouch.server.mcp.layers import with_layers
from retouch.server.mcp.plan import (
    load_plan_ref,
    make_request_plan,
    mask_arg,
    reference_source,
)
from retouch.server.mcp.reads import File, read_once, reread
from retouch.server.mcp.schemas import (
    CheckEditInput,
    CheckEditOutput,
    RunEditInput,
    RunEditOutput,
)
from retouch.server.mcp.toolkit import Hints, Shown, ToolSpec, feature, link, reply

Progress = Callable[[int, int], Awaitable[None]]


def _confine_weights(cfg: ServerConfig, plan: EditPlan) -> None:
    """Model folders named by path (a plan file or an override can name any) must lie in a root;
    Hugging Face ids resolve in the local cache and are left alone."""
    from retouch.planner.catalog.modelref import looks_like_path

    for what, ident in (
        ("model.id", plan.model.id),
        ("controlnet.id", plan.controlnet.id if plan.controlnet else None),
    ):
        if ident is None:
            continue
        on_disk = (cfg.roots.base / ident).exists() or Path(ident).expanduser().exists()
        if looks_like_path(ident) or on_disk:
            cfg.roots.resolve_input_dir(ident, what)


def _plan_for(cfg: ServerConfig, args: RunEditInput, sw: Stopwatch) -> EditPlan:
    if (args.plan is None) == (args.request is None):
        raise InputError("give exactly one of plan (a plan_id or plan.json path) and request")
    if args.plan is not None:
        return load_plan_ref(cfg, args.plan, sw)
    return make_request_plan(cfg, args.request, sw, args.session)


@dataclass(frozen=True)
class _Inputs:
    """A run_edit call's files, confined, read once and recorded in its provenance; decoded by
    ``job``. A stored version (``src.version``) is read from the store, which checks its hash."""

    src: Source
    src_file: File | None
    session: str | None
    parent: str | None
    mask: File | None
    control: File | None
    reference: Source | None
    ref_file: File | None

    def _image(self, cfg: ServerConfig, src: Source, f: File | None, what: str) -> Any:
        if f is None:
            return load_source(cfg, src, what)
        return images.decode_input(f.data, what, f.path.name, cfg.max_pixels)

    def job(self, cfg: ServerConfig, plan: EditPlan, args: RunEditInput) -> EditJob:
        """The EditJob, decoded (on a worker thread: decoding a large image takes a while)."""
        image = self._image(cfg, self.src, self.src_file, "image")
        ref, m, c, px = self.reference, self.mask, self.control, cfg.max_pixels
        return EditJob(
            plan=plan,
            image=image,
            mask=images.decode_mask(m.data, m.path.name, image.size, px) if m else None,
            control=images.decode_input(c.data, "control", c.path.name, px) if c else None,
            reference=self._image(cfg, ref, self.ref_file, "reference image") if ref else None,
            settings=RunSettings(executor=args.executor),
            session=self.session,
            parent=self.parent,
            keep_failed=args.keep_failed,
        )


def _inputs(cfg: ServerConfig, args: RunEditInput, plan: EditPlan, sw: Stopwatch) -> _Inputs:
    src = image_source(cfg, plan.request.image, None, args.session)
    src_file = None if src.version else read_once(cfg, sw, "image", src.path)
    if src.version:
        sw.read("image", src.path, src.version_id)
    session, parent = run_session(args.session, src)
    mask_ref = mask_arg(cfg, args.mask, args.mask_base64) or plan.request.mask
    mask = read_once(cfg, sw, "mask", cfg.input_file(mask_ref, "mask")) if mask_ref else None
    c = args.control
    control = read_once(cfg, sw, "control", cfg.image_file(c, None, "control")) if c else None
    guide = plan.request.guidance
    ref_src = reference_source(cfg, guide.image, args.session, sw) if guide else None
    ref_file = reread(cfg, sw, ref_src) if ref_src and not ref_src.version else None
    if cfg.pool is not None and ref_src is not None:
        raise InputError(
            "reference images do not travel to the executor pool yet; run this edit on a "
            "server started without the pool"
        )
    return _Inputs(src, src_file, session, parent, mask, control, ref_src, ref_file)


async def run_edit(
    cfg: ServerConfig, args: RunEditInput, on_progress: Progress | None = None
) -> tuple[RunEditOutput, Shown]:
    sw = Stopwatch("run_edit")
    # 1. the plan (overrides applied) and every file it reads, confined to the roots
    plan, skipped = apply_changes(_plan_for(cfg, args, sw), args.overrides)
    plan = plan.model_copy(update={"layers": True}) if args.layers else plan  # asked here too
    inputs = _inputs(cfg, args, plan, sw)
    if inputs.session is not None:
        await anyio.to_thread.run_sync(lambda: cfg.store)  # a broken store fails before the run
    _confine_weights(cfg, plan)
    extra = cfg.new_output(args.output) if args.output else None
    if extra is not None:  # a name without an image suffix fails now, not after the run
        from retouch.executors.images.encode import format_of

        format_of(extra)
    plan_hash = hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:8]
    run_id = f"{outputs.stamp()}-{plan_hash}-{secrets.token_hex(2)}"  # unique for one plan too
    # the run folder is written as runs/.partial-ID and renamed to runs/ID once the history has
    # the version: a crash in between leaves a .partial- folder `retouch gc` removes
    result_path = cfg.out_folder("runs") / f".partial-{run_id}" / "result"  # .png or .tif
    store = cfg.store if inputs.session is not None else None
    finish_args = {"store": store, "copies": (extra,) if extra else (), "preview": True}
    inside = cfg.roots.contains  # every folder written into is opened once, no symlink followed

    # 2. the edit service: on the GPU worker, or with serve --pool the run and its QA on a Ray
    # Serve replica (the job goes out as bytes) and the files here
    if cfg.pool is None:
        here = contextvars.copy_context()  # the call's undo list: a failure removes its files

        def job(cancel: threading.Event, progress: Callable[[int, int], None] | None) -> Any:
            def run() -> Any:
                edit_job = inputs.job(cfg, plan, args)
                with confined(inside):
                    return carry_out(
                        edit_job, result_path, progress=progress, cancel=cancel, **finish_args
                    )

            return here.run(run)

        outcome = await cfg.worker.run(job, on_progress=on_progress)
    else:
        from retouch.executors.qa.retry import Attempt

        edit_job = await anyio.to_thread.run_sync(inputs.job, cfg, plan, args)
        out, report = await cfg.pool.run_edit(
            plan, edit_job.image, edit_job.mask, edit_job.control, args.executor, on_progress
        )
        attempts = [Attempt(index=0, plan=plan, output=out, report=report)]

        def finish_here() -> EditOutcome:
            with confined(inside):
                return finish(edit_job, attempts, result_path, **finish_args)

        outcome = await anyio.to_thread.run_sync(finish_here)
    # 3. the tool's provenance (inputs, timings, version) replaces the run's; then the folder
    # takes its name
    vid = outcome.version.id if outcome.version else None
    provenance = sw.provenance(outcome.provenance.model_dump(mode="json"), version=vid)
    with confined(inside):
        write_provenance(outcome.files, provenance)
        outcome = replace(
            outcome, files=moved(outcome.files, rename_dir(outcome.files.folder, run_id))
        )
    applied = [c for c in args.overrides if c not in skipped]
    return _output(cfg, args, run_id, outcome, provenance, extra, applied)


def _output(
    cfg: ServerConfig,
    args: RunEditInput,
    run_id: str,
    outcome: EditOutcome,
    provenance: Any,
    extra: Path | None,
    applied: list[Any],
) -> tuple[RunEditOutput, Shown]:
    """The tool's structured result and the images shown inline (preview, comparison JPEG)."""
    files, version, report = outcome.files, outcome.version, outcome.report
    ref = outputs.file_ref
    step = _next_step(report)
    if version is not None:
        step += _version_step(outcome, version.session)
    remaining = [s.text for s in outcome.plan.sequence if not s.planned]
    if remaining:
        step = f"{_sequence_sentence(outcome, files.result)} Then: {step}"
    if files.layers_note is not None:
        step += f"; {files.layers_note}"
    report = report.model_copy(update={"degraded": tool_degraded(report.degraded, "run_edit")})
    result = RunEditOutput(
        degraded=report.degraded,
        verdict=tool_words(report.verdict, tool="run_edit"),
        run_id=run_id,
        result=ref(cfg.out_dir, files.result),
        output=str(extra) if extra else None,
        mask=ref(cfg.out_dir, files.mask) if files.mask else None,
        preview=ref(cfg.out_dir, files.preview),
        comparison=ref(cfg.out_dir, files.comparison),
        plan_file=ref(cfg.out_dir, files.plan),
        applied=applied,
        qa=report,
        next_step=step,
        version=version.id if version else None,
        session=version.session if version else None,
        parent=version.parent if version else None,
        current=outcome.current if version else None,
        remaining=remaining or None,
        version_uri=VERSION_URI.format(id=version.id) if version else None,
        layers=[ref(cfg.out_dir, p) for p in files.layers] or None,
        provenance=provenance,
    )
    small = read_confined(files.preview, cfg.roots.contains, cfg.max_file_bytes, "preview")
    shown = [(small, outputs.MIME[files.preview.suffix])]
    shown.append((images.fit_jpeg(outcome.comparison), "image/jpeg"))
    return result, Shown(shown)


def _sequence_sentence(outcome: EditOutcome, result: Path) -> str:
    """For a request whose text holds several edits (plan.sequence): which one ran and the
    run_edit call that does the next, in tool arguments."""
    steps = outcome.plan.sequence
    done = next((n for n, s in enumerate(steps, 1) if s.planned), 1)
    nxt = next(s for s in steps if not s.planned)
    v = outcome.version
    if v is not None:
        image = "'@current'" if outcome.current else f"'@{v.id}'"
        where = f"image {image} and session {v.session!r}"
    else:
        where = f"image {str(result)!r}"
    return (
        f"Ran edit {done} of {len(steps)} ({steps[done - 1].text!r}); next call run_edit with "
        f"request.edit {nxt.text!r}, {where}."
    )


def _version_step(outcome: EditOutcome, session: str) -> str:
    """Where the result went in the history, and whether it became the current version."""
    vid = outcome.version.id
    if outcome.current:
        return (
            f"; recorded as @{vid} in session {session!r} (edit it next with image '@current'; "
            "undo with revert to '@current~1')"
        )
    return (
        f"; recorded as @{vid} in session {session!r}, but '@current' stays on its parent "
        f"@{outcome.version.parent} because QA failed (run_edit with keep_failed=true makes a "
        f"failed result current; revert to '@{vid}' keeps this one)"
    )


def _next_step(report: Any) -> str:
    """What the agent should do, never "show the user" for a degraded or unverified result."""
    failed = [item.id for item in report.items if item.status == "fail"]
    if failed:
        return (
            f"QA failed ({', '.join(failed)}): rerun run_edit with the same plan and the failed "
            "checks' fix changes as overrides, or tell the user"
        )
    if report.degraded:
        return (
            "tell the user which substitute ran (see degraded: each entry's fix says how to get "
            "the planned one) and look at the comparison before calling the edit done"
        )
    if not report.content_verified:
        return (
            "look at the comparison image yourself before telling the user it is done: the "
            "measured checks passed but no content check confirmed the edit"
        )
    return "QA verified the edit: show the user the result"


# ------------------------------------------------------------------------------------- check_edit


async def check_edit(cfg: ServerConfig, args: CheckEditInput) -> CheckEditOutput:
    """Measure a result against a plan's checklist. Writes nothing. Runs on the GPU worker because
    the prompt-adherence check loads CLIP (torch) when its weights are present."""
    sw = Stopwatch("check_edit")
    plan = load_plan_ref(cfg, args.plan, sw) if args.plan else None
    source = image_source(cfg, args.source, None, args.session, "source")
    result = image_source(cfg, args.result, None, args.session, "result")
    files = {}  # files read once here, decoded on the worker (as run_edit's)
    for role, src in (("source", source), ("result", result)):
        if src.version is None:
            files[role] = read_once(cfg, sw, role, src.path)
        else:
            sw.read(role, src.path, src.version_id)
    mask_file = read_once(cfg, sw, "mask", cfg.input_file(args.mask, "mask")) if args.mask else None
    mask_path = mask_file.path if mask_file else None
    stored = result.version if plan is None and mask_path is None else None
    degraded: list[Degradation] = []
    if stored is not None and stored.plan is not None:  # the version's own plan, as it ran
        ran = (stored.provenance or {}).get("executor")
        plan = EditPlan.model_validate(stored.plan)
        plan = plan.model_copy(update={"executor": ran or plan.executor})
        degraded = [
            Degradation.model_validate(d) for d in (stored.provenance or {}).get("degraded", [])
        ]

    def job(cancel: threading.Event, progress: object):  # type: ignore[no-untyped-def]
        qa = feature("retouch.executors.qa.check", "check_edit")
        px = cfg.max_pixels
        before, after = (
            images.decode_input(files[r].data, r, files[r].path.name, px)
            if r in files
            else load_source(cfg, s, r)
            for r, s in (("source", source), ("result", result))
        )
        if mask_file is not None:
            mask = images.decode_mask(mask_file.data, mask_file.path.name, after.size, px)
        else:
            mask = cfg.store.load_mask(stored) if stored is not None else None
        return qa.check(before, after, mask, plan, degraded)

    report = await cfg.worker.run(job)
    fixes = [
        c for item in report.items if item.status == "fail" and item.fix for c in item.fix.changes
    ]
    return CheckEditOutput(
        qa=report,
        passed=report.passed,
        fixes=fixes,
        provenance=sw.provenance(
            {
                "checklist": "stored plan" if stored else "plan" if plan else "default",
                "items": [i.id for i in report.items],
            }
        ),
    )


# ------------------------------------------------------------------------------------- the tools


def _progress_reporter(ctx: Context) -> Progress:
    """Forward denoising steps as progress. The SDK sends ``notifications/progress`` only when the
    caller's request carried a progress token (or, in process, a progress callback); otherwise
    ``report_progress`` does nothing."""

    async def report(step: int, total: int) -> None:
        await ctx.report_progress(step, total, f"denoising step {step}/{total}")

    return report


async def _run_edit_tool(cfg: ServerConfig, args: RunEditInput, ctx: Context) -> CallToolResult:
    out, shown = await run_edit(cfg, args, _progress_reporter(ctx))
    # the verdict leads: it starts with what ran instead of the plan, when anything did; a
    # request of several edits first says which one ran and what to call next
    summary = (
        f"{out.verdict}. Next: {out.next_step}. Result {out.result.path} ({out.result.uri}), run "
        f"{out.run_id}. The images below are a preview and source | mask | result."
    )
    if out.remaining:
        first, _, rest = out.next_step.partition(" Then: ")
        summary = (
            f"{first} {out.verdict}. Next: {rest}. Result {out.result.path} "
            f"({out.result.uri}), run {out.run_id}. The images below are a preview and "
            "source | mask | result."
        )
    links = [
        link(out.result, Path(out.result.path).name, "full-size result"),
        link(out.comparison, "comparison.png", "source | mask | result"),
        link(out.plan_file, "plan.json", "the plan as run"),
    ]
    if out.mask is not None:
        links.insert(1, link(out.mask, "mask.png", "the edit mask used"))
    summary, links = with_layers(out.layers, summary, links)
    if out.version_uri is not None:
        summary += f" Recorded as version @{out.version} of session {out.session!r}."
        links.append(
            ResourceLink(
                uri=out.version_uri,
                name=f"version-{out.version}.png",
                description=f"version @{out.version} in the history store",
                mime_type="image/png",
                size=out.result.size,
            )
        )
    return reply(out, summary, shown, links)


async def _check_edit_tool(cfg: ServerConfig, args: CheckEditInput, ctx: Context) -> Any:
    return await check_edit(cfg, args)


RUN_EDIT = ToolSpec(
    "run_edit",
    "Run an image edit",
    "Run a plan (plan_id, or a request planned on the spot) and QA-check the result. The "
    "reply leads with degraded (what ran instead of the plan) and the verdict; then a preview, "
    "a before/after comparison, links to the full-size files, the QA report and provenance. "
    "Progress per denoising step; cancelling stops between steps.",
    RunEditInput,
    RunEditOutput,
    _run_edit_tool,
    Hints(read_only=False, idempotent=False),
)
CHECK_EDIT = ToolSpec(
    "check_edit",
    "Check an edited image",
    "Measure an edited image against a plan's QA checklist: each check's value, limit, "
    "pass/fail and, when it fails, the fix as plan changes. Writes nothing.",
    CheckEditInput,
    CheckEditOutput,
    _check_edit_tool,
    Hints(read_only=True, idempotent=True),
)
