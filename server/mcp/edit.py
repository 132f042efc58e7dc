"""The edit tools: ``run_edit`` (on the GPU worker) and ``check_edit``.

Heavy modules (executors.run and what it loads: torch, diffusers, OpenCV, segment-anything) are
imported inside the jobs, on the worker thread, the first time a tool needs them. A module that is
not in this build yet becomes ModelMissingError "<feature> is not available yet in this build".
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, ResourceLink
from PIL import Image
from retouch.planner.errors import InputError
from retouch.planner.imageio import array_to_mask, read_mask
from retouch.planner.schema import Degradation, EditPlan
from retouch.server.history.hooks import record_edit
from retouch.server.mcp import outputs
from retouch.server.mcp.config import ServerConfig, Stopwatch
from retouch.server.mcp.hints import tool_degraded, tool_words
from retouch.server.mcp.history import VERSION_URI, image_source, load_source, run_session
from retouch.server.mcp.plan import (
    apply_overrides,
    load_plan_ref,
    make_request_plan,
    mask_arg,
    reference_source,
)
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
    mask_ref = mask_arg(cfg, args.mask, args.mask_base64) or plan.request.mask
    mask_path = sw.read("mask", cfg.input_file(mask_ref, "mask")) if mask_ref else None
    control = args.control
    control_path = sw.read("control", cfg.image_file(control, None, "control")) if control else None
    guide = plan.request.guidance
    ref_src = reference_source(cfg, guide.image, args.session, sw) if guide else None
    _confine_weights(cfg, plan)
    extra = cfg.new_output(args.output) if args.output else None
    plan_hash = hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:8]
    run_id = (
        f"{outputs.stamp()}-{plan_hash}-{secrets.token_hex(2)}"  # unique even for the same plan
    )
    run_dir = cfg.out_folder("runs") / run_id

    # 2. the edit and its QA, on the GPU worker (or, with serve --pool, on a Ray Serve replica)
    def inputs():  # type: ignore[no-untyped-def]
        image = load_source(cfg, src)
        mask = read_mask(mask_path, image.size) if mask_path else None
        control = cfg.load_image(control_path, "control") if control_path else None
        return image, mask, control

    def job(cancel: threading.Event, progress: Callable[[int, int], None] | None):  # type: ignore[no-untyped-def]
        image, mask, control = inputs()
        ref = load_source(cfg, ref_src, "reference image") if ref_src else None
        return image, *run_and_check(
            plan, image, mask, control, args.executor, progress, cancel, reference=ref
        )

    if cfg.pool is not None and ref_src is not None:
        raise InputError(
            "reference images do not travel to the executor pool yet; run this edit on a "
            "server started without --pool"
        )
    if cfg.pool is not None:  # a thin front: the job goes out as bytes, the result comes back
        image, mask, control = await anyio.to_thread.run_sync(inputs)
        out, report = await cfg.pool.run_edit(
            plan, image, mask, control, args.executor, on_progress
        )
    else:
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
                source=image,
            )
        )
    vid = version.id if version else None
    provenance = sw.provenance(out.provenance.model_dump(mode="json"), version=vid)
    outputs.atomic_write(run_dir / "provenance.json", provenance.model_dump_json(indent=2).encode())
    ref = outputs.file_ref
    step = _next_step(report)
    if vid is not None:
        step += (
            f"; recorded as @{vid} in session {session!r} (edit it next with image '@current'; "
            "undo with revert to '@current~1')"
        )
    report = report.model_copy(update={"degraded": tool_degraded(report.degraded, "run_edit")})
    result = RunEditOutput(
        degraded=report.degraded,
        verdict=tool_words(report.verdict),
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
        parent=version.parent if version else None,
        version_uri=VERSION_URI.format(id=vid) if vid else None,
        provenance=provenance,
    )
    return result, Shown(files.shown)


def run_and_check(
    plan: EditPlan,
    image: Image.Image,
    mask: Any,
    control: Image.Image | None,
    executor: str,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event,
    reference: Image.Image | None = None,
) -> tuple[Any, Any]:
    """(RunOutput, QA report): the edit and the checklist of what actually ran (a classical
    fallback used no prompt). The local worker and a pool replica both run exactly this;
    ``reference`` is the plan's reference image, read by the caller (None: run_plan reads the
    plan's path, or the plan has none)."""
    run = feature("retouch.executors.run", "run_edit")
    qa = feature("retouch.executors.qa.check", "QA")
    out = run.run_plan(
        plan,
        image=image,
        mask=mask,
        control=control,
        reference=reference,
        executor=executor,
        progress=progress,
        cancel=cancel,
    )
    ran = plan.model_copy(update={"executor": out.provenance.executor})
    return out, qa.check(image, out.image, out.edit_mask, ran, out.provenance.degraded)


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
        before = load_source(cfg, source, "source")
        after = load_source(cfg, result, "result")
        if mask_path is not None:
            mask = read_mask(mask_path, after.size)
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
    # the verdict leads: it starts with what ran instead of the plan, when anything did
    summary = (
        f"{out.verdict}. Next: {out.next_step}. Result {out.result.path} ({out.result.uri}), run "
        f"{out.run_id}. The images below are a preview and source|result."
    )
    links = [
        link(out.result, "result.png", "full-size result"),
        link(out.comparison, "comparison.jpg", "source | result"),
        link(out.plan_file, "plan.json", "the plan as run"),
    ]
    if out.mask is not None:
        links.insert(1, link(out.mask, "mask.png", "the edit mask used"))
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
