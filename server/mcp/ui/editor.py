"""The mask editor, an MCP App: ``ui://retouch/editor.html`` (one self-contained HTML file, package
data) bound to make_mask and run_edit, and two tools only the page calls (visibility ["app"]):

    view_image(image, session)               -> the image for the page: a display copy inline
                                                (at most VIEW_PX, under 1 MB) and its full size
    commit_mask(image, session, mask_base64) -> the painted mask stored as OUT/masks/<id>.png,
                                                its path for plan_edit / run_edit

A client that did not negotiate Apps (``client_supports_apps``) gets the same tools and results as
before; the app-only tools and the ``_meta.ui`` binding are left out of its tools/list (app.py).
"""

from __future__ import annotations

import base64
import hashlib
from importlib.resources import files
from typing import Any

import anyio.to_thread
from mcp.server.apps import Apps, ResourceCsp
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import array_to_mask
from retouch.server.mcp import outputs
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.history import image_source, load_source
from retouch.server.mcp.schemas import (
    CommitMaskInput,
    CommitMaskOutput,
    ViewImageInput,
    ViewImageOutput,
)
from retouch.server.mcp.toolkit import Hints, Shown, ToolSpec, link, reply

EDITOR_URI = "ui://retouch/editor.html"
VIEW_PX = 1600
VIEW_MAX_BYTES = 700_000
# Tools that show the editor, and where each is visible: None = the model and the app.
BOUND: dict[str, list[str] | None] = {
    "make_mask": None,
    "run_edit": None,
    "view_image": ["app"],
    "commit_mask": ["app"],
}


def editor_html() -> str:
    """The page, read from the installed package (a wheel or a checkout alike), its CSP meta tag
    allowing exactly its one inline script (by the script's SHA-256) and nothing from elsewhere."""
    html = files("retouch.server.mcp.ui").joinpath("editor.html").read_text(encoding="utf-8")
    script = html.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return html.replace("SCRIPT_HASH", f"'sha256-{digest}'", 1)


def apps() -> Apps:
    """The Apps extension: advertises io.modelcontextprotocol/ui and serves the page."""
    ext = Apps()
    ext.add_html_resource(
        EDITOR_URI,
        editor_html(),
        name="retouch-editor",
        title="retouch mask editor",
        description="Paint or click a mask, then compare before and after an edit.",
        prefers_border=True,
        # _meta.ui.csp: the page reaches no origin (no fetch, no loaded resources, no frames)
        csp=ResourceCsp(
            connect_domains=[], resource_domains=[], frame_domains=[], base_uri_domains=[]
        ),
    )
    return ext


def tool_meta(name: str) -> dict[str, Any] | None:
    """``_meta`` binding tool ``name`` to the editor, or None for a tool it does not use."""
    if name not in BOUND:
        return None
    ui: dict[str, Any] = {"resourceUri": EDITOR_URI}
    if BOUND[name] is not None:
        ui["visibility"] = BOUND[name]
    return {"ui": ui}


def app_only(meta: dict[str, Any] | None) -> bool:
    return (meta or {}).get("ui", {}).get("visibility") == ["app"]


# ------------------------------------------------------------------------------------- the tools


def view_image(cfg: ServerConfig, args: ViewImageInput) -> tuple[ViewImageOutput, Shown]:
    src = image_source(cfg, args.image, None, args.session)
    image = load_source(cfg, src)
    shown, mime = outputs.preview(image, VIEW_PX, VIEW_MAX_BYTES)
    out = ViewImageOutput(image=src.ref, width=image.size[0], height=image.size[1])
    return out, Shown([(shown, mime)])


def commit_mask(cfg: ServerConfig, args: CommitMaskInput) -> CommitMaskOutput:
    import numpy as np  # loaded when a mask is committed, not when the server starts

    # 1. check inputs: the image, then the mask (base64 PNG, the image's size, not empty)
    src = image_source(cfg, args.image, None, args.session)
    image = load_source(cfg, src)
    upload = cfg.image_file(None, args.mask_base64, "mask")
    painted = cfg.load_image(upload, "mask")
    if painted.size != image.size:
        raise InputError(
            f"mask_base64 is {painted.size[0]}x{painted.size[1]}, the image is "
            f"{image.size[0]}x{image.size[1]}; they must match"
        )
    alpha = painted.getchannel("A") if "A" in painted.getbands() else None
    grey = np.asarray(painted.convert("L")) > 127
    mask = grey & (np.asarray(alpha) > 127) if alpha is not None else grey
    if not mask.any():
        raise InputError("mask_base64 is empty: paint the region to edit in white")
    # 2. store it where make_mask's masks go
    mask_id = f"{outputs.stamp()}-{hashlib.sha256(mask.tobytes()).hexdigest()[:8]}"
    path = cfg.out_dir / "masks" / f"{mask_id}.png"
    outputs.atomic_write(path, outputs.encode_png(array_to_mask(mask)))
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return CommitMaskOutput(
        mask=outputs.file_ref(cfg.out_dir, path),
        area=float(mask.mean()),
        bbox=(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1),
    )


async def _view_tool(cfg: ServerConfig, args: ViewImageInput, ctx: Context) -> CallToolResult:
    out, shown = await anyio.to_thread.run_sync(view_image, cfg, args)
    return reply(out, f"{out.image}: {out.width}x{out.height}", shown, json_text=False)


async def _commit_tool(cfg: ServerConfig, args: CommitMaskInput, ctx: Context) -> CallToolResult:
    out = await anyio.to_thread.run_sync(commit_mask, cfg, args)
    summary = (
        f"Painted mask covers {out.area:.1%} of the image, box {out.bbox}; saved to "
        f"{out.mask.path}: pass it as mask to plan_edit or run_edit."
    )
    return reply(out, summary, links=[link(out.mask, "mask.png", "the painted mask")])


VIEW_IMAGE = ToolSpec(
    "view_image",
    "Show an image in the editor",
    "Editor app: an image to show, and its size.",
    ViewImageInput,
    ViewImageOutput,
    _view_tool,
    Hints(read_only=True, idempotent=True),
)
COMMIT_MASK = ToolSpec(
    "commit_mask",
    "Use a painted mask",
    "Editor app: store a painted mask, return its path.",
    CommitMaskInput,
    CommitMaskOutput,
    _commit_tool,
    Hints(read_only=False, idempotent=True),
)
