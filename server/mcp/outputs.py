"""Files the MCP tools write under the output folder, and the small images they show inline.

Layout of the output folder (``retouch serve --out DIR``, default ``outputs/``); every file is
served as ``retouch://out/<path relative to DIR>``:

    inputs/<sha256[:16]>.<ext>           base64 uploads, bytes as received
    plans/<plan_id>/plan.json, skill-editing-pipeline.md
    masks/<mask_id>.png                  make_mask results
    runs/<run_id>/result.png, mask.png, preview.*, comparison.jpg, plan.json, provenance.json

Every file is written whole or not at all (temporary file + rename). Result images keep their mode
(alpha included) and ICC profile. Inline images are small: a preview at most 512 px and 200 KB,
a comparison 512 px tall per row and at most 480 KB, so a result stays under the 1 MB some hosts
allow per tool result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from retouch.planner.atomic import atomic_write  # noqa: F401  (re-exported: server callers use it)
from retouch.planner.errors import InputError
from retouch.server.mcp.schemas import MAX_BASE64_BYTES, FileRef

PREVIEW_PX = 512
PREVIEW_MAX_BYTES = 200_000
COMPARE_PX = 512
COMPARE_MAX_BYTES = 480_000
ZOOM_BELOW = 0.10
"""A region whose bounding box covers less of the image than this gets a zoomed comparison row.
Preview + comparison, base64-encoded, stay under the 1 MB a tool result may carry (Claude
Desktop's limit)."""
MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".json": "application/json",
    ".md": "text/markdown",
}
URI_PREFIX = "retouch://out/"
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}


def stamp() -> str:
    """Local time for file and run names: ``20260102-100000``."""
    return time.strftime("%Y%m%d-%H%M%S")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def encode_png(img: Image.Image) -> bytes:
    """PNG bytes keeping the image's mode (alpha, 16-bit grey) and its ICC profile."""
    buf = io.BytesIO()
    icc = img.info.get("icc_profile")
    if img.mode not in PNG_MODES:  # CMYK, YCbCr, LAB...: PNG holds their RGB(A), not their profile
        img, icc = img.convert("RGBA" if "A" in img.mode else "RGB"), None
    img.save(buf, format="PNG", **({"icc_profile": icc} if icc else {}))
    return buf.getvalue()


def file_ref(out_dir: Path, path: Path) -> FileRef:
    """FileRef of a file inside the output folder."""
    rel = path.relative_to(out_dir).as_posix()
    return FileRef(
        path=str(path),
        uri=URI_PREFIX + rel,
        size=path.stat().st_size,
        mime_type=MIME.get(path.suffix.lower(), "application/octet-stream"),
    )


def decode_base64_image(data: str, what: str = "image_base64") -> tuple[bytes, str]:
    """Decode base64 (or a data: URL) to image bytes. Returns (bytes, file extension)."""
    text = data.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > MAX_BASE64_BYTES * 4 // 3 + 4:
        raise InputError(
            f"{what} is {len(text)} characters, over the {MAX_BASE64_BYTES // 2**20} MiB "
            "image limit; pass a path to the file instead"
        )
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(
            f"{what} is not valid base64 ({exc}); send the file's bytes base64-encoded"
        ) from exc
    try:
        with Image.open(io.BytesIO(raw)) as im:
            fmt = (im.format or "").upper()
    except Image.DecompressionBombError as exc:
        raise InputError(
            f"{what} declares more pixels than this server opens ({exc}); downscale it"
        ) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(
            f"{what} does not decode to an image Pillow can read; send a PNG, JPEG or WebP"
        ) from exc
    ext = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}.get(fmt)
    if ext is None:
        raise InputError(f"{what} is a {fmt or 'unknown'} image; send a PNG, JPEG or WebP")
    return raw, ext


def store_upload(out_dir: Path, data: str, what: str = "image_base64") -> Path:
    """Save a base64 upload as inputs/<sha256[:16]><ext> (same bytes, same file); its path."""
    raw, ext = decode_base64_image(data, what)
    path = out_dir / "inputs" / f"{hashlib.sha256(raw).hexdigest()[:16]}{ext}"
    if not path.exists():
        atomic_write(path, raw)
    return path


def _display(img: Image.Image) -> Image.Image:
    """8-bit RGB(A) for showing; 16-bit and float images are scaled to 0..255."""
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
    shown = _display(img)
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


def _outline(mask: np.ndarray) -> np.ndarray:
    """The one-pixel boundary of a bool (H, W) mask."""
    inner = mask.copy()
    inner[1:, :] &= mask[:-1, :]
    inner[:-1, :] &= mask[1:, :]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return mask & ~inner


def _outlined(img: Image.Image, mask: np.ndarray | None) -> Image.Image:
    """8-bit RGB, with the edit region's boundary drawn 2 px wide in red when ``mask`` fits."""
    rgb = _display(img).convert("RGB")
    if mask is None or mask.shape != (rgb.size[1], rgb.size[0]):
        return rgb
    arr = np.array(rgb)
    edge = _outline(mask)
    edge = edge | np.roll(edge, 1, axis=0) | np.roll(edge, 1, axis=1)  # 2 px, visible small
    arr[edge] = (255, 0, 0)
    return Image.fromarray(arr)


def zoom_box(mask: np.ndarray | None) -> tuple[int, int, int, int] | None:
    """XYXY box around a small edit region (bounding box under ZOOM_BELOW of the image) with a
    margin of half its size (at least 16 px), clipped to the image; None for no or a large region."""
    if mask is None or not mask.any():
        return None
    h, w = mask.shape
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    x0, y0, x1, y1 = int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
    if (x1 - x0) * (y1 - y0) >= ZOOM_BELOW * w * h:
        return None
    mx, my = max(16, (x1 - x0) // 2), max(16, (y1 - y0) // 2)
    return max(0, x0 - mx), max(0, y0 - my), min(w, x1 + mx), min(h, y1 + my)


def _row(images: list[Image.Image], height: int, gap: int) -> Image.Image:
    panels = []
    for rgb in images:
        scale = min(height / rgb.size[1], 4 * height / rgb.size[0])  # a strip stays 4x as wide
        size = (max(1, round(rgb.size[0] * scale)), max(1, round(rgb.size[1] * scale)))
        panels.append(rgb.resize(size, Image.Resampling.LANCZOS))
    row = Image.new("RGB", (sum(p.size[0] for p in panels) + gap, height), (255, 255, 255))
    x = 0
    for p in panels:
        row.paste(p, (x, 0))
        x += p.size[0] + gap
    return row


def fit_jpeg(img: Image.Image, max_bytes: int) -> bytes:
    """JPEG bytes of ``img`` at most ``max_bytes``: quality 85 down to 50, then smaller."""
    while True:
        for quality in (85, 70, 50):
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=quality)
            if buf.tell() <= max_bytes:
                return buf.getvalue()
        img = img.resize((max(1, img.size[0] * 3 // 4), max(1, img.size[1] * 3 // 4)))


def comparison(
    source: Image.Image, result: Image.Image, mask: np.ndarray | None, height: int = COMPARE_PX
) -> bytes:
    """JPEG, at most COMPARE_MAX_BYTES: source (edit region outlined in red) | result, ``height``
    px tall; under it, for a region under ZOOM_BELOW of the image, the same two zoomed on the
    region with a margin (zoom_box), so a small edit can be judged."""
    gap = 4
    src, res = _outlined(source, mask), _display(result).convert("RGB")
    rows = [_row([src, res], height, gap)]
    box = zoom_box(mask) if source.size == result.size else None
    if box is not None:
        rows.append(_row([src.crop(box), res.crop(box)], height, gap))
    canvas = Image.new(
        "RGB",
        (max(r.size[0] for r in rows), sum(r.size[1] for r in rows) + gap * (len(rows) - 1)),
        (255, 255, 255),
    )
    y = 0
    for r in rows:
        canvas.paste(r, (0, y))
        y += r.size[1] + gap
    return fit_jpeg(canvas, COMPARE_MAX_BYTES)


OVERLAY_COLOURS = np.array(  # tint candidates; the one farthest from the masked pixels is used
    [[255, 0, 0], [0, 255, 0], [0, 64, 255], [255, 0, 255], [0, 255, 255], [255, 255, 0]],
    dtype=np.float32,
)


def overlay_colour(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """float32 (3,): the OVERLAY_COLOURS entry farthest (RGB distance) from the masked pixels'
    mean colour, so the tint shows on a red, green or blue subject alike."""
    mean = rgb[mask].mean(axis=0) if mask.any() else rgb.reshape(-1, 3).mean(axis=0)
    return OVERLAY_COLOURS[int(np.argmax(np.linalg.norm(OVERLAY_COLOURS - mean, axis=1)))]


def mask_overlay(image: Image.Image, mask: np.ndarray, max_px: int = PREVIEW_PX) -> bytes:
    """JPEG preview of ``image`` with the mask (True = edit) tinted 50% in a colour that contrasts
    with the masked pixels (overlay_colour) and outlined in it, solid, 2 px wide at preview size."""
    import cv2

    arr = np.array(_display(image).convert("RGB"), dtype=np.float32)
    colour = overlay_colour(arr, mask)
    arr[mask] = 0.5 * arr[mask] + 0.5 * colour
    small = Image.fromarray(arr.astype(np.uint8))
    small.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    fit = cv2.resize(mask.astype(np.uint8), small.size, interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(fit, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out = np.array(small)
    cv2.drawContours(out, contours, -1, tuple(int(c) for c in colour), 2)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, format="JPEG", quality=85)
    return buf.getvalue()
