"""QA: measure an edit's result against its plan's checklist, and turn failures into plan changes.

``check(source, result, edit_mask, plan)`` runs every item of ``plan.qa`` (planner/checklist.py: ids,
thresholds, fixes) on the pixels and returns a ``QAReport``: per item the measured value, the limit,
pass / fail / skipped and, when it failed, the fix as changes to the plan. ``apply_fixes``
(executors/qa/fixes.py) applies them; executors/qa/retry.py loops run -> check -> fix. The measures live in
executors/qa/measures.py. Only ``prompt-adherence`` needs weights (CLIP, executors/qa/clip.py, the
one place torch is imported); without them it is reported ``skipped``, never passed. Everything else
uses numpy, Pillow and (lazily) OpenCV and scikit-image.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from retouch.executors.qa import content, fidelity
from retouch.executors.qa import measures as m
from retouch.executors.qa.report import QAReport, QAResult, finish
from retouch.planner import checklist as cl
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import Degradation, EditPlan, Fix, QAItem

# --------------------------------------------------------------------------------------- pixels in


def _geometry(
    source: Image.Image, plan: EditPlan | None
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Expected result size (W, H) and the source's (left, top) offset in it."""
    extend = plan.facts.extend if plan is not None else None
    if extend is None or not extend.any:
        return source.size, (0, 0)
    w, h = source.size
    return (w + extend.left + extend.right, h + extend.top + extend.bottom), (
        extend.left,
        extend.top,
    )


def _region(
    edit_mask: np.ndarray | None,
    plan: EditPlan | None,
    source: Image.Image,
    result_size: tuple[int, int],
    expected: tuple[int, int],
) -> np.ndarray | None:
    """bool (H, W) region regenerated, or None for a whole-image edit. The mask must be the
    result's size (W, H) or, when the result has the wrong size, the expected one."""
    if edit_mask is None:
        if plan is None or plan.mask.source == "none":
            return None
        if plan.mask.source == "canvas" and plan.facts.extend is not None:
            from retouch.executors.images.masks import canvas, prepare

            hard, _ = prepare(
                canvas(source.size, plan.facts.extend),
                invert_it=plan.mask.invert,
                dilate_px=plan.mask.dilate_px,
            )
            return hard
        raise InputError(
            f"the plan edits a region (mask source {plan.mask.source}) but no edit mask "
            "was given; pass the mask of the region that was regenerated"
        )
    arr = np.asarray(edit_mask)
    if arr.ndim != 2:
        raise InputError(f"edit mask has shape {arr.shape}; give a 2-D (H, W) mask, True = edit")
    if (arr.shape[1], arr.shape[0]) not in (result_size, expected):
        w, h = result_size
        raise InputError(
            f"edit mask is {arr.shape[1]}x{arr.shape[0]}, the result is {w}x{h}; give "
            "the mask of the region regenerated in the result (same size)"
        )
    from retouch.executors.images.masks import normalize

    return normalize(arr)


# ----------------------------------------------------------------------------------------- check


def regenerated_region(plan: EditPlan, mask: np.ndarray) -> np.ndarray:
    """The region an executor regenerates for ``plan`` from the mask the user gave: the plan's
    invert and dilation applied (as executors.run.resolve_mask does). bool (H, W), True = edit."""
    from retouch.executors.images.masks import normalize, prepare

    hard, _ = prepare(normalize(mask), invert_it=plan.mask.invert, dilate_px=plan.mask.dilate_px)
    return hard


def default_checklist(has_region: bool) -> list[QAItem]:
    """The checklist used without a plan: a masked inpaint, or a whole-image edit without a mask."""
    return cl.checklist("inpaint", None, warn_prompt=False, has_region=has_region)


def check(
    source: Image.Image,
    result: Image.Image,
    edit_mask: np.ndarray | None,
    plan: EditPlan | None = None,
    degraded: list[Degradation] | None = None,
    written: bytes | None = None,
) -> QAReport:
    """Measure ``result`` against the plan's QA checklist.

    source, result: PIL images (any mode; outpainting: result is the extended canvas, the source
    sits at the plan's extend offset). edit_mask: bool (H, W) on the result's grid, True = the region
    regenerated (after invert/dilate, as executors.run returns it); None = a whole-image edit (or the
    canvas of an outpaint plan). plan: its ``qa`` items, thresholds and feather width are used; None
    -> the default checklist, and the prompt check is skipped. degraded: the run's substitutions
    (``Provenance.degraded``); they lead the verdict. written: the result's file as written (its
    bytes); size-mode then compares what the file holds (re-read) instead of the image in memory
    (``with_written`` does this for a report made before the file was written).
    """
    # 1. check inputs
    for name, img in (("source", source), ("result", result)):
        if not isinstance(img, Image.Image):
            raise InputError(f"{name} is a {type(img).__name__}; give a PIL image")
    if plan is not None and (plan.facts.width, plan.facts.height) != source.size:
        raise InputError(
            f"the plan was made for a {plan.facts.width}x{plan.facts.height} image, the "
            f"source is {source.size[0]}x{source.size[1]}; pass this edit's plan"
        )
    expected, offset = _geometry(source, plan)
    region = fidelity.visible(_region(edit_mask, plan, source, result.size, expected), result)
    items = plan.qa if plan is not None else default_checklist(region is not None)
    # 2. the pixels on the result's grid (only when the geometry matches)
    frame = full = raw = None
    if result.size == expected:
        src, _ = m.channels(source)
        res, nan = m.channels(result)
        shape = (expected[1], expected[0])
        src, known = m.placed(src, shape, offset)
        whole = region is None
        region = np.ones(shape, dtype=bool) if whole else region
        feather = plan.mask.feather_px if plan is not None and not whole else 0
        frame = m.Frame(
            source=src[..., :3],
            result=res[..., :3],
            known=known,
            region=region,
            nan=nan,
            feather=feather,
        )
        raw = (src, res) if src.shape[2] == res.shape[2] else (src[..., :3], res[..., :3])
        full, frame = frame, frame.window(m.WINDOW_PX)
    # 3. every item (and identity when a masked edit's region touches a face)
    items = _with_identity(items, plan, full)
    ctx = _Context(source, result, expected, plan, frame, full, raw, written)
    results = [_measure(item, ctx) for item in items]
    return finish(results, list(degraded or []))


def with_written(
    report: QAReport, source: Image.Image, written: bytes, plan: EditPlan | None = None
) -> QAReport:
    """``report`` with its size-mode item measured again on the result's file as written (its
    bytes, re-read), for a report made before the file was written."""
    expected, _ = _geometry(source, plan)
    held = fidelity.written_facts(written)
    checklist = plan.qa if plan is not None else default_checklist(True)
    item = next((i for i in checklist if i.id == "size-mode"), None)
    if item is None:
        return report
    again = _verdict(item, *fidelity.size_mode(source, held, expected))
    items = [again if r.id == "size-mode" else r for r in report.items]
    return finish(items, list(report.degraded))


@dataclass
class _Context:
    """What every measure may read; frame, full and raw are None when the result has the wrong
    size. frame: cropped around the region (Frame.window); full: the whole frame; raw: the whole
    (source, result), float32 (H, W, C) in the images' own channels, for the byte-exact comparison."""

    source: Image.Image
    result: Image.Image
    expected: tuple[int, int]
    plan: EditPlan | None
    frame: m.Frame | None
    full: m.Frame | None
    raw: tuple[np.ndarray, np.ndarray] | None
    written: bytes | None = None  # the result's file as written, when the caller has it


def _verdict(item: QAItem, value: float, detail: str, fix: Fix | None = None) -> QAResult:
    value = round(float(value), 4)
    ok = {
        "<=": value <= item.threshold,
        ">=": value >= item.threshold,
        "==": value == item.threshold,
    }[item.passes_when]
    return QAResult(
        id=item.id,
        status="pass" if ok else "fail",
        value=value,
        threshold=item.threshold,
        band=item.band,
        fix=None if ok else (fix or item.fix),
        detail=detail,
    )


def _skip(item: QAItem, why: str) -> QAResult:
    return QAResult(
        id=item.id,
        status="skipped",
        value=None,
        threshold=item.threshold,
        band=item.band,
        fix=None,
        detail=why,
    )


def _measure(item: QAItem, ctx: _Context) -> QAResult:
    if item.id == "size-mode":
        return _size_mode(item, ctx)
    if item.id == "prompt":
        return _prompt(item, ctx.plan)
    if item.id == "prompt-adherence":
        return _prompt_adherence(item, ctx)
    measure = _PIXEL_MEASURES.get(item.id)
    if measure is None:
        return _skip(item, f"no measure for check id {item.id!r} in this version of retouch")
    if ctx.frame is None:
        w, h = ctx.expected
        return _skip(
            item,
            f"the result is {ctx.result.size[0]}x{ctx.result.size[1]}, not the "
            f"expected {w}x{h}, so its pixels cannot be compared",
        )
    return measure(item, ctx)


def _size_mode(item: QAItem, ctx: _Context) -> QAResult:
    if ctx.written is not None:
        held = fidelity.written_facts(ctx.written)
    else:
        held = fidelity.memory_facts(ctx.result)
    value, detail = fidelity.size_mode(ctx.source, held, ctx.expected)
    return _verdict(item, value, detail)


def _prompt(item: QAItem, plan: EditPlan | None) -> QAResult:
    if plan is None:
        return _skip(item, "no plan was given, so the prompt is unknown")
    if plan.executor == "classical":
        return _skip(item, "the classical fill uses no prompt")
    whole = plan.prompt.describes_whole_image
    return _verdict(
        item,
        1.0 if whole else 0.0,
        "the prompt describes the whole image"
        if whole
        else f"the prompt {plan.prompt.positive!r} describes only the new content",
    )


def _prompt_adherence(item: QAItem, ctx: _Context) -> QAResult:
    from retouch.executors.qa import clip as qa_clip

    plan = ctx.plan
    if plan is None:
        return _skip(item, "no plan was given, so the prompt is unknown")
    if plan.executor == "classical":
        return _skip(item, "the classical fill uses no prompt")
    folder = qa_clip.clip_folder()
    if folder is None:
        wanted = os.environ.get("RETOUCH_CLIP_MODEL")
        where = (
            f"RETOUCH_CLIP_MODEL={wanted} is neither a CLIP folder nor in the local Hugging Face cache"
            if wanted
            else f"put {qa_clip.DEFAULT_CLIP} in the local Hugging Face cache or set "
            "RETOUCH_CLIP_MODEL to a CLIP folder"
        )
        return _skip(item, f"needs CLIP weights, none found: {where}")
    if ctx.full is None:
        return _skip(item, "the result has the wrong size, so its pixels cannot be compared")
    full = ctx.full
    return _verdict(
        item,
        *qa_clip.adherence(folder, full.source, full.result, full.region, plan.prompt.positive),
    )


def _outside(item: QAItem, ctx: _Context) -> QAResult:
    assert ctx.full is not None and ctx.raw is not None  # _measure guarantees it
    outside = ctx.full.outside
    if not outside.any():
        return _skip(item, "no pixel lies outside the edit region")
    worst, n = m.outside_difference(ctx.raw[0], ctx.raw[1], outside)
    return _verdict(
        item,
        worst,
        f"{n} of {int(outside.sum())} pixels outside the edit region "
        f"differ from the source (largest difference {worst:g})",
    )


def _simple(
    fn: Callable[[m.Frame], tuple[float, str] | None], why_skipped: str, whole: bool = False
) -> Callable[[QAItem, _Context], QAResult]:
    """A check that is one measure of the frame: the region's window, or with ``whole`` the whole
    frame (for measures that look beyond the window)."""

    def measure(item: QAItem, ctx: _Context) -> QAResult:
        frame = ctx.full if whole else ctx.frame
        assert frame is not None  # _measure guarantees it
        got = fn(frame)
        if got is None:
            return _skip(item, why_skipped)
        return _verdict(item, *got)

    return measure


def _structure(item: QAItem, ctx: _Context) -> QAResult:
    assert ctx.frame is not None  # _measure guarantees it
    got = m.structure(ctx.frame)
    if got is None:
        return _skip(item, "no regenerated pixel has a source pixel to compare with")
    value, detail = got
    lo, hi = item.band or (item.threshold, 1.0)
    plan = ctx.plan
    mode = plan.mode if plan is not None else "sdedit"
    image_guidance = plan is not None and plan.guidance.image is not None
    if value < lo:
        fix = cl.structure_fix(mode, too_far=True, image_guidance=image_guidance)
        return _verdict(
            item,
            value,
            f"{detail}: below the band {lo:g}-{hi:g}, the edit went over the fidelity cliff",
            fix,
        )
    result = _verdict(item, value, f"{detail}: within the band {lo:g}-{hi:g}")
    if value > hi:
        return result.model_copy(
            update={
                "status": "fail",
                "detail": f"{detail}: above the band {lo:g}-{hi:g}, the edit barely "
                "changed the image",
                "fix": cl.structure_fix(mode, too_far=False, image_guidance=image_guidance),
            }
        )
    return result


def _mask_fit(item: QAItem, ctx: _Context) -> QAResult:
    assert ctx.full is not None  # _measure guarantees it
    got = content.mask_fit(ctx.full, ctx.plan)
    if got is None:
        return _skip(item, "no plan or no mask to judge")
    value, detail, problems = got
    result = _verdict(item, value, detail)
    if problems:
        return result.model_copy(
            update={"status": "fail", "fix": item.fix, "detail": "; ".join([*problems, detail])}
        )
    return result


def _with_identity(
    items: list[QAItem], plan: EditPlan | None, full: m.Frame | None
) -> list[QAItem]:
    """``items`` plus ``identity`` when a masked edit's region touches a face the face models find
    in the source: a mask file or a SAM mask over a face is known only when it runs."""
    from retouch.executors.qa.identity import removes_a_person, touches_face
    from retouch.planner.language.faces import changes_face

    if full is None or full.region.all() or any(i.id == "identity" for i in items):
        return items
    removal = plan is not None and removes_a_person(plan)
    if not touches_face(np.clip(full.source, 0, 255).astype(np.uint8), full.region, removal):
        return items
    mode, edit = (plan.mode, plan.request.edit) if plan is not None else ("inpaint", "")
    return [*items, cl.identity(mode, changes_face(edit))]


def _identity(item: QAItem, ctx: _Context) -> QAResult:
    """The largest embedding distance between a face the edit touches and the result's face
    there (executors/qa/identity.py); a face-changing edit's distance is reported, not judged."""
    from retouch.executors.qa.identity import face_distances

    full = ctx.full
    assert full is not None  # _measure guarantees it
    src, res = (np.clip(a, 0, 255).astype(np.uint8) for a in (full.source, full.result))
    whole = bool(full.region.all())
    got = face_distances(src, res, None if whole else full.region)
    if isinstance(got, str):
        return _skip(item, f"{got}: identity not checked")
    value = max(d for _, d, _ in got)
    lost = sum(not again for _, _, again in got)
    seen = f"{len(got)} face(s)" + (
        f"; {lost} not found again in the result (read in the source's box)" if lost else ""
    )
    if item.threshold >= cl.IDENTITY_REPORT_ONLY:
        return _verdict(
            item,
            value,
            f"distance {value:.2f} over {seen}, reported only: the edit is meant to "
            f"change the face (over {cl.IDENTITY_MAX:g} it reads as another person)",
        )
    kept = value <= item.threshold
    words = "identity kept" if kept else "the face changed"
    return _verdict(item, value, f"{words}: {value:.2f} over {seen} (limit {item.threshold:g})")


_PIXEL_MEASURES: dict[str, Callable[[QAItem, _Context], QAResult]] = {
    "outside-unchanged": _outside,
    "seam": _simple(m.seam, "the edit region has no edge inside the image"),
    "color-shift": _simple(m.color_shift, "the edit region has no border ring to compare with"),
    "saturation": _simple(m.saturation, "the edit region is empty"),
    "structure": _structure,
    "blank": _simple(m.blank, "the edit region is empty"),
    "changed": _simple(
        content.changed,
        "no pixel of the edit region has a source pixel, or the region already matches a fill "
        "from its border (nothing left to remove)",
    ),
    "repetition": _simple(
        content.repetition, "the region leaves no source to compare with", whole=True
    ),
    "mask-fit": _mask_fit,
    "identity": _identity,
}


__all__ = [
    "check",
    "default_checklist",
    "regenerated_region",
    "with_written",
]
