"""What the weight-free fill can do, measured on one image and one edit region.

    measure(rgb, region, canvas=None) -> Measures    hole width, edges across it, faces under it
    findings(measures, intent) -> [Finding]          each envelope limit (planner/envelope.py) broken
    estimate_region(plan, size) -> bool (H, W)       the region a plan will edit, before any mask
                                                     exists (a given mask file, the SAM box, the
                                                     new canvas); None when only a model finds it

The limits are data in planner/envelope.py, with how each threshold was measured; this module only
measures. numpy and Pillow only (no scipy: ``retouch plan`` stays light); faces through
``retouch.executors.faces.detect_faces`` (dlib), imported when a face test runs — without dlib the
face test is reported as not run, never as passed. Arrays: rgb uint8 (H, W, 3), regions bool (H, W).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
from retouch.executors.segment.lru import Lru
from retouch.planner import envelope as limits
from retouch.planner.contract.schema import EditPlan

Box = tuple[int, int, int, int]  # XYXY pixels, exclusive end


@dataclass
class Measures:
    """What the envelope rules read (units in each field's comment)."""

    width_px: float  # the hole's inscribed diameter: the widest span the fill must bridge, px
    width_ratio: float  # width_px / the image's short side
    crossings: int  # strong edges that enter the hole from outside (a line across counts 2)
    faces: int | None  # faces detected in the image; None when no detector is installed
    face_cover: float  # largest share of one face's box inside the region, 0..1
    face_box: Box | None = None  # that face, XYXY
    notes: list[str] = field(default_factory=list)


@dataclass
class Finding:
    """One envelope limit the edit breaks: the limit and the measured sentence."""

    limit: limits.Limit
    detail: str


def _gray(rgb: np.ndarray) -> np.ndarray:
    """Luma in 0..1, float32 (H, W)."""
    return (rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255.0


def _grow(mask: np.ndarray, square: bool) -> np.ndarray:
    """``mask`` grown by one pixel: to its 8 neighbours (``square``) or its 4."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    if square:
        out[1:, 1:] |= mask[:-1, :-1]
        out[1:, :-1] |= mask[:-1, 1:]
        out[:-1, 1:] |= mask[1:, :-1]
        out[:-1, :-1] |= mask[1:, 1:]
    return out


def _crop(region: np.ndarray, margin: int) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    h, w = region.shape
    return (
        slice(max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin)),
        slice(max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin)),
    )


def hole_width(region: np.ndarray) -> float:
    """Inscribed diameter of ``region`` in px: twice the number of one-pixel erosions it takes to
    vanish (alternately 8- and 4-neighbour: exact for a box's short side, ~10% under for a
    disk). numpy only."""
    if not region.any():
        return 0.0
    ys, xs = _crop(region, 0)
    inside = np.pad(region[ys, xs], 1, constant_values=False)  # the outside, even at the border
    steps = 0
    while inside.any():
        inside = ~_grow(~inside, square=steps % 2 == 0)
        steps += 1
    return float(2 * steps)


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur (separable, mirrored at the border), float32."""
    r = max(1, int(round(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k = (k / k.sum()).astype(np.float32)
    out = img.astype(np.float32)
    for axis in (0, 1):
        pad = [(r, r) if a == axis else (0, 0) for a in (0, 1)]
        p = np.pad(out, pad, mode="symmetric")
        n = out.shape[axis]
        out = sum(k[i] * (p[i : i + n] if axis == 0 else p[:, i : i + n]) for i in range(len(k)))
    return out


def _groups(pixels: np.ndarray) -> list[int]:
    """Sizes of the 8-connected groups of True pixels in ``pixels``."""
    todo = set(zip(*np.nonzero(pixels), strict=True))
    sizes = []
    while todo:
        stack, size = [todo.pop()], 0
        while stack:
            y, x = stack.pop()
            size += 1
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    if (y + dy, x + dx) in todo:
                        todo.remove((y + dy, x + dx))
                        stack.append((y + dy, x + dx))
        sizes.append(size)
    return sizes


def edge_crossings(rgb: np.ndarray, region: np.ndarray) -> int:
    """Strong edges that run into ``region``: 8-connected groups of at least
    limits.EDGE_MIN_PX pixels in a band limits.EDGE_BAND px wide just outside it whose gradient
    is strong (limits.EDGE_STRENGTH, on 0..1 luma after a Gaussian of limits.EDGE_SIGMA px) and
    whose edge runs across the boundary, not along it (the image gradient within
    limits.EDGE_ANGLE of the boundary's tangent). numpy only, on a crop around the region."""
    if not region.any() or region.all():
        return 0
    ys, xs = _crop(region, int(limits.EDGE_BAND) + 3 * int(np.ceil(limits.EDGE_SIGMA)) + 2)
    inside = region[ys, xs]
    if min(inside.shape) < 3:  # a strip a pixel or two thick: no edge direction to measure
        return 0
    gy, gx = np.gradient(_blur(_gray(rgb[ys, xs]), limits.EDGE_SIGMA))
    mag = np.hypot(gx, gy)
    grown = inside
    for step in range(int(limits.EDGE_BAND)):
        grown = _grow(grown, square=step % 2 == 1)
    band = grown & ~inside
    # the boundary's normal: the gradient of the blurred region, pointing into it
    ny, nx = np.gradient(_blur(inside.astype(np.float32), 2.0))
    nlen = np.hypot(nx, ny) + 1e-9
    # an edge crossing the boundary has its image gradient along the boundary's tangent,
    # i.e. nearly perpendicular to the normal
    cos = np.abs(gx * nx + gy * ny) / (mag * nlen + 1e-9)
    across = (
        band & (mag >= limits.EDGE_STRENGTH) & (cos <= np.cos(np.radians(90 - limits.EDGE_ANGLE)))
    )
    return sum(1 for size in _groups(across) if size >= limits.EDGE_MIN_PX)


def _faces(rgb: np.ndarray) -> list[tuple[Box, np.ndarray]] | None:
    """(face box XYXY, its 5 landmark points (x, y)) per face from executors.faces, or None when
    dlib or its models are not installed."""
    try:
        from retouch.executors.faces import detect_faces, faces_available
        from retouch.executors.faces.landmarks import landmarks
    except ImportError:
        return None
    if not faces_available():
        return None
    from retouch.planner.contract.errors import ModelMissingError

    try:
        return [(face.box, landmarks(rgb, face, 5)) for face in detect_faces(rgb)]
    except ModelMissingError:
        return None


def face_cover(region: np.ndarray, faces: list[tuple[Box, np.ndarray]]) -> tuple[float, Box | None]:
    """The largest share of one face box inside ``region`` (0..1), and that face's box. A face
    whose eye corners or nose (its 5 landmarks) fall in the region counts as 1.0: the region takes
    in a facial feature, whatever its size."""
    best, which = 0.0, None
    h, w = region.shape
    for (x0, y0, x1, y1), points in faces:
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        share = float(region[y0:y1, x0:x1].mean())
        for px, py in np.asarray(points, dtype=float).reshape(-1, 2):
            if 0 <= int(py) < h and 0 <= int(px) < w and region[int(py), int(px)]:
                share = 1.0
        if share > best:
            best, which = share, (x0, y0, x1, y1)
    return best, which


def _digest(a: np.ndarray) -> tuple[bytes, tuple[int, ...], str]:
    """A key for an array's content: SHA-256 of its bytes (~0.4 ms for a 512 px RGB, no copy of
    a contiguous array), shape, dtype."""
    return hashlib.sha256(np.ascontiguousarray(a)).digest(), a.shape, a.dtype.str


_MEASURED: Lru[Measures] = Lru(32)
"""Measures per (image content, region content, face test, whether faces can be detected):
plan_edit, the plan's assessment and run_plan measure the same photo and mask (~10-25 ms each)."""


def measure(rgb: np.ndarray, region: np.ndarray, *, faces: bool = True) -> Measures:
    """The envelope's measures of editing ``region`` of ``rgb`` (same H, W), kept per content
    (``_MEASURED``); each caller gets its own copy."""
    if region.shape != rgb.shape[:2]:
        raise ValueError(f"region is {region.shape}, image is {rgb.shape[:2]}; they must match")
    key = (_digest(rgb), _digest(region.astype(bool, copy=False)), faces, _can_detect())
    kept = _MEASURED.get(key, lambda: _measure(rgb, region.astype(bool, copy=False), faces))
    return replace(kept, notes=list(kept.notes))


def _can_detect() -> bool:
    try:
        from retouch.executors.faces import faces_available
    except ImportError:
        return False
    return faces_available()


def _measure(rgb: np.ndarray, region: np.ndarray, faces: bool) -> Measures:
    if rgb.dtype != np.uint8:  # 16-bit or float sources: the measures read 8-bit levels
        top = 65535.0 if rgb.dtype == np.uint16 else 1.0 if rgb.dtype.kind == "f" else 255.0
        rgb = np.clip(np.rint(rgb.astype(np.float64) * (255.0 / top)), 0, 255).astype(np.uint8)
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    width = hole_width(region)
    found = _faces(np.ascontiguousarray(rgb[..., :3])) if faces else None
    cover, box = face_cover(region, found) if found else (0.0, None)
    return Measures(
        width_px=width,
        width_ratio=width / float(min(region.shape)),
        crossings=edge_crossings(rgb, region),
        faces=None if found is None else len(found),
        face_cover=cover,
        face_box=box,
    )


def findings(m: Measures, intent: str) -> list[Finding]:
    """The envelope limits (planner/envelope.py) that measures ``m`` of a ``intent`` edit break,
    in the order of LIMITS (the face first)."""
    L = limits
    broken: list[Finding] = []
    if intent == "remove" and m.face_cover >= L.FACE_COVER:
        broken.append(
            Finding(
                L.LIMITS["envelope-face"],
                f"the region takes in {m.face_cover:.0%} of the face at {m.face_box}",
            )
        )
    if intent == "extend" and m.faces:
        broken.append(
            Finding(
                L.LIMITS["envelope-portrait"],
                f"the photo holds {'a face' if m.faces == 1 else f'{m.faces} faces'}; the new "
                "strip must continue a person",
            )
        )
    if intent == "remove" and m.width_ratio > L.HOLE_WIDTH_RATIO:
        broken.append(
            Finding(
                L.LIMITS["envelope-large-hole"],
                f"the hole is {m.width_px:.0f} px wide, {m.width_ratio:.0%} of the image's short "
                f"side (limit {L.HOLE_WIDTH_RATIO:.0%})",
            )
        )
    if (
        intent == "remove"
        and m.crossings >= L.STRUCTURE_CROSSINGS
        and m.width_px > L.STRUCTURE_WIDTH_PX
    ):
        broken.append(
            Finding(
                L.LIMITS["envelope-structure"],
                f"{m.crossings} strong edges run into a region {m.width_px:.0f} px wide (limits: "
                f"{L.STRUCTURE_CROSSINGS} edges, {L.STRUCTURE_WIDTH_PX:g} px)",
            )
        )
    return broken


def estimate_region(plan: EditPlan, size: tuple[int, int]) -> np.ndarray | None:
    """The region ``plan`` will edit on a ``size`` (W, H) source, known before any model runs:
    the given mask file (white = edit), the SAM box, a disc around each positive click (the least
    a click-mask holds), or the new canvas area (on the extended canvas, H', W'). None when only a
    model can find it (words) or there is none."""
    w, h = size
    source = plan.mask.source
    req = plan.request
    if source == "given" and req.mask:
        mask = _given_mask(req.mask, (w, h))
        if mask is None:
            return None
        return ~mask if plan.mask.invert else mask
    region = np.zeros((h, w), bool)
    if source == "sam-box" and req.sam is not None and req.sam.box is not None:
        x0, y0, x1, y1 = (int(v) for v in req.sam.box)
        region[max(0, y0) : y1, max(0, x0) : x1] = True
    elif source == "sam-points" and req.sam is not None and req.sam.points:
        r = max(4, min(w, h) // 20)
        yy, xx = np.mgrid[0:h, 0:w]
        for p in req.sam.points:
            if p.label == 1:
                region |= (xx - p.x) ** 2 + (yy - p.y) ** 2 <= r * r
    elif source == "canvas" and plan.facts.extend is not None:
        e = plan.facts.extend
        region = np.ones((h + e.top + e.bottom, w + e.left + e.right), bool)
        region[e.top : e.top + h, e.left : e.left + w] = False
    else:
        return None
    if source in ("sam-box", "sam-points") and plan.mask.invert:
        return None  # the inverse of a subject SAM has not cut yet: unknown
    return region if region.any() else None


_GIVEN: Lru[np.ndarray | None] = Lru(8)


def _given_mask(path: str, size: tuple[int, int]) -> np.ndarray | None:
    """The mask file at ``path`` as bool (H, W) at ``size`` (W, H), white = edit; None when
    unreadable. Kept per file identity (device, inode, size, mtime and ctime in ns: a rewrite or
    a swapped file is read again)."""
    import os

    from PIL import Image

    try:
        st = os.stat(path)
    except OSError:
        return None

    def read() -> np.ndarray | None:
        try:
            with Image.open(path) as im:
                return np.asarray(im.convert("L").resize(size)) > 127
        except OSError:
            return None

    key = (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, size)
    mask = _GIVEN.get(key, read)
    return None if mask is None else mask.copy()


def check(
    plan: EditPlan, rgb: np.ndarray, region: np.ndarray | None, grown_px: int = 0
) -> tuple[list[Finding], list[str]]:
    """(limits broken, notes) for running ``plan``'s edit of ``region`` (bool, the source's size;
    or the extended canvas's for an extension) of ``rgb`` with the weight-free fill. ``grown_px``:
    how far the region was already dilated (the limits are for the region as marked; the seam
    margin around it is not counted in its width). A note says what could not be checked."""
    notes: list[str] = []
    if plan.mask.source == "face" and plan.intent == "remove":  # face words: a face, by name
        face = limits.LIMITS["envelope-face"]
        return [Finding(face, f"the words name a face's {plan.mask.part or 'region'}")], notes
    if plan.intent == "extend":
        m = measure(rgb, np.zeros(rgb.shape[:2], bool))
    elif region is None:
        m = measure(rgb, np.zeros(rgb.shape[:2], bool))
        notes.append("the fill's envelope is checked once the mask exists")
    elif region.shape != rgb.shape[:2]:
        return [], [f"the region is {region.shape[::-1]}, the image {rgb.shape[1::-1]}"]
    else:
        m = measure(rgb, region)
        m.width_px = max(0.0, m.width_px - 2 * grown_px)
        m.width_ratio = m.width_px / float(min(region.shape))
    if m.faces is None:
        notes.append("faces were not checked (no face detector: pip install 'retouch[faces]')")
    return findings(m, plan.intent), notes
