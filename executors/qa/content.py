"""Weight-free content checks: did the edit change the region, is the new area a copy of the source,
does the mask fit the request.

Each measure takes a ``Frame`` (executors/qa/measures.py) and returns (value, one-line detail), or
None when it cannot be measured; ``mask_fit`` also reads the plan. planner/checklist.py holds the
thresholds and the measurements that set them (tests/bench/bench_qa_thresholds.py).
"""

from __future__ import annotations

import numpy as np

from executors.qa.measures import Frame, grey
from planner.schema import EditPlan

WORK_SIDE = 256  # long side (px) of the region's window that `changed` runs at
FLOOR = 2.0  # grey levels: the least change a plain fill is credited with (a flat region)
NOTHING_LEFT = 1.5  # grey levels: a plain fill changing less than this finds nothing to remove
REPEAT_SIDE = 256  # long side (px) of the image that `repetition` searches at
BLOCK = 16  # px at that scale: the blocks of the new area looked up in the source
TEXTURE_STD = 6.0  # grey levels: a block flatter than this cannot be told from any other
CORNER_MIN = 2.0  # grey levels per px: the weaker gradient direction of a usable block
COPY_ERROR = 0.1  # a block is a copy when the best match leaves under 10% of its variance
SMOOTH_SIGMA = 1.0  # px at that scale: blur before matching (sub-pixel offsets, mild blur)
MIN_BLOCKS = 8  # the fraction is over at least this many blocks (a few blocks are not a pattern)
MAX_BLOCKS = 32  # blocks looked up per check (evenly spaced among the textured ones)


def _resized(frame: Frame, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(source grey, result grey, region, known) at most ``side`` px on the long side."""
    import cv2

    h, w = frame.region.shape
    scale = min(1.0, side / max(h, w))
    src, res = grey(frame.source), grey(frame.result)
    region, known = frame.region & ~frame.nan, frame.known
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        src = cv2.resize(src, size, interpolation=cv2.INTER_AREA)
        res = cv2.resize(res, size, interpolation=cv2.INTER_AREA)
        region = cv2.resize(region.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5
        known = cv2.resize(known.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.99
    return src, res, region, known


# ----------------------------------------------------------------------------------------- changed


def changed(frame: Frame) -> tuple[float, str] | None:
    """How far the result moved from the source inside the region, relative to a plain fill.

    value = mean |result - source| (grey levels) over the region's pixels that have a source, divided
    by the same for an OpenCV Telea fill of the region from its border (at least FLOOR): 0 = the
    region is untouched, about 1 = changed as much as filling it from its surroundings. Runs on the
    region's window at most WORK_SIDE px on the long side. None when no region pixel has a source,
    or when the region already is what a fill makes of it (the plain fill moves it less than
    NOTHING_LEFT grey levels: e.g. removing again what an earlier edit removed).
    """
    import cv2

    src, res, region, known = _resized(frame, WORK_SIDE)
    where = region & known
    if not where.any():
        return None
    hole = region.astype(np.uint8) * 255
    telea = cv2.inpaint(np.clip(src, 0, 255).astype(np.uint8), hole, 3, cv2.INPAINT_TELEA)
    moved = float(np.abs(res - src)[where].mean())
    fill = float(np.abs(telea.astype(np.float32) - src)[where].mean())
    if fill < NOTHING_LEFT:
        return None
    value = moved / max(fill, FLOOR)
    return value, (
        f"the result differs from the source by {moved:.1f} grey levels on average inside the "
        f"region; a plain fill from its border differs by {fill:.1f}"
    )


# -------------------------------------------------------------------------------------- repetition


def _windows_clear(blocked: np.ndarray, side: int) -> np.ndarray:
    """bool (H-side+1, W-side+1): top-left corners of side x side windows with no blocked pixel."""
    import cv2

    counts = cv2.boxFilter(
        blocked.astype(np.float32), -1, (side, side), normalize=False, anchor=(0, 0)
    )
    h, w = blocked.shape
    return counts[: h - side + 1, : w - side + 1] < 0.5


def _textured_blocks(res: np.ndarray, region: np.ndarray) -> list[tuple[int, int]]:
    """Top-left corners of BLOCK x BLOCK blocks inside ``region`` with texture in both directions:
    grey std >= TEXTURE_STD and the smaller eigenvalue of the block's structure tensor (as
    sqrt(mean), grey levels per px) >= CORNER_MIN. A block on one straight edge or stripe matches
    itself shifted along it (the aperture problem), so only blocks with 2-D structure are used."""
    import cv2

    gx = cv2.Sobel(res, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(res, cv2.CV_32F, 0, 1, ksize=3) / 8
    h, w = region.shape
    corners = []
    for y in range(0, h - BLOCK + 1, BLOCK):
        for x in range(0, w - BLOCK + 1, BLOCK):
            win = (slice(y, y + BLOCK), slice(x, x + BLOCK))
            if not region[win].all() or res[win].std() < TEXTURE_STD:
                continue
            bx, by = gx[win], gy[win]
            a, b, c = float((bx * bx).mean()), float((by * by).mean()), float((bx * by).mean())
            lam = (a + b) / 2 - np.sqrt(((a - b) / 2) ** 2 + c**2)
            if np.sqrt(max(lam, 0.0)) >= CORNER_MIN:
                corners.append((y, x))
    if len(corners) > MAX_BLOCKS:
        pick = np.linspace(0, len(corners) - 1, MAX_BLOCKS).round().astype(int)
        corners = [corners[i] for i in pick]
    return corners


def repetition(frame: Frame) -> tuple[float, str] | None:
    """Fraction of the new area's textured blocks that are copies of the source elsewhere.

    At most REPEAT_SIDE px on the long side, the region is cut into BLOCK x BLOCK blocks; each block
    with texture (grey std >= TEXTURE_STD; flat blocks match anything) is looked up, as it is and
    mirrored left-right, top-bottom and both, in the source where it lies wholly outside the region.
    A block is a copy when the best match's mean squared difference is under COPY_ERROR of the
    block's variance (a shifted, mirrored or quilted copy, even blurred a little, scores near 0; new
    content does not). value = copies / textured blocks (0 when no block is textured). None when no
    block fits in the region or the source has no window outside it.
    """
    import cv2

    src, res, region, known = _resized(frame, REPEAT_SIDE)
    blocks = _textured_blocks(res, region)
    # a copy from an odd offset lands half a pixel off after resizing: compare slightly blurred
    src = cv2.GaussianBlur(src, (0, 0), SMOOTH_SIGMA)
    res = cv2.GaussianBlur(res, (0, 0), SMOOTH_SIGMA)
    if min(src.shape) < BLOCK:
        return None
    clear = _windows_clear(region | ~known, BLOCK)
    if not clear.any() or not region.any():
        return None
    if not blocks:
        return 0.0, "no block of the new area has texture enough to be a visible copy"
    copies = 0
    for y, x in blocks:
        block = np.ascontiguousarray(res[y : y + BLOCK, x : x + BLOCK])
        var = max(float(block.var()), 1e-6) * BLOCK * BLOCK
        best = np.inf
        for variant in (block, block[:, ::-1], block[::-1, :], block[::-1, ::-1]):
            ssd = cv2.matchTemplate(src, np.ascontiguousarray(variant), cv2.TM_SQDIFF)
            best = min(best, float(ssd[clear].min()))
        copies += best / var < COPY_ERROR
    value = copies / max(len(blocks), MIN_BLOCKS)
    return value, (
        f"{copies} of {len(blocks)} textured blocks of the new area are shifted or mirrored "
        "copies of the source"
    )


# ---------------------------------------------------------------------------------------- mask fit


def mask_fit(frame: Frame, plan: EditPlan | None) -> tuple[float, str, list[str]] | None:
    """(edge ratio, detail, problems): whether a segmenter's mask fits the request.

    frame: the whole frame (not windowed). The object's mask is the region with the plan's invert
    undone and its dilation taken back (an erosion by mask.dilate_px). value: the outline's
    edge_alignment ratio (executors/images/edges.py; 1 = no better than the same outline at random
    places). problems: positive clicks outside the object, negative clicks inside it, and coverage
    outside the band planner/checklist.py gives the intent. None without a plan or object.
    """
    import cv2

    from executors.images.edges import edge_alignment
    from planner.checklist import coverage_band

    if plan is None:
        return None
    obj = ~frame.region if plan.mask.invert else frame.region.copy()
    obj &= frame.known
    d = plan.mask.dilate_px
    if d > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * d + 1, 2 * d + 1))
        eroded = cv2.erode(obj.astype(np.uint8), kernel) > 0
        obj = eroded if eroded.any() else obj
    if not obj.any() or obj.all():
        return None
    problems = []
    sam = plan.request.sam
    h, w = obj.shape
    for p in sam.points if sam is not None else []:
        inside = bool(frame.region[min(int(p.y), h - 1), min(int(p.x), w - 1)] != plan.mask.invert)
        if p.label == 1 and not inside:
            problems.append(f"the click at ({p.x:g}, {p.y:g}) is outside the mask")
        if p.label == 0 and bool(obj[min(int(p.y), h - 1), min(int(p.x), w - 1)]):
            problems.append(f"the background click at ({p.x:g}, {p.y:g}) is inside the mask")
    cover = float(obj.mean())
    lo, hi = coverage_band(plan.intent)
    if not lo <= cover <= hi:
        problems.append(
            f"the mask covers {cover:.2%} of the image, outside {lo:.2%}-{hi:.0%} for a "
            f"{plan.intent!r} edit"
        )
    ratio, on, base = edge_alignment(frame.source, obj, tolerance_px=2)
    detail = (
        f"edges along the mask's outline {on:.0f} vs {base:.0f} along the same outline at random "
        f"places; the mask covers {cover:.2%} of the image"
    )
    return ratio, detail, problems
