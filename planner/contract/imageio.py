"""Reading images and masks safely with Pillow: size limits, EXIF orientation, mask conventions.

Mask convention inside retouch: a boolean array (H, W), True = edit. At the edges we accept
- L / 1 / P / RGB masks: white (>= 128 after conversion to L) means edit, as diffusers, Stability
  and BFL read them;
- RGBA masks with any transparency: transparent (alpha < 128) means edit, as OpenAI's edit API reads
  them; a fully opaque RGBA mask falls back to its luminance.

16-bit RGB(A): Pillow holds no 16-bit colour mode, so ``open_image`` returns the 8-bit RGB(A) image
Pillow decodes (each value's high byte) and carries the full uint16 (H, W, C) array beside it in
``info[DEEP_KEY]``; ``deep_pixels`` hands it out only while it still matches the 8-bit pixels. It
is decoded by Pillow itself (the PNG/TIFF tile read a second time with the byte-swapped raw mode
gives the low bytes), so reading never needs OpenCV.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from retouch.planner.contract.errors import InputError

if TYPE_CHECKING:  # numpy and Pillow load when an image is read, not when a front starts
    import numpy as np
    from PIL import Image

DEFAULT_MAX_PIXELS = 64_000_000
DEEP_KEY = "retouch.rgb16"  # info key of a 16-bit RGB(A) image's uint16 (H, W, C) pixels
_SWAP = {"B": "L", "L": "B", "N": "B" if sys.byteorder == "little" else "L"}


def max_pixels() -> int:
    """Largest image retouch opens (pixels); RETOUCH_MAX_PIXELS overrides the 64 MP default."""
    raw = os.environ.get("RETOUCH_MAX_PIXELS")
    if raw is None:
        return DEFAULT_MAX_PIXELS
    try:
        return int(raw)
    except ValueError as exc:
        raise InputError(f"RETOUCH_MAX_PIXELS={raw!r} is not a whole number of pixels") from exc


def open_image(
    path: str | os.PathLike[str], what: str = "image", *, deep: bool = True
) -> Image.Image:
    """Open and fully decode an image file, EXIF-orientation applied. Returns a loaded PIL image;
    a 16-bit colour file also carries its uint16 pixels (module doc) unless ``deep`` is False
    (planning needs only the 8-bit image: the second decode is skipped).

    Raises InputError for a missing or unreadable file, a non-image, or an image over the pixel limit
    (a decompression bomb is refused before its pixels are decoded).
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found: {p}; check the path")
    if not p.is_file():
        raise InputError(f"{what} is not a file: {p}; give the path of an image file")
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                w, h = im.size
                if w * h > limit:
                    raise InputError(
                        f"{what} {p} is {w}x{h} = {w * h} pixels, over the {limit}-pixel limit; "
                        "downscale it or raise RETOUCH_MAX_PIXELS"
                    )
                return _finish(im, _low_bytes(p, im) if deep else None)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(
            f"{what} {p} looks like a decompression bomb ({exc}); refuse it or raise RETOUCH_MAX_PIXELS"
        ) from exc
    except UnidentifiedImageError as exc:
        raise InputError(
            f"{what} {p} is not an image Pillow can read; give a PNG, JPEG or WebP"
        ) from exc
    except PermissionError as exc:
        raise InputError(
            f"{what} {p} cannot be read (permission denied); check its permissions"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{what} {p} is damaged or truncated ({exc}); re-export the file") from exc


def decode_image(data: bytes) -> Image.Image:
    """Decode image bytes retouch wrote itself (the history store's, the pool's) as ``open_image``
    reads a file: loaded, EXIF orientation applied, 16-bit colour and the ICC profile kept. The
    pixel limit is not applied (the bytes are retouch's own)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return _finish(im, _low_bytes(data, im))


def _finish(im: Image.Image, low: Image.Image | None) -> Image.Image:
    """Load ``im``, apply its EXIF orientation, keep its ICC profile and, with the low bytes of
    a 16-bit colour image, its uint16 pixels (info[DEEP_KEY])."""
    import numpy as np
    from PIL import ImageOps

    im.load()
    out = ImageOps.exif_transpose(im)
    icc = im.info.get("icc_profile")
    if icc:
        out.info["icc_profile"] = icc
    if low is not None:
        high = np.asarray(out).astype(np.uint16)
        out.info[DEEP_KEY] = (high << 8) | np.asarray(ImageOps.exif_transpose(low))
    return out


def _low_bytes(path: Path | bytes, im: Image.Image) -> Image.Image | None:
    """For a 16-bit RGB(A) file (a path or its bytes), its low bytes as an 8-bit image (EXIF tags
    kept); else None."""
    from PIL import Image

    if len(im.tile) != 1 or im.mode not in ("RGB", "RGBA"):
        return None
    tile = im.tile[0]
    raw = tile.args if isinstance(tile.args, str) else (tile.args or ("",))[0]
    if not isinstance(raw, str) or raw not in (f"{im.mode};16{e}" for e in "BLN"):
        return None
    swapped = raw[:-1] + _SWAP[raw[-1]]
    args = swapped if isinstance(tile.args, str) else (swapped, *tile.args[1:])
    low = Image.open(io.BytesIO(path) if isinstance(path, bytes) else path)
    low.tile = [tile._replace(args=args)]
    low.load()
    return low


def deep_pixels(image: Image.Image) -> np.ndarray | None:
    """The uint16 (H, W, C) pixels of a 16-bit RGB(A) image (see module doc), or None when the
    image has none or they no longer match its 8-bit pixels (it was changed after reading)."""
    import numpy as np

    deep = image.info.get(DEEP_KEY)
    if not isinstance(deep, np.ndarray) or deep.dtype != np.uint16 or deep.ndim != 3:
        return None
    if deep.shape != (image.size[1], image.size[0], len(image.getbands())):
        return None
    native = np.ascontiguousarray(deep, dtype=np.uint16)  # a copy only when it must
    high = native.view(np.uint8)[..., 1 if sys.byteorder == "little" else 0 :: 2]  # no copy
    return deep if np.array_equal(high, np.asarray(image)) else None


_TRANSPOSE = {  # EXIF orientation -> the Image.Transpose that shows it upright (as ImageOps)
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}


def upright(image: Image.Image) -> Image.Image:
    """``image`` with its EXIF orientation applied (``image`` itself when it has none), its ICC
    profile and 16-bit colour (DEEP_KEY) kept; the orientation tag is removed."""
    import numpy as np
    from PIL import Image, ImageOps

    name = _TRANSPOSE.get(image.getexif().get(0x0112, 1))
    if name is None:
        return image
    method = Image.Transpose[name]
    deep = deep_pixels(image)
    out = ImageOps.exif_transpose(image)
    if image.info.get("icc_profile"):
        out.info["icc_profile"] = image.info["icc_profile"]
    if deep is not None:
        low = Image.fromarray((deep & 255).astype(np.uint8)).transpose(method)
        out.info[DEEP_KEY] = (np.asarray(out).astype(np.uint16) << 8) | np.asarray(low)
    return out


def with_deep_pixels(deep: np.ndarray, info: dict | None = None) -> Image.Image:
    """A 16-bit RGB(A) image from uint16 (H, W, 3|4) pixels: the 8-bit image of their high bytes
    with ``deep`` in ``info[DEEP_KEY]`` (plus ``info``'s other entries)."""
    import numpy as np
    from PIL import Image

    if deep.dtype != np.uint16 or deep.ndim != 3 or deep.shape[2] not in (3, 4):
        raise ValueError(
            f"16-bit colour pixels must be uint16 (H, W, 3|4), got {deep.dtype} {deep.shape}"
        )
    out = Image.fromarray((deep >> 8).astype(np.uint8))
    out.info.update({k: v for k, v in (info or {}).items() if k != DEEP_KEY})
    out.info[DEEP_KEY] = deep
    return out


def bit_depth(image: Image.Image) -> int:
    """Bits per channel value: 16 for 16-bit grey and 16-bit RGB(A), 32 for I and F, 1 for
    bilevel, else 8."""
    if image.mode.startswith("I;16") or deep_pixels(image) is not None:
        return 16
    return {"I": 32, "F": 32, "1": 1}.get(image.mode, 8)


def mask_to_array(mask: Image.Image) -> np.ndarray:
    """Normalise a mask image of any mode to a bool array (H, W), True = edit (see module doc)."""
    import numpy as np

    if mask.mode in ("RGBA", "LA", "PA") or (mask.mode == "P" and "transparency" in mask.info):
        rgba = np.asarray(mask.convert("RGBA"))
        alpha = rgba[..., 3]
        if (alpha < 255).any():
            return alpha < 128
        return np.asarray(mask.convert("RGB").convert("L")) >= 128
    if mask.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(mask, dtype=np.float64)
        peak = arr.max(initial=0)
        # the mask's own range decides "half": 0..1 floats, 8-bit values, or 16-bit values
        top = 1.0 if mask.mode == "F" and peak <= 1.0 else 65535.0 if peak > 255 else 255.0
        return arr >= top / 2
    return np.asarray(mask.convert("L")) >= 128


def array_to_mask(arr: np.ndarray) -> Image.Image:
    """Bool (H, W) array -> L-mode mask image, 255 = edit."""
    import numpy as np
    from PIL import Image

    return Image.fromarray(np.where(arr, 255, 0).astype(np.uint8), mode="L")


def read_mask(path: str | os.PathLike[str], size: tuple[int, int]) -> np.ndarray:
    """Read a mask file and check it matches ``size`` (W, H). Returns bool (H, W), True = edit."""
    mask = open_image(path, what="mask")
    if mask.size != size:
        raise InputError(
            f"mask is {mask.size[0]}x{mask.size[1]}, image is {size[0]}x{size[1]}; they must "
            "match: resize the mask to the image (nearest-neighbour) or regenerate it"
        )
    return mask_to_array(mask)
