"""The edit mask of a plan: where it comes from, and how the plan prepares it.

The mask's source is the plan's (``mask.source``): a mask file (given), the new canvas of an
outpaint (canvas), Segment Anything from the request's points or box (sam-points / sam-box, via
``retouch.executors.segment.dispatch``, which falls back to GrabCut without a checkpoint), SAM 3 from the
plan's words (text: ``mask.text`` and ``mask.pick``; no fallback), the face models from the plan's
face words (face: ``mask.part`` of the face ``mask.pick`` chooses, ``retouch.executors.segment.faces``), or none (a whole-image edit). A mask passed in replaces the source. The plan's ``invert`` and ``dilate_px`` are then
applied. Convention: bool (H, W) on the result canvas, True = regenerate.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image
from retouch.executors.images import masks
from retouch.executors.images import modes as imagemodes
from retouch.executors.segment.checkpoints import CHECKPOINT_ENV as SAM_ENV
from retouch.planner.contract.errors import InputError, ModelMissingError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.imageio import read_mask
from retouch.planner.contract.schema import EditPlan, SamPrompt


def canvas_size(plan: EditPlan, size: tuple[int, int]) -> tuple[int, int]:
    """(W, H) of the result: the source's, extended for outpainting."""
    e = plan.request.extend
    if plan.mode == "outpaint" and e is not None and e.any:
        return size[0] + e.left + e.right, size[1] + e.top + e.bottom
    return size


def _sam_mask(plan: EditPlan, image: Image.Image, checkpoint: str | None) -> tuple[np.ndarray, str]:
    named = plan.mask.source == "text" and plan.mask.text is not None
    if not named and (plan.request.sam is None or plan.request.sam.empty):
        raise InputError(
            "the plan's mask comes from Segment Anything but its request has no "
            "clicks or box; plan again with one",
            [hint("points"), hint("box")],
        )
    try:
        from retouch.executors.segment.dispatch import segment
    except ImportError as exc:
        raise ModelMissingError(
            "the Segment Anything executor (executors.segment.sam) is not "
            "installed; give a mask file instead",
            [hint("mask")],
        ) from exc
    rgb = Image.fromarray(imagemodes.split(image).rgb)
    if named:  # SAM 3 from the plan's words; never GrabCut
        found = segment(
            rgb, SamPrompt(text=plan.mask.text), checkpoint=checkpoint, pick=plan.mask.pick
        )
        return masks.normalize(found.mask), found.sam_type or "sam3"  # sam3 | sam3-litetext
    found = segment(
        rgb, plan.request.sam, checkpoint=checkpoint, sam_type=plan.mask.sam_model or "vit_b"
    )
    return masks.normalize(found.mask), str(getattr(found, "method", "sam"))


def box_is_the_mask(plan: EditPlan, checkpoint: str | None) -> bool:
    """True when a box alone is the mask as drawn: the weight-free fill is planned, the prompt is
    one box (no clicks, no words) and no Segment Anything checkpoint is configured. The fill
    rebuilds the whole box from its surroundings, so the box is a sound removal mask; GrabCut's
    colour cut would only narrow it (and on thin objects, a mast on sky, it separates nothing).
    A box with SAM, or with clicks, or for a model, is still segmented."""
    sam = plan.request.sam
    return (
        plan.executor == "classical"
        and plan.mask.source == "sam-box"
        and sam is not None
        and sam.box is not None
        and not sam.points
        and not sam.text
        and not (checkpoint or os.environ.get(SAM_ENV))
    )


def _box_mask(plan: EditPlan, size: tuple[int, int]) -> np.ndarray:
    """bool (H, W): the request's box (XYXY px, clipped to the image)."""
    w, h = size
    x0, y0, x1, y1 = plan.request.sam.box  # type: ignore[union-attr]
    mask = np.zeros((h, w), dtype=bool)
    mask[max(0, round(y0)) : min(h, round(y1)), max(0, round(x0)) : min(w, round(x1))] = True
    return mask


def _face_mask(plan: EditPlan, image: Image.Image) -> np.ndarray:
    """The plan's face part (``mask.part``) on the face its words pick, from the face models."""
    from retouch.executors.segment.faces import face_mask

    rgb = imagemodes.split(image).rgb
    return masks.normalize(face_mask(rgb, plan.mask.part or "face", plan.mask.pick).mask)


def resolve_with_source(
    plan: EditPlan, image: Image.Image, mask: np.ndarray | None, sam_checkpoint: str | None
) -> tuple[np.ndarray | None, str]:
    """(edit mask after invert and dilate, or None; where the mask came from)."""
    want = canvas_size(plan, image.size)
    source = plan.mask.source
    if mask is not None:
        raw, how = masks.normalize(mask), "passed in"
    elif source == "none":
        return None, "none"
    elif source == "given":
        if plan.request.mask is None:
            raise InputError(
                "the plan's mask source is 'given' but its request names no mask "
                "file; give the mask file",
                [hint("mask")],
            )
        raw, how = read_mask(plan.request.mask, image.size), "file"
    elif source == "face":
        raw, how = _face_mask(plan, image), "face"
    elif box_is_the_mask(plan, sam_checkpoint):
        raw, how = _box_mask(plan, image.size), "box"
    elif source == "canvas":
        if plan.request.extend is None or not plan.request.extend.any:
            raise InputError(
                "the plan outpaints but its request has no canvas extension; plan again with one",
                [hint("extend")],
            )
        raw, how = masks.canvas(image.size, plan.request.extend), "canvas"
    else:
        raw, how = _sam_mask(plan, image, sam_checkpoint)
    if raw.shape != (want[1], want[0]):
        raise InputError(
            f"mask is {raw.shape[1]}x{raw.shape[0]}, image is {want[0]}x{want[1]}; "
            "they must match: resize the mask to the image (nearest-neighbour)"
        )
    edit = masks.invert(raw) if plan.mask.invert else raw
    return masks.dilate(edit, plan.mask.dilate_px), how


def resolve_mask(
    plan: EditPlan,
    image: Image.Image,
    *,
    mask: np.ndarray | None = None,
    sam_checkpoint: str | None = None,
) -> np.ndarray | None:
    """The edit mask on the result canvas: bool (H, W), True = regenerate; None = whole image.

    ``mask`` (any array masks.normalize reads) replaces the plan's mask source, e.g. a SAM mask the
    caller already made; otherwise the plan's source decides: given -> the request's mask file,
    canvas -> the new canvas area, sam-points/sam-box -> executors.segment.sam (Segment Anything, or
    its GrabCut fallback without a checkpoint), none -> None. The plan's ``invert`` and
    ``dilate_px`` are then applied.
    """
    return resolve_with_source(plan, image, mask, sam_checkpoint)[0]
