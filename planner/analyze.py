"""Facts about a request's inputs, read with Pillow and numpy only (no torch, OpenCV or scipy).

numpy and Pillow load on the first analysis, not on import: a server that registers its tools
imports the planner without them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import EditRequest, Extend, ImageFacts
from retouch.planner.language.sizes import check_canvas

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

MAX_EXTEND_FACTOR = 4  # the extended canvas may be at most this many times the source per side
RING_PX = 12  # width of the ring around the mask that removal prompts describe
# Reference colours (RGB) a ring's median colour is named after, nearest first.
COLOUR_NAMES = [
    ("black", (20, 20, 20)), ("dark grey", (70, 70, 70)), ("grey", (128, 128, 128)),
    ("light grey", (190, 190, 190)), ("white", (240, 240, 240)), ("red", (180, 40, 40)),
    ("orange", (220, 130, 40)), ("yellow", (220, 200, 60)), ("beige", (200, 180, 140)),
    ("brown", (110, 70, 40)), ("green", (60, 130, 50)), ("dark green", (30, 70, 30)),
    ("blue", (50, 90, 180)), ("sky blue", (130, 180, 230)), ("dark blue", (25, 35, 90)),
    ("purple", (110, 60, 140)), ("pink", (220, 150, 170)),
]  # fmt: skip


def check_request(request: EditRequest, size: tuple[int, int]) -> None:
    """Reject conflicting options and prompts outside an image of ``size`` (W, H)."""
    w, h = size
    given = [
        name
        for name, present in (
            ("a mask", request.mask is not None),
            ("a SAM prompt", request.sam is not None and not request.sam.empty),
            ("a canvas extension", request.extend is not None and request.extend.any),
        )
        if present
    ]
    if len(given) > 1:
        raise InputError(
            f"{' and '.join(given)} conflict: give one way to say where to edit (a mask, a SAM "
            "prompt, or a canvas extension)"
        )
    if request.sam is not None:
        for pt in request.sam.points:
            if not (0 <= pt.x < w and 0 <= pt.y < h):
                raise InputError(
                    f"point ({pt.x:g},{pt.y:g}) is outside the {w}x{h} image; use pixel coordinates "
                    f"with 0<=X<{w} and 0<=Y<{h}"
                )
        if request.sam.box is not None:
            x0, y0, x1, y1 = request.sam.box
            if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
                raise InputError(
                    f"box ({x0:g},{y0:g},{x1:g},{y1:g}) is outside the {w}x{h} image; keep it "
                    f"within 0,0,{w},{h}"
                )
    if request.extend is not None and request.extend.any:
        e = request.extend
        check_canvas(w, h, e)  # before canvas_mask allocates the canvas
        if (
            max(e.left + e.right, 0) > MAX_EXTEND_FACTOR * w
            or e.top + e.bottom > MAX_EXTEND_FACTOR * h
        ):
            raise InputError(
                f"extension {e.left},{e.top},{e.right},{e.bottom} is more than {MAX_EXTEND_FACTOR}x "
                "the image; extend in several smaller steps"
            )


def mask_facts(edit: np.ndarray) -> dict[str, object]:
    """Area, bounding box, border contact and region count of a bool mask (H, W), True = edit."""
    import numpy as np
    from retouch.planner.regions import count_regions

    h, w = edit.shape
    area = float(edit.mean()) if edit.size else 0.0
    if area == 0.0:
        return {
            "mask_area": 0.0,
            "mask_bbox": None,
            "mask_bbox_area": 0.0,
            "mask_touches_border": False,
            "mask_regions": 0,
        }
    rows = np.flatnonzero(edit.any(axis=1))
    cols = np.flatnonzero(edit.any(axis=0))
    x0, x1, y0, y1 = int(cols[0]), int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1
    regions = count_regions(edit[y0:y1, x0:x1])  # every region lies inside the box
    return {
        "mask_area": area,
        "mask_bbox": (x0, y0, x1, y1),
        "mask_bbox_area": (x1 - x0) * (y1 - y0) / float(w * h),
        "mask_touches_border": bool(x0 == 0 or y0 == 0 or x1 == w or y1 == h),
        "mask_regions": int(regions),
    }


def ring_words(image: Image.Image, edit: np.ndarray) -> str | None:
    """The ring of RING_PX px around a bool mask (H, W) of ``image`` (any mode, read as RGB) in
    words: "a smooth grey surface", "a textured green area"; None when the ring is empty. Only
    the mask's box grown by RING_PX is converted to pixels."""
    import numpy as np
    from retouch.planner.regions import grow_square

    rows = np.flatnonzero(edit.any(axis=1))
    cols = np.flatnonzero(edit.any(axis=0))
    if rows.size == 0:
        return None
    h, w = edit.shape
    y0, y1 = max(0, rows[0] - RING_PX), min(h, rows[-1] + RING_PX + 1)
    x0, x1 = max(0, cols[0] - RING_PX), min(w, cols[-1] + RING_PX + 1)
    box = edit[y0:y1, x0:x1]  # the ring lies within the mask's box grown by RING_PX
    grown = grow_square(box, RING_PX)
    ring = grown & ~box
    if not ring.any():
        return None
    rgb = np.asarray(image.crop((int(x0), int(y0), int(x1), int(y1))).convert("RGB"))
    pixels = rgb[ring].astype(np.float32)
    median = np.median(pixels, axis=0)
    name = min(COLOUR_NAMES, key=lambda c: float(np.sum((median - np.array(c[1])) ** 2)))[0]
    spread = float(pixels.mean(axis=1).std())
    texture = "smooth" if spread < 12 else "textured" if spread < 40 else "busy detailed"
    return f"a {texture} {name} background"


def canvas_mask(size: tuple[int, int], extend: Extend) -> np.ndarray:
    """The outpainting mask on the extended canvas: True on the new area. ``size`` is the source (W, H)."""
    import numpy as np

    w, h = size
    out = np.ones((h + extend.top + extend.bottom, w + extend.left + extend.right), dtype=bool)
    out[extend.top : extend.top + h, extend.left : extend.left + w] = False
    return out


def analyze(
    request: EditRequest, image: Image.Image | None = None, mask: np.ndarray | None = None
) -> ImageFacts:
    """Read the request's image (and mask) and return the facts the planner decides on.
    ``image``, ``mask``: the request's image and mask when already read (``mask`` as
    ``read_mask`` gives it: bool (H, W) of the image's size, True = edit)."""
    from retouch.planner.contract.imageio import open_image, read_mask

    img = image if image is not None else open_image(request.image)
    check_request(request, img.size)
    facts: dict[str, object] = {
        "width": img.size[0],
        "height": img.size[1],
        "mode": img.mode,
        "has_alpha": img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info,
    }
    if request.mask is not None:
        edit = mask if mask is not None else read_mask(request.mask, img.size)
        if not edit.any():
            raise InputError(
                f"mask {request.mask} is empty (no white pixels); paint the area to edit white "
                "(255), or give no mask for a whole-image edit",
                [hint("mask", drop=True)],
            )
        facts.update(mask_facts(edit))
        facts["ring_words"] = ring_words(img, edit)
    elif request.extend is not None and request.extend.any:
        facts.update(mask_facts(canvas_mask(img.size, request.extend)))
        facts["extend"] = request.extend
    return ImageFacts.model_validate(facts)
