"""Weight-free content checks: did the edit change the region, is the new area a copy of the source,
does the mask fit the request.

Each measure takes a ``Frame`` (executors/qa/measures.py) and returns (value, one-line detail), or
None when it cannot be measured; ``mask_fit`` also reads the plan. planner/checklist.py holds the
thresholds and the measurements that set them (tests/bench/bench_qa_thresholds.py).
"""

from __future__ import annotations

import numpy as np
from retouch.executors.qa.measures import Frame, grey
from retouch.planner.contract.schema import EditPlan

WORK_SIDE = 256  # long side (px) of the region's window that `changed` runs at
FLOOR = 2.0  # grey levels: the least change a plain fill is credited with (a flat region)
NOTHING_LEFT = 1.5  # grey levels: a plain fill changing less than this finds nothing to remove
DETAIL_SIGMA = 2.0  # px at WORK_SIDE: what counts as fine detail for `changed`
# 1 - detail correlation, scaled so a fill that keeps none of the region's detail passes `changed`:
# tests/bench/bench_qa_thresholds.py, 8 photos x 6 boxes: PatchMatch fills then score >= 0.78
# (ratio alone: 21% under 0.75), while 47 of 48 of each defect (noise sigma 2, JPEG q80, a 1.5 px
# blur) and every exact paste still score under 0.75
DECORRELATED = 1.5
REPEAT_SIDE = 256  # long side (px) of the image that `repetition` searches at ...
REPEAT_MAX_SIDE = 512  # ... or finer, up to this, until the region is BLOCKS_ACROSS blocks across
BLOCKS_ACROSS = 3
BLOCK = 16  # px at that scale: the blocks of the new area looked up in the source
TEXTURE_STD = 6.0  # grey levels: a block flatter than this cannot be told from any other
CORNER_MIN = 2.0  # grey levels per px: the weaker gradient direction of a usable block
COPY_ERROR = 0.1  # a block is a copy when the best match leaves under 10% of its variance ...
REACH = 16  # ... and the same shift or mirror leaves under COHERENT_ERROR this many px around it
COHERENT_ERROR = 0.05
BLURS = (2.0, 4.0)  # px: a block explained by a found copy may be that copy blurred this much
SMOOTH_SIGMA = 1.0  # px at that scale: blur before matching (sub-pixel offsets, mild blur)
MIN_BLOCKS = 8  # the fraction is over at least this many blocks (a few blocks are not a pattern)
MAX_BLOCKS = 28  # blocks looked up per check on a 256 x 256 image (fewer on a larger one)
FLIPS = ((1, 1), (1, -1), (-1, 1), (-1, -1))  # (row, column) direction: as is, mirrored, ...


def _resized(frame: Frame, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(source grey, result grey, region, known) at most ``side`` px on the long side."""
    return _scaled(frame, min(1.0, side / max(frame.region.shape)))


def _scaled(frame: Frame, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(source grey, result grey, region, known) resized by ``scale`` (<= 1)."""
    import cv2

    h, w = frame.region.shape
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

    ratio = mean |result - source| (grey levels) over the region's pixels that have a source,
    divided by the same for an OpenCV Telea fill of the region from its border (at least FLOOR):
    0 = the region is untouched, about 1 = changed as much as filling it from its surroundings.
    A good exemplar fill (PatchMatch) of a region much like its surroundings can move it less
    than Telea's smear does, yet shares none of its detail; so value = max(ratio, DECORRELATED *
    (1 - the correlation of the result's fine detail with the source's)): a region left in place,
    noised, recompressed or blurred keeps its detail (correlation 0.45-1), a fill does not
    (-0.05-0.51); on a flat region (sky) there is no detail to keep, so a blur there passes.
    Runs on the region's window at most WORK_SIDE px on the long side. None when no
    region pixel has a source, or when the region already is what a fill makes of it (the plain
    fill moves it less than NOTHING_LEFT grey levels: e.g. removing again what an earlier edit
    removed).
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
    ratio = moved / max(fill, FLOOR)
    shared = _detail_correlation(src, res, where)
    value = max(ratio, DECORRELATED * (1.0 - shared))
    return value, (
        f"the result differs from the source by {moved:.1f} grey levels on average inside the "
        f"region; a plain fill from its border differs by {fill:.1f}; the region's fine detail "
        f"correlates {shared:.2f} with the source's"
    )


def _detail_correlation(src: np.ndarray, res: np.ndarray, where: np.ndarray) -> float:
    """Pearson correlation over ``where`` of the two grey images' detail (image minus its
    Gaussian blur, sigma DETAIL_SIGMA); 1 for identical detail, about 0 for unrelated."""
    import cv2

    a, b = (x - cv2.GaussianBlur(x, (0, 0), DETAIL_SIGMA) for x in (src, res))
    a, b = a[where] - a[where].mean(), b[where] - b[where].mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / den if den > 1e-6 else 1.0


# -------------------------------------------------------------------------------------- repetition


def _windows_clear(blocked: np.ndarray, side: int) -> np.ndarray:
    """bool (H-side+1, W-side+1): top-left corners of side x side windows with no blocked pixel."""
    import cv2

    counts = cv2.boxFilter(
        blocked.astype(np.float32), -1, (side, side), normalize=False, anchor=(0, 0)
    )
    h, w = blocked.shape
    return counts[: h - side + 1, : w - side + 1] < 0.5


def _repeat_scale(region: np.ndarray) -> float:
    """The scale `repetition` works at: REPEAT_SIDE px on the long side, finer (up to 1, and to
    REPEAT_MAX_SIDE px) where the region's box is narrower than BLOCKS_ACROSS blocks."""
    h, w = region.shape
    scale = min(1.0, REPEAT_SIDE / max(h, w))
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    if rows.size:
        narrow = min(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
        need = BLOCKS_ACROSS * BLOCK / narrow
        if need > scale:
            scale = max(scale, min(1.0, need, REPEAT_MAX_SIDE / max(h, w)))
    return scale


def _textured_blocks(res: np.ndarray, region: np.ndarray) -> list[tuple[int, int]]:
    """Top-left corners of BLOCK x BLOCK blocks inside ``region`` (a grid from the region's top-left
    corner) with texture in both directions: grey std >= TEXTURE_STD and the smaller eigenvalue of
    the block's structure tensor (as sqrt(mean), grey levels per px) >= CORNER_MIN. A block on one
    straight edge or stripe matches itself shifted along it (the aperture problem), so only blocks
    with 2-D structure are used. At most MAX_BLOCKS per 256 x 256 px (evenly spaced)."""
    import cv2

    inside = _windows_clear(~region, BLOCK)
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    if not inside.size or not rows.size:
        return []
    gx = cv2.Sobel(res, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(res, cv2.CV_32F, 0, 1, ksize=3) / 8
    corners = []
    for y in range(rows[0], inside.shape[0], BLOCK):
        for x in range(cols[0], inside.shape[1], BLOCK):
            win = (slice(y, y + BLOCK), slice(x, x + BLOCK))
            if not inside[y, x] or res[win].std() < TEXTURE_STD:
                continue
            bx, by = gx[win], gy[win]
            a, b, c = float((bx * bx).mean()), float((by * by).mean()), float((bx * by).mean())
            lam = (a + b) / 2 - np.sqrt(((a - b) / 2) ** 2 + c**2)
            if np.sqrt(max(lam, 0.0)) >= CORNER_MIN:
                corners.append((y, x))
    most = max(MIN_BLOCKS // 2, round(MAX_BLOCKS * 256 * 256 / res.size))
    if len(corners) > most:
        pick = np.linspace(0, len(corners) - 1, most).round().astype(int)
        corners = [corners[i] for i in pick]
    return corners


Copy = tuple[
    int, int, int, int
]  # source (row, col) = (r0 + dr * row, c0 + dc * col): dr, r0, dc, c0


def _residual(
    res: np.ndarray,
    srcs: list[np.ndarray],
    fits: np.ndarray,
    top: int,
    left: int,
    size: int,
    t: Copy,
) -> tuple[float, float]:
    """(mean squared difference / variance, share of pixels compared) between the result's
    size x size window at (top, left) and the source under copy ``t`` (the best of ``srcs``: the
    source sharp and blurred), over the window's pixels where ``fits`` (region pixels whose copied
    pixel exists outside the region)."""
    h, w = res.shape
    rows = np.arange(max(top, 0), min(top + size, h))
    cols = np.arange(max(left, 0), min(left + size, w))
    dr, r0, dc, c0 = t
    mr, mc = r0 + dr * rows, c0 + dc * cols
    rows, mr = rows[(mr >= 0) & (mr < h)], mr[(mr >= 0) & (mr < h)]
    cols, mc = cols[(mc >= 0) & (mc < w)], mc[(mc >= 0) & (mc < w)]
    keep = fits[0][np.ix_(rows, cols)] & fits[1][np.ix_(mr, mc)]
    if not keep.any():
        return np.inf, 0.0
    a = res[np.ix_(rows, cols)][keep]
    var = max(float(a.var()), 1e-6)
    err = min(float(((a - s[np.ix_(mr, mc)][keep]) ** 2).mean()) for s in srcs)
    return err / var, float(keep.sum()) / (size * size)


def _look_up(
    src: np.ndarray,
    res: np.ndarray,
    barred: np.ndarray,
    fits: tuple[np.ndarray, np.ndarray],
    y: int,
    x: int,
) -> Copy | None:
    """The copy the result's block at (y, x) is of: looked up as it is and mirrored in the source
    (``barred``: inf where a window is not wholly outside the region), best match under
    COPY_ERROR of the block's variance and coherent within REACH px around it; None if none."""
    import cv2

    block = res[y : y + BLOCK, x : x + BLOCK]
    var = max(float(block.var()), 1e-6) * BLOCK * BLOCK
    matches = []
    for dr, dc in FLIPS:
        ssd = cv2.matchTemplate(src, np.ascontiguousarray(block[::dr, ::dc]), cv2.TM_SQDIFF)
        ssd += barred[: ssd.shape[0], : ssd.shape[1]]
        v, u = np.unravel_index(int(np.argmin(ssd)), ssd.shape)
        r0 = v - y if dr > 0 else v + BLOCK - 1 + y
        c0 = u - x if dc > 0 else u + BLOCK - 1 + x
        matches.append((float(ssd[v, u]) / var, (dr, int(r0), dc, int(c0))))
    for err, t in sorted(matches):
        if err >= COPY_ERROR:
            return None
        around, _ = _residual(res, [src], fits, y - REACH, x - REACH, BLOCK + 2 * REACH, t)
        if around < COHERENT_ERROR:
            return t
    return None


def block_copies(frame: Frame) -> tuple[float, str] | None:
    """Fraction of the new area's textured blocks that are one copy of the source elsewhere.

    At REPEAT_SIDE px on the long side (finer for a narrow region, see ``_repeat_scale``) the region
    is cut into BLOCK x BLOCK blocks; each block with texture (flat blocks match anything) is a copy
    when either
    1. a copy found earlier (a shift, with or without a mirror) explains it: the block equals the
       source under it, sharp or blurred by BLURS, to under COPY_ERROR of its variance; or
    2. looked up, as it is and mirrored left-right, top-bottom and both, in the source where it lies
       wholly outside the region, its best match leaves under COPY_ERROR of its variance and the
       same copy leaves under COHERENT_ERROR within REACH px around the block (a copy is coherent; natural texture
       matches a block by chance, not its surroundings). The copy is kept for step 1.
    Blocks are visited from the region's border inwards. value = the blocks the largest single copy
    explains / textured blocks (at least MIN_BLOCKS; 0 when no block is textured): one region
    copied whole is a visible repetition; an exemplar fill's collage of many small copies from
    different places (PatchMatch) is not. None when the source has no window outside the
    region.
    """
    import cv2

    # 1. the blocks, at a scale where the region holds a few
    scale = _repeat_scale(frame.region & ~frame.nan)
    src, res, region, known = _scaled(frame, scale)
    blocks = _textured_blocks(res, region)
    # a copy from an odd offset lands half a pixel off after resizing: compare slightly blurred
    sharp = src
    src = cv2.GaussianBlur(sharp, (0, 0), SMOOTH_SIGMA)
    res = cv2.GaussianBlur(res, (0, 0), SMOOTH_SIGMA)
    if min(src.shape) < BLOCK:
        return None
    usable = known & ~region
    clear = _windows_clear(~usable, BLOCK)
    if not clear.any() or not region.any():
        return None
    if not blocks:
        return 0.0, "no block of the new area has texture enough to be a visible copy"
    # 2. from the border inwards: explained by a known copy, or looked up and checked around
    blurred = [src] + [
        cv2.GaussianBlur(sharp, (0, 0), float(np.hypot(SMOOTH_SIGMA, b))) for b in BLURS
    ]
    inward = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L2, 3)
    blocks.sort(key=lambda c: inward[c[0] + BLOCK // 2, c[1] + BLOCK // 2])
    barred = np.where(clear, np.float32(0), np.float32(np.inf))
    fits = (region, usable)
    found: list[Copy] = []
    hits: list[int] = []  # blocks each found copy explains
    for y, x in blocks:
        explained = [
            i
            for i, t in enumerate(found)
            if (got := _residual(res, blurred, fits, y, x, BLOCK, t))[1] == 1.0
            and got[0] < COPY_ERROR
        ]
        if explained:
            hits[explained[0]] += 1
            continue
        t = _look_up(src, res, barred, fits, y, x)
        if t is not None:
            found.append(t)
            hits.append(1)
    copies = sum(hits)
    largest = max(hits, default=0)
    value = largest / max(len(blocks), MIN_BLOCKS)
    return value, (
        f"{largest} of {len(blocks)} textured blocks of the new area are one shifted or mirrored "
        f"copy of the source ({copies} blocks in {len(found)} copies)"
    )


def repetition(frame: Frame) -> tuple[float, str] | None:
    """The repetition check: ``block_copies``, failed outright (value 1) when the result copies a
    subject: more faces than the source, or a copy of a source face (``copied_subjects``)."""
    from retouch.executors.qa.subjects import copied_subjects

    got = block_copies(frame)
    subject = copied_subjects(frame)
    if subject is None:
        return got
    return 1.0, subject if got is None else f"{subject}; {got[1]}"


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
    from retouch.executors.images.edges import edge_alignment
    from retouch.planner.checklist import coverage_band

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
