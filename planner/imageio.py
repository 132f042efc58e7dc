"""Reading images and masks safely with Pillow: size limits, EXIF orientation, mask conventions.

Mask convention inside retouch: a boolean array (H, W), True = edit. At the edges we accept
- L / 1 / P / RGB masks: white (>= 128 after conversion to L) means edit, as diffusers, Stability
  and BFL read them;
- RGBA masks with any transparency: transparent (alpha < 128) means edit, as OpenAI's edit API reads
  them; a fully opaque RGBA mask falls back to its luminance.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from retouch.planner.errors import InputError

DEFAULT_MAX_PIXELS = 64_000_000


def max_pixels() -> int:
    """Largest image retouch opens (pixels); RETOUCH_MAX_PIXELS overrides the 64 MP default."""
    raw = os.environ.get("RETOUCH_MAX_PIXELS")
    if raw is None:
        return DEFAULT_MAX_PIXELS
    try:
        return int(raw)
    except ValueError as exc:
        raise InputError(f"RETOUCH_MAX_PIXELS={raw!r} is not a whole number of pixels") from exc


def open_image(path: str | os.PathLike[str], what: str = "image") -> Image.Image:
    """Open and fully decode an image file, EXIF-orientation applied. Returns a loaded PIL image.

    Raises InputError for a missing or unreadable file, a non-image, or an image over the pixel limit
    (a decompression bomb is refused before its pixels are decoded).
    """
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
                im.load()
                out = ImageOps.exif_transpose(im)
                icc = im.info.get("icc_profile")
                if icc:
                    out.info["icc_profile"] = icc
                return out
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


def mask_to_array(mask: Image.Image) -> np.ndarray:
    """Normalise a mask image of any mode to a bool array (H, W), True = edit (see module doc)."""
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
