"""Sizes from words: "uncrop to 16:9", "make it square", "extend 200 px on the left", "twice as wide".

``find`` reads the size words of one edit; ``extension`` turns them into pixels of new canvas per
side for an image of a given size, centred unless a side is named, each side rounded to the model
family's multiple. ``work_size`` is the size a whole-frame run works at: the family's native area,
the source's aspect, sides a multiple of the family's. ``check_canvas`` refuses an extended canvas
(or a work size) over the canvas pixel limit before anything is allocated, naming the largest
extension that fits.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from retouch.planner.contract.bounds import DEFAULT_MAX_CANVAS_PIXELS
from retouch.planner.contract.errors import InputError, PlanError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import Extend
from retouch.planner.language.lazy_regex import LazyRegex

MAX_FACTOR = 4  # the new canvas may be at most this many times the source per axis
DEFAULT_FACTOR = 1.5  # "uncrop", "zoom out" without a number: half again, on the axes they name

# Named shapes as width / height.
NAMED_RATIOS: list[tuple[str, float]] = [
    ("square", 1.0),
    ("portrait", 3 / 4),
    ("vertical", 9 / 16),
    ("landscape", 4 / 3),
    ("widescreen", 16 / 9),
    ("cinematic", 2.39),
    ("panoramic", 2.0),
    ("panorama", 2.0),
]
_RATIO = LazyRegex(r"\b(\d+(?:\.\d+)?)\s*(?::|x|×|by|/)\s*(\d+(?:\.\d+)?)\b")
_NAMED = LazyRegex(
    r"\b(?:(?:to|into|in|as)\s+(?:a\s+)?|make\s+(?:it|this|the \w+)\s+(?:a\s+)?)"
    r"(square|portrait|vertical|landscape|widescreen|cinematic|panoramic|panorama)\b"
    r"(?:\s+(?:format|ratio|aspect|aspect ratio|shape|image|photo|frame|crop))?"
)
_PIXELS = LazyRegex(
    r"\b(?:by\s+)?(\d{1,5})\s*(?:px|pixels?|pixel)\b(?:\s+(?:of|more)\s+(?:new\s+|extra\s+|more\s+)?"
    r"(?:background|canvas|space|room|padding|image|scene|sky|ground|border))?"
)
_FACTOR = LazyRegex(
    r"\b(?:(twice|double|triple|thrice|half again)\s+(?:as\s+)?(?:the\s+)?"
    r"(wide|wider|tall|taller|high|higher|big|bigger|large|larger|width|height|size)"
    r"(?:\s+as\s+(?:it is|before|now))?|"
    r"(\d+(?:\.\d+)?)\s*(?:x|times)\s+(?:as\s+)?(wide|wider|tall|taller|high|higher|big|bigger|"
    r"large|larger)|(\d{1,3})\s*%\s*(wider|taller|higher|bigger|larger|more)|"
    r"(wider|taller))\b"
)
_ASPECT_WORDS = LazyRegex(r"\s*\b(?:aspect ratio|aspect|ratio|format)\b")
_TO = LazyRegex(r"\s+(?:to|into|at)\s*$")
_FACTORS = {"twice": 2.0, "double": 2.0, "triple": 3.0, "thrice": 3.0, "half again": 1.5}
_AXES = {"wide": "width", "wider": "width", "width": "width", "tall": "height", "taller": "height",
         "high": "height", "higher": "height", "height": "height"}  # fmt: skip


@dataclass(frozen=True)
class SizeWords:
    """What the words say about the canvas."""

    words: str  # as written: "16:9", "200 px", "twice as wide", "square"
    kind: str  # ratio | size | pixels | factor | default
    ratio: float | None = None  # target width / height
    size: tuple[int, int] | None = None  # target (W, H) in pixels
    pixels: int | None = None
    factor: float | None = None
    axis: str | None = None  # width | height | both


def find(text: str) -> SizeWords | None:
    """The size words of one cleaned edit, or None."""
    m = _RATIO.search(text)
    if m:
        a, b = float(m.group(1)), float(m.group(2))
        if a > 0 and b > 0:
            if a >= 64 and b >= 64 and a == int(a) and b == int(b):
                return SizeWords(m.group(0), "size", ratio=a / b, size=(int(a), int(b)))
            if a <= 64 and b <= 64:
                return SizeWords(m.group(0), "ratio", ratio=a / b)
    m = _NAMED.search(text)
    if m:
        name = m.group(1)
        return SizeWords(name, "ratio", ratio=dict(NAMED_RATIOS)[name])
    m = _PIXELS.search(text)
    if m and int(m.group(1)) > 0:
        axis = "width" if re.search(r"\b(?:widen|wider|horizontal)", text) else None
        axis = axis or ("height" if re.search(r"\b(?:taller|heighten|vertical)", text) else None)
        return SizeWords(m.group(0).strip(), "pixels", pixels=int(m.group(1)), axis=axis)
    m = _FACTOR.search(text)
    if m:
        if m.group(1):
            factor, axis_word = _FACTORS[m.group(1)], m.group(2)
        elif m.group(3):
            factor, axis_word = float(m.group(3)), m.group(4)
        elif m.group(5):
            factor, axis_word = 1 + float(m.group(5)) / 100, m.group(6)
        else:
            factor, axis_word = DEFAULT_FACTOR, m.group(7)
        if factor > 1:
            return SizeWords(m.group(0), "factor", factor=factor, axis=_AXES.get(axis_word, "both"))
    return None


def strip(text: str) -> str:
    """The edit without its size words (so "uncrop to 16:9" leaves "uncrop")."""
    for rx in (_RATIO, _NAMED, _PIXELS, _FACTOR):
        text = rx.sub(" ", text)
    text = _ASPECT_WORDS.sub(" ", text)
    return _TO.sub("", re.sub(r"\s+", " ", text)).strip(" ,")


def default_words(verb: str | None) -> SizeWords:
    """An outpaint verb with no size: widen/heighten name an axis, the rest grow both."""
    axis = {"widen": "width", "broaden": "width", "heighten": "height", "lengthen": "height"}
    return SizeWords(verb or "extend", "default", factor=DEFAULT_FACTOR, axis=axis.get(verb or ""))


def _round(value: float, multiple: int) -> int:
    """Nearest multiple (halves up), at least one multiple when anything is asked for."""
    if value <= 0:
        return 0
    return max(multiple, math.floor(value / multiple + 0.5) * multiple)


def _split(total: float, low: str, high: str, sides: set[str], multiple: int) -> dict[str, int]:
    """``total`` px over two opposite sides: all on a named one, else halves (the low side gets
    the smaller half when the rounded total is an odd number of multiples)."""
    if low in sides and high not in sides:
        return {low: _round(total, multiple), high: 0}
    if high in sides and low not in sides:
        return {low: 0, high: _round(total, multiple)}
    whole = _round(total, multiple)
    first = (whole // 2) // multiple * multiple
    return {low: first, high: whole - first}


def extension(
    words: SizeWords, width: int, height: int, sides: set[str], multiple: int
) -> tuple[Extend, str]:
    """Pixels of new canvas per side for a ``width`` x ``height`` image, and how they were found.

    ``sides``: sides the text names (left/right/top/bottom); none = centred. Each side is rounded
    to ``multiple`` px. Raises PlanError when the words ask for nothing or for too much.
    """
    dx = dy = 0.0
    horizontal = sides & {"left", "right"}
    vertical = sides & {"top", "bottom"}
    if words.kind in ("ratio", "size"):
        ratio = words.ratio or 1.0
        if words.size is not None and words.size[0] >= width and words.size[1] >= height:
            dx, dy = words.size[0] - width, words.size[1] - height
            how = f"{words.words}: the canvas grows to {words.size[0]}x{words.size[1]}"
        elif width / height < ratio - 1e-3:
            dx = height * ratio - width
            how = f"{words.words}: {width}x{height} widened to {height * ratio:.0f} px for w/h {ratio:.3g}"
        elif width / height > ratio + 1e-3:
            dy = width / ratio - height
            how = f"{words.words}: {width}x{height} made taller to {width / ratio:.0f} px for w/h {ratio:.3g}"
        else:
            raise PlanError(
                f"the image ({width}x{height}) is already {words.words}; nothing to extend - "
                "name another ratio or give the canvas extension in pixels",
                [hint("extend")],
            )
    elif words.kind == "pixels":
        p = float(words.pixels or 0)
        if sides:
            dx = p * (("left" in sides) + ("right" in sides))
            dy = p * (("top" in sides) + ("bottom" in sides))
        elif words.axis == "width":
            dx = 2 * p
        elif words.axis == "height":
            dy = 2 * p
        else:
            dx = dy = 2 * p
        out = {
            side: _round(p, multiple) if not sides or side in sides else 0
            for side in ("left", "top", "right", "bottom")
        }
        if not sides and words.axis == "width":
            out["top"] = out["bottom"] = 0
        if not sides and words.axis == "height":
            out["left"] = out["right"] = 0
        return _checked(Extend(**out), width, height, f"{words.words} per named side" if sides
                        else f"{words.words} on each side")  # fmt: skip
    else:
        factor = words.factor or DEFAULT_FACTOR
        axis = words.axis or ("width" if horizontal and not vertical else
                              "height" if vertical and not horizontal else "both")  # fmt: skip
        if axis == "both":
            scale = math.sqrt(factor) if words.kind == "factor" else factor
            dx, dy = width * (scale - 1), height * (scale - 1)
        elif axis == "width":
            dx = width * (factor - 1)
        else:
            dy = height * (factor - 1)
        how = f"{words.words}: x{factor:g} on the {axis if axis != 'both' else 'whole canvas'}"
    ext = {**_split(dx, "left", "right", horizontal, multiple),
           **_split(dy, "top", "bottom", vertical, multiple)}  # fmt: skip
    return _checked(Extend(**ext), width, height, how)


def _checked(ext: Extend, width: int, height: int, how: str) -> tuple[Extend, str]:
    if ext.left + ext.right > MAX_FACTOR * width or ext.top + ext.bottom > MAX_FACTOR * height:
        raise PlanError(
            f"{how} is more than {MAX_FACTOR}x the {width}x{height} image; extend in smaller steps"
        )
    if not ext.any:
        raise PlanError(
            f"{how} adds no canvas to the {width}x{height} image; give the canvas extension in pixels",
            [hint("extend")],
        )
    return ext, how


def work_size(width: int, height: int, native: int, multiple: int) -> tuple[int, int]:
    """(W, H) with the area of ``native``^2, the aspect of ``width`` x ``height``, sides a
    multiple of ``multiple`` (the whole frame is resized to it, run, and mapped back)."""
    scale = native / math.sqrt(width * height)
    return _round(width * scale, multiple), _round(height * scale, multiple)


def canvas_facts(width: int, height: int, ext: Extend) -> dict[str, object]:
    """Mask facts of the new canvas area (what analyze.mask_facts gives for the canvas mask),
    computed from the rectangles: the new area is the extended canvas minus the source."""
    W, H = width + ext.left + ext.right, height + ext.top + ext.bottom
    horizontal = [s for s in (ext.left, ext.right) if s]
    vertical = [s for s in (ext.top, ext.bottom) if s]
    x0 = 0 if (ext.left or vertical) else ext.left + width
    x1 = W if (ext.right or vertical) else ext.left
    y0 = 0 if (ext.top or horizontal) else ext.top + height
    y1 = H if (ext.bottom or horizontal) else ext.top
    return {
        "mask_area": 1 - (width * height) / float(W * H),
        "mask_bbox": (x0, y0, x1, y1),
        "mask_bbox_area": (x1 - x0) * (y1 - y0) / float(W * H),
        "mask_touches_border": True,
        "mask_regions": 1 if horizontal and vertical else len(horizontal) + len(vertical),
        "extend": ext,
    }


def canvas_limit() -> int:
    """Largest canvas an extension or a work size may reach, pixels: the smaller of
    RETOUCH_MAX_CANVAS_PIXELS (default DEFAULT_MAX_CANVAS_PIXELS) and the image limit."""
    from retouch.planner.contract.imageio import max_pixels  # numpy and Pillow load only here

    raw = os.environ.get("RETOUCH_MAX_CANVAS_PIXELS")
    try:
        own = DEFAULT_MAX_CANVAS_PIXELS if raw is None else int(raw)
    except ValueError:
        raise InputError(
            f"RETOUCH_MAX_CANVAS_PIXELS={raw!r} is not a whole number of pixels"
        ) from None
    return min(own, max_pixels())


def largest_extension(width: int, height: int, ext: Extend, limit: int) -> tuple[int, ...]:
    """The extension ``ext`` scaled down (same proportions) until the canvas of a ``width`` x
    ``height`` source holds at most ``limit`` pixels: (left, top, right, bottom), px."""
    dx, dy = ext.left + ext.right, ext.top + ext.bottom
    a, b, c = dx * dy, width * dy + height * dx, width * height - limit
    if c >= 0 or b == 0:
        return (0, 0, 0, 0)
    t = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    t = min(t, 1.0)
    return tuple(math.floor(t * s) for s in (ext.left, ext.top, ext.right, ext.bottom))


def check_canvas(width: int, height: int, ext: Extend | None, what: str = "canvas") -> None:
    """Refuse a ``width`` x ``height`` source extended by ``ext`` (or, with ``ext`` None, a work
    size of ``width`` x ``height``) over ``canvas_limit()`` pixels: one InputError naming the
    largest extension allowed at this aspect. Arithmetic only: nothing is allocated."""
    limit = canvas_limit()
    cw = width + (ext.left + ext.right if ext else 0)
    ch = height + (ext.top + ext.bottom if ext else 0)
    if cw * ch <= limit:
        return
    size = f"{cw}x{ch} = {cw * ch} pixels, over the {limit}-pixel canvas limit"
    if ext is None:
        raise InputError(f"the {what} would be {size}; downscale the image")
    fit = largest_extension(width, height, ext, limit)
    if not any(fit):
        raise InputError(
            f"the extended {what} would be {size}, and the {width}x{height} image leaves no room "
            "to extend; downscale the image first or raise RETOUCH_MAX_CANVAS_PIXELS"
        )
    sides = {v for v, s in zip(fit, (ext.left, ext.top, ext.right, ext.bottom), strict=True) if s}
    most = (
        f"at most {sides.pop()} px per side at this aspect"
        if len(sides) == 1
        else "at most left {}, top {}, right {}, bottom {} px at this aspect".format(*fit)
    )
    raise InputError(
        f"the extended {what} would be {size}; extend {most} (or in several smaller steps on a "
        "downscaled image)",
        [hint("extend", ",".join(str(v) for v in fit))],
    )
