"""The ``make_mask`` tool: a mask from clicks and/or a box (Segment Anything, else GrabCut), saved
under the output folder for ``plan_edit`` / ``run_edit``, with an overlay preview.
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from PIL import Image

from planner.errors import InputError
from planner.imageio import array_to_mask
from server.mcp import outputs
from server.mcp.config import ServerConfig, Stopwatch
from server.mcp.history import image_source, load_source
from server.mcp.schemas import MakeMaskInput, MakeMaskOutput
from server.mcp.toolkit import BASE64_NOTE, Hints, Shown, ToolSpec, feature, link, reply


async def make_mask(cfg: ServerConfig, args: MakeMaskInput) -> tuple[MakeMaskOutput, Shown]:
    sw = Stopwatch("make_mask")
    # 1. check inputs before anything loads
    src = image_source(cfg, args.image, args.image_base64, args.session)
    sw.read("image", src.path, src.version_id)
    checkpoint = cfg.input_file(args.checkpoint, "checkpoint") if args.checkpoint else None
    extra = cfg.new_output(args.output) if args.output else None

    def job(cancel: threading.Event, progress: object) -> tuple[np.ndarray, object, Image.Image]:
        segment = feature("executors.segment.sam", "make_mask")
        masks = feature("executors.images.masks", "make_mask")
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
    mask_id = f"{outputs.stamp()}-{hashlib.sha256(mask.tobytes()).hexdigest()[:8]}"
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


async def _make_mask_tool(cfg: ServerConfig, args: MakeMaskInput, ctx: Context) -> CallToolResult:
    out, shown = await make_mask(cfg, args)
    summary = (
        f"Mask by {out.method} (score {out.score:.2f}) covers {out.area:.1%} of the image, "
        f"box {out.bbox}; saved to {out.mask.path}. {out.note}"
    )
    return reply(out, summary, shown, [link(out.mask, "mask.png", "the mask, white = edit")])


MAKE_MASK = ToolSpec(
    "make_mask",
    "Make an edit mask",
    "Segment the object marked by points and/or a box (Segment Anything when a "
    "checkpoint is available, else GrabCut) and save it as a mask (white = edit); "
    "returns the mask's path and a red overlay preview." + BASE64_NOTE,
    MakeMaskInput,
    MakeMaskOutput,
    _make_mask_tool,
    Hints(read_only=False, idempotent=False),
)
