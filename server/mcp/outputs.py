"""Files the MCP tools write under the output folder, and the small images they show inline.

Layout of the output folder (``retouch serve --out DIR``, default ``outputs/``); every file is
served as ``retouch://out/<path relative to DIR>``:

    inputs/<sha256[:16]>.<ext>           base64 uploads, bytes as received
    plans/<plan_id>/plan.json, skill-editing-pipeline.md
    masks/<mask_id>.png                  make_mask results
    runs/<run_id>/                       the edit service's run folder (server/edits/files.py):
        result.png, mask.png, preview.*, comparison.png, plan.json, skill doc, qa.json,
        provenance.json; with layers asked, layers/NN-name.png, layers.ora, layers.psd

Every file is written whole or not at all (temporary file + rename). Result images keep their mode
(alpha included) and ICC profile. Inline images are small: a preview at most 512 px and 200 KB,
the comparison as JPEG, 512 px tall per row and at most 480 KB, so a result stays under the 1 MB
some hosts allow per tool result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING

from retouch.planner.contract.atomic import atomic_write  # noqa: F401  (re-exported: server callers use it)
from retouch.planner.contract.errors import InputError
from retouch.server.edits.images import (  # noqa: F401  (re-exported for the tools)
    COMPARE_MAX_BYTES,
    COMPARE_PX,
    PREVIEW_MAX_BYTES,
    PREVIEW_PX,
    comparison_image,
    display,
    encode_png,
    fit_jpeg,
    preview,
)
from retouch.server.mcp.schemas import MAX_BASE64_BYTES, FileRef

if TYPE_CHECKING:  # numpy and Pillow load when an image is handled, not at `retouch serve`'s start
    import numpy as np
    from PIL import Image

MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".tif": "image/tiff",  # a result PNG cannot hold (CMYK, LAB...)
    ".tiff": "image/tiff",
    ".json": "application/json",
    ".md": "text/markdown",
    ".ora": "image/openraster",  # an edit's layers (executors/images/layers.py)
    ".psd": "image/vnd.adobe.photoshop",
}
URI_PREFIX = "retouch://out/"


def stamp() -> str:
    """Local time for file and run names: ``20260102-100000``."""
    return time.strftime("%Y%m%d-%H%M%S")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    from PIL import Image, UnidentifiedImageError

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


def comparison(
    source: Image.Image, result: Image.Image, mask: np.ndarray | None, height: int = COMPARE_PX
) -> bytes:
    """The run folder's comparison image (source | mask | result, edits.images) as the JPEG an
    MCP reply shows inline, at most COMPARE_MAX_BYTES. Preview + comparison, base64-encoded, stay
    under the 1 MB a tool result may carry (Claude Desktop's limit)."""
    return fit_jpeg(comparison_image(source, mask, result, height=height), COMPARE_MAX_BYTES)


OVERLAY_COLOURS = (  # tint candidates (RGB); the one farthest from the masked pixels is used
    (255, 0, 0), (0, 255, 0), (0, 64, 255), (255, 0, 255), (0, 255, 255), (255, 255, 0),
)  # fmt: skip


def overlay_colour(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """float32 (3,): the OVERLAY_COLOURS entry farthest (RGB distance) from the masked pixels'
    mean colour, so the tint shows on a red, green or blue subject alike."""
    import numpy as np

    colours = np.array(OVERLAY_COLOURS, dtype=np.float32)
    mean = rgb[mask].mean(axis=0) if mask.any() else rgb.reshape(-1, 3).mean(axis=0)
    return colours[int(np.argmax(np.linalg.norm(colours - mean, axis=1)))]


def mask_overlay(image: Image.Image, mask: np.ndarray, max_px: int = PREVIEW_PX) -> bytes:
    """JPEG preview of ``image`` with the mask (True = edit) tinted 50% in a colour that contrasts
    with the masked pixels (overlay_colour) and outlined in it, solid, 2 px wide at preview size."""
    import cv2
    import numpy as np
    from PIL import Image

    arr = np.array(display(image).convert("RGB"), dtype=np.float32)
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
