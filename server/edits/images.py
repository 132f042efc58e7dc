"""Image bytes and the small pictures every front shows: lossless bytes (PNG, else TIFF) that keep
mode, alpha and ICC; a preview; the one comparison image (source | mask | result).

The comparison fills its canvas: three panels of one size (the result canvas's shape, at most
``MAX_ASPECT`` wide per unit of height), COMPARE_PX tall; for a region whose bounding box is under
ZOOM_BELOW of the image a second row shows the three zoomed on the region, the zoom box widened to
the canvas's shape so its panels are the same size as the first row's.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and Pillow load when an image is handled, not when a front starts
    import numpy as np
    from PIL import Image

PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16")
PREVIEW_PX = 512
PREVIEW_MAX_BYTES = 200_000
COMPARE_PX = 512  # height of each comparison row
COMPARE_MAX_BYTES = 480_000  # the inline (JPEG) comparison an MCP reply carries
ZOOM_BELOW = 0.10
"""A region whose bounding box covers less of the image than this gets a zoomed comparison row."""
ZOOM_MAX_SHARE = 0.4  # no zoomed row when the zoom box, widened to the image's shape, is this big
MAX_ASPECT = 2.5  # a panel is at most this many times as wide as tall (a 1-px strip stays legible)
GAP = 4


def encode_png(img: Image.Image) -> bytes:
    """PNG bytes keeping the image's mode (alpha, 16-bit grey) and its ICC profile; modes PNG
    cannot hold (CMYK, YCbCr, LAB...) become RGB(A) without their profile."""
    buf = io.BytesIO()
    icc = img.info.get("icc_profile")
    if img.mode not in PNG_MODES:
        img, icc = img.convert("RGBA" if "A" in img.mode else "RGB"), None
    img.save(buf, format="PNG", **({"icc_profile": icc} if icc else {}))
    return buf.getvalue()


def image_bytes(img: Image.Image) -> bytes:
    """Lossless bytes of ``img`` (the pool's wire format): PNG when PNG holds it, else TIFF, with
    mode, 16-bit depth, alpha and ICC kept (executors.images.encode)."""
    from retouch.executors.images.encode import encode_image, suffix_for

    return encode_image(img, "PNG" if suffix_for(img) == ".png" else "TIFF")


def bytes_image(data: bytes) -> Image.Image:
    """Decode ``image_bytes`` as a file is read (planner.imageio.open_image: 16-bit colour and
    the ICC profile kept, the pixel limit checked)."""
    import tempfile
    from pathlib import Path

    from retouch.planner.contract.imageio import open_image

    with tempfile.TemporaryDirectory(prefix="retouch-bytes-") as tmp:
        path = Path(tmp) / "image"
        path.write_bytes(data)
        return open_image(path)


def mask_bytes(mask: np.ndarray | None) -> bytes | None:
    """A bool (H, W) mask as PNG L bytes (255 = edit); None for None."""
    from retouch.planner.contract.imageio import array_to_mask

    return None if mask is None else encode_png(array_to_mask(mask))


def bytes_mask(data: bytes | None) -> np.ndarray | None:
    """bool (H, W) from PNG L bytes (255 = edit)."""
    import numpy as np

    return None if data is None else np.asarray(bytes_image(data).convert("L")) > 127


def display(img: Image.Image) -> Image.Image:
    """8-bit RGB(A) for showing; 16-bit and float images are scaled to 0..255."""
    import numpy as np
    from PIL import Image

    if img.mode in ("RGB", "RGBA"):
        return img
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max(initial=0.0) or 1.0
        scale = 257.0 if top > 255 else (1 / 255 if top <= 1 else 1.0)
        return Image.fromarray(np.clip(arr / scale, 0, 255).astype(np.uint8)).convert("RGB")
    has_alpha = img.mode in ("LA", "PA") or "transparency" in img.info
    return img.convert("RGBA" if has_alpha else "RGB")


def preview(
    img: Image.Image, max_px: int = PREVIEW_PX, max_bytes: int = PREVIEW_MAX_BYTES
) -> tuple[bytes, str]:
    """A small preview: PNG when the image has alpha, else JPEG; shrunk until <= ``max_bytes``."""
    from PIL import Image

    shown = display(img)
    side = max_px
    while True:
        small = shown.copy()
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        if small.mode == "RGBA":
            small.save(buf, format="PNG", optimize=True)
            mime = "image/png"
        else:
            small.save(buf, format="JPEG", quality=85)
            mime = "image/jpeg"
        if buf.tell() <= max_bytes or side <= 64:
            return buf.getvalue(), mime
        side //= 2


def fit_jpeg(img: Image.Image, max_bytes: int = COMPARE_MAX_BYTES) -> bytes:
    """JPEG bytes of ``img`` at most ``max_bytes``: quality 85 down to 50, then smaller."""
    while True:
        for quality in (85, 70, 50):
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=quality)
            if buf.tell() <= max_bytes:
                return buf.getvalue()
        img = img.resize((max(1, img.size[0] * 3 // 4), max(1, img.size[1] * 3 // 4)))


def zoom_box(mask: np.ndarray | None) -> tuple[int, int, int, int] | None:
    """XYXY box around a small edit region (bounding box under ZOOM_BELOW of the image) with a
    margin of half its size (at least 16 px), widened to the image's shape and kept inside it;
    None for no region, a large one, or one whose zoom box would cover ZOOM_MAX_SHARE of the
    image (a long thin region: the zoom would show nearly the whole image again)."""
    import numpy as np

    if mask is None or not mask.any():
        return None
    h, w = mask.shape
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    x0, y0, x1, y1 = int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
    if (x1 - x0) * (y1 - y0) >= ZOOM_BELOW * w * h:
        return None
    bw, bh = x1 - x0 + 2 * max(16, (x1 - x0) // 2), y1 - y0 + 2 * max(16, (y1 - y0) // 2)
    bw, bh = min(w, max(bw, round(bh * w / h))), min(h, max(bh, round(bw * h / w)))
    if bw * bh > ZOOM_MAX_SHARE * w * h:  # a long thin region: the zoom would show it all again
        return None
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    left, top = min(max(0, cx - bw // 2), w - bw), min(max(0, cy - bh // 2), h - bh)
    return left, top, left + bw, top + bh


def comparison_image(
    source: Image.Image,
    edit_mask: np.ndarray | None,
    result: Image.Image,
    offset: tuple[int, int] = (0, 0),
    height: int = COMPARE_PX,
) -> Image.Image:
    """Source | mask | result, RGB, each panel the result canvas's shape, ``height`` px tall
    (a small region adds a zoomed row). For an extension the source sits at ``offset`` (XY) on
    a grey canvas the result's size. ``edit_mask``: bool (H, W) of the result, None = all."""
    import numpy as np
    from PIL import Image

    canvas = np.asarray(display(result).convert("RGB"))
    src = np.full_like(canvas, 128)
    s = np.asarray(display(source).convert("RGB"))
    sh, sw = min(s.shape[0], src.shape[0] - offset[1]), min(s.shape[1], src.shape[1] - offset[0])
    src[offset[1] : offset[1] + sh, offset[0] : offset[0] + sw] = s[:sh, :sw]
    edit = np.ones(canvas.shape[:2], bool) if edit_mask is None else edit_mask
    if edit.shape != canvas.shape[:2]:
        edit = np.ones(canvas.shape[:2], bool)
    mask = np.repeat(np.where(edit, 255, 0).astype(np.uint8)[..., None], 3, axis=2)
    panels = [src, mask, canvas]
    rows = [_row(panels, height)]
    box = zoom_box(edit_mask if edit_mask is not None and edit_mask.shape == edit.shape else None)
    if box is not None:
        x0, y0, x1, y1 = box
        rows.append(_row([p[y0:y1, x0:x1] for p in panels], height, rows[0].size[0]))
    if len(rows) == 1:
        return rows[0]
    out = Image.new("RGB", (rows[0].size[0], 2 * height + GAP), (255, 255, 255))
    out.paste(rows[0], (0, 0))
    out.paste(rows[1], (0, height + GAP))
    return out


def _row(panels: list[np.ndarray], height: int, width: int | None = None) -> Image.Image:
    """The three HWC uint8 panels side by side, ``height`` tall, GAP px of white between; each
    panel the first one's shape (capped at MAX_ASPECT), or ``width`` wide in all."""
    import numpy as np
    from PIL import Image

    if width is None:
        aspect = min(MAX_ASPECT, panels[0].shape[1] / panels[0].shape[0])
        pw = max(1, round(height * aspect))
    else:
        pw = max(1, (width - GAP * (len(panels) - 1)) // len(panels))
    row = Image.new("RGB", (pw * len(panels) + GAP * (len(panels) - 1), height), (255, 255, 255))
    for k, p in enumerate(panels):
        img = Image.fromarray(np.ascontiguousarray(p)).resize(
            (pw, height), Image.Resampling.LANCZOS
        )
        row.paste(img, (k * (pw + GAP), 0))
    return row


def decode_input(data: bytes, what: str, name: str, max_pixels: int) -> Image.Image:
    """Decode an input file's bytes, read once when the call was checked (planner.atomic's
    read_confined), as ``open_image`` reads a file: over ``max_pixels`` refused from the header
    before decoding; a non-image or a damaged one is one InputError naming ``name``."""
    import warnings

    from PIL import Image, UnidentifiedImageError
    from retouch.planner.contract.errors import InputError
    from retouch.planner.contract.imageio import decode_image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
            if w * h > max_pixels:
                raise InputError(
                    f"{what} {name} is {w}x{h} = {w * h} pixels, over the {max_pixels}-pixel "
                    "limit; downscale it"
                )
            return decode_image(data)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(
            f"{what} {name} looks like a decompression bomb ({exc}); refuse it"
        ) from exc
    except UnidentifiedImageError as exc:
        raise InputError(
            f"{what} {name} is not an image Pillow can read; give a PNG, JPEG or WebP"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"{what} {name} is damaged or truncated ({exc}); re-export the file"
        ) from exc


def decode_mask(data: bytes, name: str, size: tuple[int, int], max_pixels: int) -> np.ndarray:
    """A mask file's bytes as ``read_mask`` reads the file: bool (H, W), True = edit; InputError
    unless it is ``size`` (W, H)."""
    from retouch.planner.contract.errors import InputError
    from retouch.planner.contract.imageio import mask_to_array

    mask = decode_input(data, "mask", name, max_pixels)
    if mask.size != size:
        raise InputError(
            f"mask is {mask.size[0]}x{mask.size[1]}, image is {size[0]}x{size[1]}; they must "
            "match: resize the mask to the image (nearest-neighbour) or regenerate it"
        )
    return mask_to_array(mask)
