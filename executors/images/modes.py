"""Images of any common Pillow mode in, the same mode out: models see RGB, the source keeps its bytes.

``split`` turns a source (RGB, RGBA, RGBX, L, LA, 1, P, PA, I;16*, I, CMYK, YCbCr, LAB, HSV, and
16-bit RGB(A): planner.imageio.deep_pixels) into the uint8 RGB the models see plus its alpha;
``merge`` puts generated RGB back into the source's own mode and bit depth, touching only the
changed pixels: every other pixel of the result is the source's value (its exact bytes for every
mode but PA, which comes back as RGBA). Alpha is carried through unchanged everywhere in the source
area. New canvas (outpainting) takes the alpha ``merge`` is given (``canvas_alpha``: the source's
edge alpha mirrored outward, so a transparent background stays transparent), opaque by default.
The ICC profile, dpi, EXIF and PNG transparency key are kept.

Colour under alpha 0 is hidden, not content: the RGB the models see is zero (black) there
(``Source.rgb``), so no fill, prefill or model copies hidden colour into visible pixels.

Conversions of changed pixels: L/LA by ITU-R 601-2 luma; 1 by thresholding luma at 128; P by the
nearest colour of the source's own palette; 16-bit grey by luma x 257, 16-bit RGB(A) by value x
257; I (32-bit) likewise when its values exceed 255. Float images (F) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import deep_pixels, with_deep_pixels

KEPT_INFO = ("icc_profile", "dpi", "transparency", "exif")
SIXTEEN = ("I;16", "I;16B", "I;16L", "I;16N")
VIA_PILLOW = ("RGBX", "CMYK", "YCbCr", "LAB", "HSV")  # modes Pillow converts to and from RGB


@dataclass(frozen=True)
class Source:
    """A source image split for the models. Arrays are (H, W[, C]), row-major, top-left origin."""

    image: Image.Image  # the source as given (PA is converted to RGBA)
    rgb: np.ndarray  # uint8 (H, W, 3): what the models see (0 where alpha is 0)
    alpha: np.ndarray | None  # uint8 (H, W), or None when the mode has no alpha channel
    scale: int  # native value per 8-bit level: 257 for 16-bit, else 1
    deep: np.ndarray | None = None  # uint16 (H, W, 3|4) of a 16-bit RGB(A) source, else None

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def split(image: Image.Image) -> Source:
    """Source image -> the RGB the models see, its alpha and the 16-bit scale."""
    mode = image.mode
    if mode == "PA":
        image, mode = image.convert("RGBA"), "RGBA"
    if mode == "F" or mode in ("RGBa", "La"):
        raise InputError(
            f"image mode {mode} (float or premultiplied) is not supported; save it as "
            "an 8- or 16-bit PNG first"
        )
    if mode in SIXTEEN or mode == "I":
        arr = np.asarray(image).astype(np.float64)
        scale = 257 if mode in SIXTEEN or arr.max(initial=0) > 255 else 1
        gray = np.clip(np.rint(arr / scale), 0, 255).astype(np.uint8)
        return Source(image, np.repeat(gray[..., None], 3, axis=2), None, scale)
    if mode not in ("RGB", "RGBA", "L", "LA", "1", "P") + VIA_PILLOW:
        raise InputError(f"image mode {mode} is not supported; convert it to RGB or RGBA first")
    alpha = np.asarray(image)[..., -1].copy() if mode in ("RGBA", "LA") else None
    rgb = np.array(image.convert("RGB"))
    if alpha is not None:
        rgb[alpha == 0] = 0  # hidden colour is not content
    deep = deep_pixels(image)
    return Source(image, rgb, alpha, 257 if deep is not None else 1, deep)


def canvas_alpha(src: Source, size: tuple[int, int], offset: tuple[int, int]) -> np.ndarray | None:
    """uint8 (H', W') alpha for an extended canvas of ``size`` (W', H') with the source at
    ``offset`` (left, top): the source's alpha, mirrored outward at its edges (reflect-101, as the
    canvas prefill), so a transparent background stays transparent and an opaque edge stays opaque.
    None when the source has no alpha (the new canvas is opaque)."""
    if src.alpha is None:
        return None
    w, h = size
    sh, sw = src.alpha.shape
    left, top = offset
    rows = _reflect(np.arange(h) - top, sh)
    cols = _reflect(np.arange(w) - left, sw)
    return src.alpha[rows[:, None], cols[None, :]]


def _reflect(idx: np.ndarray, n: int) -> np.ndarray:
    """Indices reflected into 0..n-1 without repeating the edge (OpenCV's BORDER_REFLECT_101)."""
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    idx = np.mod(idx, period)
    return np.where(idx < n, idx, period - idx)


def _nearest_palette(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour for each pixel; rgb (N, 3) uint8, palette (K, 3)."""
    pal = palette.astype(np.int32)
    out = np.empty(len(rgb), dtype=np.uint8)
    for start in range(0, len(rgb), 65536):
        chunk = rgb[start : start + 65536].astype(np.int32)
        dist = ((chunk[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
        out[start : start + 65536] = dist.argmin(axis=1)
    return out


def _to_native(src: Source, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Generated uint8 RGB (N, 3) -> the source mode's native values for those N pixels."""
    mode = src.image.mode
    if src.deep is not None:
        deep = rgb.astype(np.uint16) * 257
        return deep if src.deep.shape[2] == 3 else np.concatenate([deep, alpha[:, None]], axis=1)
    if mode == "RGB":
        return rgb
    if mode == "RGBA":
        return np.concatenate([rgb, alpha[:, None]], axis=1)
    if mode == "P":
        palette = np.asarray(src.image.getpalette() or [0, 0, 0], dtype=np.uint8).reshape(-1, 3)
        return _nearest_palette(rgb, palette)
    luma = np.asarray(Image.fromarray(rgb[None]).convert("L"))[0]
    if mode == "L":
        return luma
    if mode == "LA":
        return np.stack([luma, alpha], axis=1)
    if mode == "1":
        return luma >= 128
    if mode in SIXTEEN:
        return luma.astype(np.uint16) * 257
    if mode == "I":
        return luma.astype(np.int32) * src.scale
    return np.asarray(Image.fromarray(rgb[None]).convert(mode))[0]


def _from_array(src: Source, native: np.ndarray) -> Image.Image:
    mode = src.image.mode
    if src.deep is not None:
        return with_deep_pixels(
            native, {k: src.image.info[k] for k in KEPT_INFO if k in src.image.info}
        )
    if mode == "P":
        out = Image.frombytes("P", (native.shape[1], native.shape[0]), native.tobytes())
        out.putpalette(src.image.getpalette() or [0, 0, 0])
    elif mode in VIA_PILLOW:
        out = Image.frombytes(mode, (native.shape[1], native.shape[0]), native.tobytes())
    else:
        out = Image.fromarray(native)
    for key in KEPT_INFO:
        if key in src.image.info:
            out.info[key] = src.image.info[key]
    return out


def merge(
    src: Source,
    rgb: np.ndarray,
    changed: np.ndarray,
    offset: tuple[int, int] = (0, 0),
    new_alpha: np.ndarray | None = None,
) -> Image.Image:
    """Put generated pixels back into the source's mode.

    ``rgb`` uint8 (H', W', 3) is the result canvas (the source's size, or the extended canvas for
    outpainting); ``changed`` bool (H', W') marks the pixels to take from it; ``offset`` (left, top)
    places the source on the canvas. Pixels of the source area not in ``changed`` keep the source's
    native values, and so do its pixels under alpha 0 (hidden: nothing to change); canvas pixels
    outside the source area are always taken from ``rgb``, with
    ``new_alpha`` uint8 (H', W') as their alpha when the mode has one (default opaque); their
    colour is zeroed where that alpha is 0.
    """
    h, w = rgb.shape[:2]
    sw, sh = src.size
    left, top = offset
    native_src = src.deep if src.deep is not None else np.asarray(src.image)
    if native_src.dtype.byteorder == ">":
        native_src = native_src.astype(native_src.dtype.newbyteorder("="))
    inside = np.zeros((h, w), dtype=bool)
    inside[top : top + sh, left : left + sw] = True
    if src.alpha is not None:  # nothing shows under alpha 0: the source's bytes stay there
        inside[top : top + sh, left : left + sw] = native_src[..., -1] > 0
    take = (changed & inside) | _outside_source((h, w), src.size, offset)
    alpha = _alpha(src, native_src, (h, w), offset, new_alpha)
    if new_alpha is not None:
        new = _outside_source((h, w), src.size, offset)
        rgb = np.where(((alpha == 0) & new)[..., None], 0, rgb).astype(np.uint8)
    out = np.zeros((h, w) + native_src.shape[2:], dtype=native_src.dtype)
    out[top : top + sh, left : left + sw] = native_src
    out[take] = _to_native(src, rgb[take], alpha[take])
    return _from_array(src, out)


def _outside_source(
    hw: tuple[int, int], size: tuple[int, int], offset: tuple[int, int]
) -> np.ndarray:
    """bool (H', W'): the canvas pixels outside the source area (new canvas)."""
    out = np.ones(hw, dtype=bool)
    out[offset[1] : offset[1] + size[1], offset[0] : offset[0] + size[0]] = False
    return out


def _alpha(
    src: Source,
    native_src: np.ndarray,
    hw: tuple[int, int],
    offset: tuple[int, int],
    new_alpha: np.ndarray | None,
) -> np.ndarray:
    """Native alpha (H', W') of the result canvas: the source's inside, ``new_alpha`` (scaled to
    the native depth) or opaque outside."""
    top_value = 65535 if src.deep is not None else 255
    dtype = np.uint16 if src.deep is not None else np.uint8
    alpha = np.full(hw, top_value, dtype=dtype)
    if new_alpha is not None:
        alpha[:] = new_alpha.astype(dtype) * (257 if src.deep is not None else 1)
    if src.alpha is not None:
        sh, sw = src.alpha.shape
        left, top = offset
        inner = native_src[..., -1] if src.deep is not None else src.alpha
        alpha[top : top + sh, left : left + sw] = inner
    return alpha
