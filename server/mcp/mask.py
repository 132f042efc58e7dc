"""The ``make_mask`` tool: a mask from words (SAM 3, every instance listed and numbered in the
overlay) or from clicks and/or a box (SAM 1 / SAM 2.1, else GrabCut), saved under the output folder
for ``plan_edit`` / ``run_edit``, with an overlay preview.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from retouch.planner.contract.atomic import confined
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import array_to_mask
from retouch.planner.contract.schema import SamPrompt
from retouch.server.edits import images
from retouch.server.edits.masks import find_mask
from retouch.server.mcp import outputs
from retouch.server.mcp.config import ServerConfig, Stopwatch
from retouch.server.mcp.hints import tool_words
from retouch.server.mcp.history import image_source, load_source
from retouch.server.mcp.numbered import numbered_overlay
from retouch.server.mcp.reads import read_once
from retouch.server.mcp.schemas import InstanceInfo, MakeMaskInput, MakeMaskOutput
from retouch.server.mcp.toolkit import Hints, Shown, ToolSpec, link, reply

if TYPE_CHECKING:  # numpy and Pillow load when a mask is made, not at `retouch serve`'s start
    import numpy as np
    from PIL import Image


async def make_mask(cfg: ServerConfig, args: MakeMaskInput) -> tuple[MakeMaskOutput, Shown]:
    sw = Stopwatch("make_mask")
    # 1. check inputs before anything loads
    src = image_source(cfg, args.image, args.image_base64, args.session)
    # a file is read here, once (no symlink followed), and its bytes decoded on the worker: a
    # folder swapped for a symlink after the check is never read (server/mcp/reads.py)
    f = None if src.version else read_once(cfg, sw, "image", src.path)
    if f is None:
        sw.read("image", src.path, src.version_id)
    extra = cfg.new_output(args.output) if args.output else None
    prompt, pick = _prompt(args)

    # the SAM checkpoint is the server's setting ($RETOUCH_SAM_CHECKPOINT), read from its files
    knobs = {"checkpoint": None, "sam_type": "auto", "pick": pick, "instance": args.instance}
    knobs |= {"invert": args.invert, "dilate_px": args.dilate_px}

    def decode() -> Image.Image:
        if f is None:
            return load_source(cfg, src)
        return images.decode_input(f.data, "image", f.path.name, cfg.max_pixels)

    def job(cancel: threading.Event, progress: object) -> tuple[np.ndarray, object, Image.Image]:
        image = decode()
        return *find_mask(image, prompt, **knobs), image  # server/edits/masks.py

    if cfg.pool is not None:  # a thin front: SAM runs on the pool's Segmenter
        image = await anyio.to_thread.run_sync(decode)
        mask, found = await cfg.pool.make_mask(image, prompt, knobs)
    else:
        mask, found, image = await cfg.worker.run(job)
    # 2. write the mask and describe it
    mask_id = f"{outputs.stamp()}-{hashlib.sha256(mask.tobytes()).hexdigest()[:8]}"
    path = cfg.out_folder("masks") / f"{mask_id}.png"
    png = outputs.encode_png(array_to_mask(mask))
    with confined(cfg.roots.contains):  # each folder opened once, no symlink followed
        outputs.atomic_write(path, png)
        if extra is not None:
            outputs.atomic_write(extra, png)
    out = _output(cfg, args, sw, src.ref, path, extra, mask, found, prompt, pick)
    preview = outputs.mask_overlay(image, mask)
    if found.instances:
        boxes = [(i.id, i.box) for i in found.instances]
        preview = numbered_overlay(preview, image.size, boxes, found.chosen)
    return out, Shown([(preview, "image/jpeg")])


def _output(
    cfg: ServerConfig,
    args: MakeMaskInput,
    sw: Stopwatch,
    image_ref: str,
    path: Path,
    extra: Path | None,
    mask: np.ndarray,
    found: Any,
    prompt: SamPrompt,
    pick: str | None,
) -> MakeMaskOutput:
    """The tool's structured result: the mask file, its box and area, what segmented it."""
    import numpy as np

    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return MakeMaskOutput(
        image=image_ref,
        mask=outputs.file_ref(cfg.out_dir, path),
        output=str(extra) if extra else None,
        method=found.method,
        score=float(found.score),
        note=tool_words(found.note),
        area=float(mask.mean()),
        bbox=(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1),
        instances=[
            InstanceInfo(
                id=i.id,
                box=tuple(round(v) for v in i.box),  # type: ignore[arg-type]
                score=round(i.score, 4),
                area=round(i.area, 4),
            )
            for i in found.instances
        ],
        chosen=list(found.chosen),
        provenance=sw.provenance(
            {
                "method": found.method,
                "sam_type": found.sam_type,
                "prompt": prompt.model_dump(mode="json", exclude_defaults=True),
                "pick": pick,
                "invert": args.invert,
                "dilate_px": args.dilate_px,
            }
        ),
    )


def _prompt(args: MakeMaskInput) -> tuple[SamPrompt, str | None]:
    """The SamPrompt to segment and the pick the words make; InputError for no or mixed prompts."""
    text = args.text if args.text is not None else args.sam.text
    if args.text is not None and args.sam.text not in (None, args.text):
        raise InputError("give the words once: in text, or in sam.text")
    if text is None:
        return args.sam, None
    if args.sam.points or args.sam.box is not None:
        raise InputError(
            "give text or sam points/box, not both: words pick among what SAM 3 finds, clicks "
            "and a box mark one object"
        )
    from retouch.planner.language.picks import read  # the language rooms compile on import: ~0.1 s

    target = read(text)
    return SamPrompt(text=target.text), target.pick


# ------------------------------------------------------------------------------------- run_edit


async def _make_mask_tool(cfg: ServerConfig, args: MakeMaskInput, ctx: Context) -> CallToolResult:
    out, shown = await make_mask(cfg, args)
    summary = (
        f"Mask by {out.method} (score {out.score:.2f}) covers {out.area:.1%} of the image, "
        f"box {out.bbox}; saved to {out.mask.path}. {out.note}"
    )
    if out.instances:
        summary += (
            " Instances (numbered in the overlay): "
            + "; ".join(f"#{i.id} box {i.box} score {i.score:.2f}" for i in out.instances)
            + ". Pass instance=N (or all) to use another."
        )
    return reply(out, summary, shown, [link(out.mask, "mask.png", "the mask, white = edit")])


MAKE_MASK = ToolSpec(
    "make_mask",
    "Make an edit mask",
    "Mask an object named in words (SAM 3: every instance listed and numbered; 'on the left', "
    "'all' choose; face words such as 'her glasses' use the face models) or marked by clicks "
    "and/or a box (Segment Anything, else GrabCut); returns "
    "the mask's path (white = edit) and an overlay preview.",
    MakeMaskInput,
    MakeMaskOutput,
    _make_mask_tool,
    Hints(read_only=False, idempotent=False),
)
