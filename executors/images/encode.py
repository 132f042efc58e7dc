"""Write a result in a named format keeping what the source had: mode, bit depth, alpha, ICC profile.

The pair every front uses for every result it writes:

    encode_image(image, fmt) -> bytes      fmt: PNG | TIFF | JPEG | WEBP
    save_image(image, path, fmt=None)      the format from the suffix; written whole or not at all

and beside them ``suffix_for(image)`` (the lossless default: ``.png`` when PNG holds the image,
else ``.tif``), ``check_holds(image, fmt)`` (refuse a result name before a run: the result has the
source's mode), ``format_of(path)`` and ``read_back(data)`` (what bytes hold: ``Written``, the
facts QA's size-mode check compares with the source).

What is kept
- mode: every format writes the image's own mode or refuses. A format that cannot hold it (CMYK as
  PNG, RGBA as JPEG, 16 bits as JPEG or WebP...) is an InputError naming the formats that can;
  nothing is converted silently.
- bit depth: 16-bit grey (I;16) through Pillow; 16-bit RGB(A) (planner.imageio.deep_pixels: the
  uint16 array Pillow cannot hold, carried beside the 8-bit image) by a small PNG writer here
  (numpy + zlib: OpenCV's cv2.imwrite also writes 16-bit PNG but drops the ICC profile and EXIF) or
  as TIFF by tifffile (scikit-image's dependency), both keeping the ICC profile.
- alpha, palette and transparency key, dpi and ICC profile: as the image's ``info`` has them.
- EXIF orientation: the image is stored upright (planner.imageio.open_image applied the tag), so
  the EXIF block is written with its orientation tag removed; other EXIF fields are kept (a 16-bit
  colour TIFF carries none). JPEG is lossy (quality 95, no chroma subsampling); the other formats
  are lossless.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retouch.planner.contract.atomic import atomic_write
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import bit_depth, deep_pixels

if TYPE_CHECKING:  # loaded when an image is written: server/edits/files.py imports FORMATS at start
    import numpy as np
    from PIL import Image

FORMATS = {
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
}
RGB16, RGBA16 = "RGB;16", "RGBA;16"  # the kinds of a 16-bit colour image (Pillow has no mode)
HOLDS: dict[str, frozenset[str]] = {  # format -> the kinds (modes) it keeps exactly
    "PNG": frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16", RGB16, RGBA16}),
    "TIFF": frozenset(
        {"1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "LAB", "I;16", "I;16B", "I", "F"}
        | {RGB16, RGBA16}
    ),
    "JPEG": frozenset({"L", "RGB", "CMYK"}),
    "WEBP": frozenset({"RGB", "RGBA"}),
}
SUFFIX = {"PNG": ".png", "TIFF": ".tif", "JPEG": ".jpg", "WEBP": ".webp"}
NAMES = {  # how an error names a kind
    "1": "a 1-bit (bilevel)",
    "L": "an 8-bit grey (L)",
    "LA": "a grey + alpha (LA)",
    "P": "a palette (P)",
    "RGBA": "an RGBA",
    "I;16": "a 16-bit grey (I;16)",
    "I": "a 32-bit grey (I)",
    "F": "a float (F)",
    RGB16: "a 16-bit RGB",
    RGBA16: "a 16-bit RGBA",
}


@dataclass(frozen=True)
class Written:
    """What encoded bytes hold, read back: size (W, H), Pillow mode (RGB;16 / RGBA;16 for 16-bit
    colour), bits per channel value, whether there is an alpha channel, the ICC profile."""

    size: tuple[int, int]
    mode: str
    depth: int
    alpha: bool
    icc: bytes | None


def kind(image: Image.Image) -> str:
    """The image's mode, or RGB;16 / RGBA;16 for a 16-bit colour image."""
    if deep_pixels(image) is not None:
        return RGB16 if image.mode == "RGB" else RGBA16
    return image.mode


def format_of(path: str | Path) -> str:
    """PNG | TIFF | JPEG | WEBP from the path's suffix; InputError for any other suffix."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot tell the image format of {path}: name it .png, .tif, .jpg or .webp"
        )
    return fmt


def suffix_for(image: Image.Image) -> str:
    """The lossless default file suffix for ``image``: .png when PNG holds it, else .tif."""
    return ".png" if kind(image) in HOLDS["PNG"] else ".tif"


def check_holds(image: Image.Image, fmt: str) -> str:
    """The image's kind when ``fmt`` holds it exactly; else the InputError that names the formats
    that do. Call it with the source before a run, to refuse a result name before the work."""
    import numpy as np

    k = kind(image)
    if fmt not in HOLDS:
        raise InputError(f"unknown image format {fmt!r}; use one of {', '.join(HOLDS)}")
    opaque_webp = fmt == "WEBP" and k == "RGBA" and bool((np.asarray(image)[..., 3] == 255).all())
    if k in HOLDS[fmt] and not opaque_webp:  # WebP stores an all-opaque alpha as no alpha (RGB)
        return k
    can = [f"{f} ({SUFFIX[f]})" for f in HOLDS if k in HOLDS[f] and f != fmt]
    what = NAMES.get(k, f"a {k}")
    fix = f"write it as {' or '.join(can)}" if can else "convert it to RGB first"
    raise InputError(f"{fmt} cannot hold {what} image without changing it; {fix}")


def encode_image(image: Image.Image, fmt: str) -> bytes:
    """Bytes of ``image`` in ``fmt`` (PNG, TIFF, JPEG, WEBP), keeping its mode, bit depth, alpha,
    ICC profile and dpi; EXIF without an orientation tag (see the module doc). Deterministic: the
    same image gives the same bytes. InputError when ``fmt`` cannot hold the image's mode."""
    fmt = fmt.upper()
    check_holds(image, fmt)
    icc = image.info.get("icc_profile") or None
    exif = _upright_exif(image)
    deep = deep_pixels(image)
    if deep is not None:
        if fmt == "PNG":
            return _png16(deep, icc, exif, image.info.get("dpi"))
        return _tiff16(deep, icc)
    kwargs: dict[str, object] = {}
    if icc:
        kwargs["icc_profile"] = icc
    if exif:
        kwargs["exif"] = exif
    if "dpi" in image.info:
        kwargs["dpi"] = image.info["dpi"]
    if fmt == "JPEG":
        kwargs.update(quality=95, subsampling=0)
    elif fmt == "WEBP":
        kwargs.update(lossless=True, quality=100, exact=True)
    elif fmt == "TIFF":
        kwargs["compression"] = "tiff_adobe_deflate"
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def save_image(image: Image.Image, path: str | Path, fmt: str | None = None) -> None:
    """Write ``image`` to ``path`` in ``fmt`` (default: from the suffix), as ``encode_image``,
    whole or not at all (planner.atomic)."""
    data = encode_image(image, fmt or format_of(path))
    atomic_write(Path(path), data)


def read_back(data: bytes) -> Written:
    """What ``data`` (an encoded image) holds; 16-bit colour is recognised from the file itself."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        tile = im.tile[0] if len(im.tile) == 1 else None
        raw = tile.args if tile is not None and isinstance(tile.args, str) else None
        if tile is not None and isinstance(tile.args, tuple) and tile.args:
            raw = tile.args[0] if isinstance(tile.args[0], str) else None
        deep = im.mode in ("RGB", "RGBA") and raw is not None and ";16" in raw
        mode = f"{im.mode};16" if deep else im.mode
        depth = 16 if deep else bit_depth(im)
        alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
        return Written(im.size, mode, depth, alpha, im.info.get("icc_profile") or None)


# ----------------------------------------------------------------------------------- helpers


def _upright_exif(image: Image.Image) -> bytes | None:
    """The image's EXIF block without its orientation tag (the pixels are stored upright)."""
    if "exif" not in image.info:
        return None
    exif = image.getexif()
    exif.pop(0x0112, None)
    return exif.tobytes() or None


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def _png16(
    deep: np.ndarray, icc: bytes | None, exif: bytes | None = None, dpi: object = None
) -> bytes:
    """A 16-bit RGB(A) PNG of uint16 (H, W, 3|4) pixels, each row Sub-filtered; ICC profile,
    EXIF and dpi (x, y) kept."""
    import numpy as np

    h, w, c = deep.shape
    rows = deep.astype(">u2").view(np.uint8).reshape(h, w * c * 2)
    bpp = c * 2
    sub = rows.copy()
    sub[:, bpp:] -= rows[:, :-bpp]  # uint8 arithmetic wraps: PNG's Sub filter
    raw = np.concatenate([np.ones((h, 1), dtype=np.uint8), sub], axis=1).tobytes()
    colour = 2 if c == 3 else 6
    out = [
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0)),
    ]
    if icc:
        out.append(_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    if exif:
        out.append(_chunk(b"eXIf", exif.removeprefix(b"Exif\x00\x00")))
    if isinstance(dpi, tuple) and len(dpi) == 2:  # pixels per metre, unit 1 (metre)
        x, y = (max(1, round(float(d) / 0.0254)) for d in dpi)
        out.append(_chunk(b"pHYs", struct.pack(">IIB", x, y, 1)))
    # run-length deflate, as OpenCV's PNG writer: 16-bit photos have noisy low bytes that
    # LZ77 matching only slows down on (12 MP: 1.4 s against 7.9 s, and 2% smaller)
    deflate = zlib.compressobj(6, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    idat = deflate.compress(raw) + deflate.flush()
    out += [_chunk(b"IDAT", idat), _chunk(b"IEND", b"")]
    return b"".join(out)


def _tiff16(deep: np.ndarray, icc: bytes | None) -> bytes:
    """A 16-bit RGB(A) TIFF (deflate) of uint16 (H, W, 3|4) pixels by tifffile, ICC kept."""
    try:
        import tifffile
    except ImportError as exc:  # pragma: no cover - tifffile comes with scikit-image
        raise InputError(
            "writing 16-bit colour as TIFF needs the tifffile package (pip install tifffile); "
            "or write it as PNG (.png)"
        ) from exc
    buf = io.BytesIO()
    extra = {"extrasamples": ("unassalpha",)} if deep.shape[2] == 4 else {}
    tifffile.imwrite(
        buf, deep, photometric="rgb", compression="zlib", iccprofile=icc, metadata=None, **extra
    )
    return buf.getvalue()
