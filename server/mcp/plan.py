"""The planning tools: ``plan_edit`` and ``render_skill_doc``, plus plan loading and overrides.

Pure planner work (Pillow, numpy; no torch). Plans are stored as ``OUT/plans/<plan_id>/plan.json``
with their skill doc beside them; ``plan_id`` is the first 12 hex of the plan's SHA-256, so planning
the same request twice names the same folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import ValidationError
from retouch.executors.hardware import detect_hardware
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.request import CLICK_SOURCES
from retouch.planner.contract.schema import EditPlan, EditRequest
from retouch.server.mcp.brief import plan_text
from retouch.server.mcp.config import ServerConfig, Stopwatch
from retouch.server.mcp.hints import tool_plan
from retouch.server.mcp.history import Source, image_source, load_source
from retouch.server.mcp.outputs import file_ref
from retouch.server.mcp.schemas import (
    Estimate,
    PlanEditInput,
    PlanEditOutput,
    RenderSkillDocInput,
    RenderSkillDocOutput,
)
from retouch.server.mcp.toolkit import Hints, ToolSpec, link, reply
from retouch.server.requests import validation_message


def plan_id(plan: EditPlan) -> str:
    return hashlib.sha256(plan.model_dump_json().encode()).hexdigest()[:12]


def mask_arg(cfg: ServerConfig, mask: str | None, mask_base64: str | None) -> str | None:
    """A tool's mask: the path given, or a base64 upload saved under OUT/inputs/ (its path);
    InputError when both are given. Same size and pixel limits as images."""
    if mask_base64 is None:
        return mask
    return str(cfg.image_file(mask, mask_base64, "mask"))


def store_plan(cfg: ServerConfig, plan: EditPlan) -> tuple[str, Path, Path]:
    """Write plan.json + skill doc under OUT/plans/<id>/. Returns (id, plan path, doc path).

    The folder is named by the plan's content, so planning the same request again finds both
    files there: they are written again only when their bytes would differ (a new template)."""
    from retouch.planner.render import DOC_NAME, PLAN_NAME, render, write_outputs

    pid = plan_id(plan)
    folder = cfg.out_folder("plans", pid)
    path, doc = folder / PLAN_NAME, folder / DOC_NAME
    payload = plan.model_dump_json(indent=2) + "\n"
    if not (_holds(path, payload) and _holds(doc, render(plan, str(path)))):
        doc, path = write_outputs(plan, folder)
    return pid, path, doc


def _holds(path: Path, text: str) -> bool:
    """Whether the regular file ``path`` holds exactly ``text`` (UTF-8)."""
    try:
        return path.is_file() and not path.is_symlink() and path.read_bytes() == text.encode()
    except OSError:
        return False


def make_request_plan(
    cfg: ServerConfig, request: EditRequest, sw: Stopwatch, session: str | None = None
) -> EditPlan:
    """Analyze and plan a request whose image is a confined path or a history version (looked up
    in ``session``; the plan names it by its full id) and whose mask is a confined path."""
    from retouch.planner import analyze, make_plan

    src = image_source(cfg, request.image, None, session)
    sw.read("image", src.path, src.version_id)
    mask = sw.read("mask", cfg.input_file(request.mask, "mask")) if request.mask else None
    request = request.model_copy(update={"image": src.ref, "mask": str(mask) if mask else None})
    if request.guidance is not None:  # a confined path or a version, decoded once to check it
        ref = reference_source(cfg, request.guidance.image, session, sw)
        load_source(cfg, ref, "reference image")
        guidance = request.guidance.model_copy(update={"image": ref.ref})
        request = request.model_copy(update={"guidance": guidance})
    if "hardware" not in request.preferences.model_fields_set:  # plan for this server
        prefs = request.preferences.model_copy(update={"hardware": detect_hardware()})
        request = request.model_copy(update={"preferences": prefs})
    image = load_source(cfg, src)
    edit = cfg.load_mask(mask, image.size) if mask else None
    plan = make_plan(request, analyze(request, image, edit))
    return assess_here(plan, mask_given=mask is not None, image=image)


def reference_source(cfg: ServerConfig, ref: str, session: str | None, sw: Stopwatch) -> Source:
    """A request's reference image (guidance.image): a confined path or a history version,
    recorded in the tool's provenance inputs."""
    src = image_source(cfg, ref, None, session, "reference image")
    sw.read("reference", src.path, src.version_id)
    return src


def assess_here(
    plan: EditPlan, *, mask_given: bool, control_given: bool = False, image: Any = None
) -> EditPlan:
    """The plan with runnable / missing / degraded for this server (no torch, nothing loaded);
    ``image`` (PIL, the plan's source as decoded) spares the envelope check a second decode."""
    import numpy as np
    from retouch.executors.select import for_this_machine

    return tool_plan(
        for_this_machine(
            plan,
            hardware=detect_hardware(),
            control_given=control_given,
            mask_given=mask_given,
            image=None
            if image is None
            else np.asarray(image if image.mode == "RGB" else image.convert("RGB")),
        )
    )


def plan_edit(cfg: ServerConfig, args: PlanEditInput) -> PlanEditOutput:
    sw = Stopwatch("plan_edit")
    # 1. the image: a confined path, a base64 upload saved under OUT/inputs/, or a version
    src = image_source(cfg, args.image, args.image_base64, args.session)
    try:
        request = EditRequest(
            image=src.ref,
            edit=args.edit,
            mask=mask_arg(cfg, args.mask, args.mask_base64),
            sam=args.sam,
            extend=args.extend,
            scene=args.scene,
            guidance=args.guidance,
            preferences=args.preferences,
        )
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from None
    # 2. plan and store it
    plan = make_request_plan(cfg, request, sw, args.session)
    pid, path, doc = store_plan(cfg, plan)
    classical = plan.executor == "classical" or any(d.what == "executor" for d in plan.degraded)
    estimate = Estimate(
        seconds=plan.latency.total_s,
        cold_load_s=plan.latency.cold_load_s,
        vram_gb=0.0 if classical else plan.model.vram_gb,
        hardware=plan.latency.hardware,
        offload=plan.model.offload,
    )
    if plan.mask.source in CLICK_SOURCES:
        step = (
            f"call make_mask with the same image and sam prompt, check the mask, then run_edit "
            f"with plan={pid!r} and mask=<the mask's path>"
        )
    else:
        step = f"call run_edit with plan={pid!r}"
    if args.session and src.version is None:
        step += f" and session={args.session!r} to record the result as a version"
    elif src.version is not None:
        step += f"; its result is recorded in session {src.version.session!r}"
    if plan.warnings:
        step += f"; first consider the plan's warnings ({len(plan.warnings)})"
    if plan.runnable is False:
        step = (
            f"this plan cannot run on this server: {'; '.join(plan.missing)}. Tell the user what "
            "is missing, or plan a different edit"
        )
    elif plan.degraded:
        step = " ".join(d.sentence() for d in plan.degraded) + " Tell the user; then " + step
    return PlanEditOutput(
        plan_id=pid,
        plan=plan,
        plan_file=file_ref(cfg.out_dir, path),
        skill_doc=file_ref(cfg.out_dir, doc),
        estimate=estimate,
        next_step=step,
        provenance=sw.provenance(),
    )


def load_plan_ref(cfg: ServerConfig, ref: str, sw: Stopwatch) -> EditPlan:
    from retouch.planner.render import load_plan

    return load_plan(sw.read("plan", cfg.plan_file(ref)))


def render_skill_doc(cfg: ServerConfig, args: RenderSkillDocInput) -> RenderSkillDocOutput:
    sw = Stopwatch("render_skill_doc")
    plan = load_plan_ref(cfg, args.plan, sw)
    _, _, doc = store_plan(cfg, plan)
    return RenderSkillDocOutput(
        skill_doc=file_ref(cfg.out_dir, doc),
        markdown=doc.read_text(encoding="utf-8"),
        provenance=sw.provenance(),
    )


# ------------------------------------------------------------------------------------- the tools


async def _plan_edit_tool(cfg: ServerConfig, args: PlanEditInput, ctx: Context) -> CallToolResult:
    out = await anyio.to_thread.run_sync(plan_edit, cfg, args)
    files = [
        link(out.plan_file, "plan.json", "the whole plan"),
        link(out.skill_doc, "skill doc", ""),
    ]
    return reply(out, plan_text(out), links=files, json_text=False)


async def _render_tool(
    cfg: ServerConfig, args: RenderSkillDocInput, ctx: Context
) -> RenderSkillDocOutput:
    return await anyio.to_thread.run_sync(render_skill_doc, cfg, args)


PLAN_EDIT = ToolSpec(
    "plan_edit",
    "Plan an image edit",
    "Plan an image edit (no GPU, no weights): mode, model, mask, guidance, prompts and "
    "the rules that fired, with reasons; its plan_id, the skill doc, time and GPU memory; "
    "plan.runnable, missing and degraded say whether and how it runs here.",
    PlanEditInput,
    PlanEditOutput,
    _plan_edit_tool,
    Hints(read_only=False, idempotent=True),
)
RENDER_SKILL_DOC = ToolSpec(
    "render_skill_doc",
    "Render a plan's skill doc",
    "Render a plan to its skill-editing-pipeline.md (the explained, runnable recipe) "
    "and return the text and the file.",
    RenderSkillDocInput,
    RenderSkillDocOutput,
    _render_tool,
    Hints(read_only=False, idempotent=True),
)
