"""The fidelity cases of issue 25, as files on disk, and how to compare a result with its source.

Each case writes a source file (a real photo: scikit-image's astronaut, 128x128), a mask and the
edit; ``native`` reads any image file into the array of its own values (uint16 for 16-bit colour
and grey, the CMYK bytes for CMYK, palette indices for P), which is what "byte-exact outside the
edit" compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image, ImageCms
from retouch.planner.contract.imageio import deep_pixels, open_image

SIZE = 128
BOX = (52, 56, 76, 80)  # XYXY of the region to remove
MARGIN = 32  # pixels farther than this from BOX must be the source's exactly
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@dataclass(frozen=True)
class Case:
    name: str
    source: Path
    mask: Path | None
    edit: str
    out_suffix: str  # the result's lossless suffix
    mode: str  # what the result file must hold (encode.kind: RGB;16 for 16-bit colour)
    depth: int
    alpha: bool
    upright: tuple[int, int]  # (W, H) of the source as displayed
    extend: tuple[int, int, int, int] | None = None  # left, top, right, bottom


def photo() -> np.ndarray:
    """uint8 (128, 128, 3) astronaut."""
    img = Image.fromarray(skimage.data.astronaut()).resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    return np.asarray(img)


def _mask(folder: Path, size: tuple[int, int]) -> Path:
    m = np.zeros((size[1], size[0]), dtype=np.uint8)
    x0, y0, x1, y1 = BOX
    m[y0:y1, x0:x1] = 255
    path = folder / "mask.png"
    Image.fromarray(m).save(path)
    return path


def make(name: str, folder: Path) -> Case:
    """Write case ``name``'s source and mask into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = photo()
    size = (SIZE, SIZE)
    remove = "remove the object"
    if name == "rgb16":  # low bytes that an 8-bit path would lose
        low = np.random.default_rng(0).integers(0, 256, rgb.shape, dtype=np.uint16)
        deep = (rgb.astype(np.uint16) << 8) | low
        from retouch.executors.images.encode import encode_image
        from retouch.planner.contract.imageio import with_deep_pixels

        src = folder / "rgb16.png"
        src.write_bytes(encode_image(with_deep_pixels(deep, {"icc_profile": SRGB}), "PNG"))
        return Case(name, src, _mask(folder, size), remove, ".png", "RGB;16", 16, False, size)
    if name == "grey16":
        grey = np.asarray(Image.fromarray(rgb).convert("L")).astype(np.uint16) * 257 + 3
        src = folder / "grey16.png"
        Image.fromarray(grey).save(src)
        return Case(name, src, _mask(folder, size), remove, ".png", "I;16", 16, False, size)
    if name in ("cmyk-jpeg", "cmyk-tiff"):
        suffix = ".jpg" if name == "cmyk-jpeg" else ".tif"
        src = folder / f"cmyk{suffix}"
        Image.fromarray(rgb).convert("CMYK").save(src, quality=95)
        return Case(name, src, _mask(folder, size), remove, ".tif", "CMYK", 8, False, size)
    if name == "palette":
        src = folder / "palette.png"
        pal = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
        pal.save(src, icc_profile=SRGB)
        return Case(name, src, _mask(folder, size), remove, ".png", "P", 8, False, size)
    if name == "exif-jpeg":  # stored 96 wide x 128 tall, shown rotated: 128 wide x 96 tall
        stored = Image.fromarray(rgb[:96].copy()).transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[0x0112] = 6
        exif[0x010F] = "retouch-test-camera"  # Make: kept in the result
        src = folder / "rotated.jpg"
        stored.save(src, exif=exif.tobytes(), quality=95)
        shown = (SIZE, 96)
        return Case(name, src, _mask(folder, shown), remove, ".png", "RGB", 8, False, shown)
    if name == "rgba-extend":  # transparent background band with colour hidden under alpha 0
        alpha = np.full((SIZE, SIZE), 255, dtype=np.uint8)
        alpha[:, :24] = 0
        alpha[:24, :] = 0
        src = folder / "sticker.png"
        Image.fromarray(np.dstack([rgb, alpha])).save(src)
        return Case(
            name, src, None, "extend the canvas", ".png", "RGBA", 8, True, size, (16, 16, 0, 0)
        )
    raise ValueError(f"no fidelity case {name!r}")


CASES = ("rgb16", "grey16", "cmyk-jpeg", "cmyk-tiff", "palette", "exif-jpeg", "rgba-extend")


def native(image: Image.Image) -> np.ndarray:
    """The image's own values: uint16 (H, W, C) for 16-bit colour, else the mode's array."""
    deep = deep_pixels(image)
    return deep if deep is not None else np.asarray(image)


def outside(case: Case) -> np.ndarray:
    """bool (H, W) on the source as displayed: farther than MARGIN from the edit box, or for an
    extension from the sides extended (the seam band inside the source is blended)."""
    w, h = case.upright
    ys, xs = np.mgrid[0:h, 0:w]
    if case.extend is not None:
        left, top, right, bottom = (MARGIN if e else 0 for e in case.extend)
        return (xs >= left) & (xs < w - right) & (ys >= top) & (ys < h - bottom)
    x0, y0, x1, y1 = BOX
    return (xs < x0 - MARGIN) | (xs >= x1 + MARGIN) | (ys < y0 - MARGIN) | (ys >= y1 + MARGIN)


def assert_faithful(case: Case, result_path: Path) -> None:
    """The result file holds the case's mode, depth and alpha, upright, with its source's values
    exactly outside the edit (for an extension: the whole source area, and a transparent,
    colourless new area)."""
    from retouch.executors.images.encode import read_back

    data = result_path.read_bytes()
    held = read_back(data)
    assert (held.mode, held.depth, held.alpha) == (case.mode, case.depth, case.alpha), held
    src, res = open_image(case.source), open_image(result_path)
    with Image.open(case.source) as raw:
        make_tag = raw.getexif().get(0x010F)
    with Image.open(result_path) as raw:  # stored upright: no orientation left to apply
        assert raw.getexif().get(0x0112, 1) == 1
        assert raw.getexif().get(0x010F) == make_tag  # the rest of the EXIF is kept
    if src.info.get("icc_profile"):
        assert held.icc == src.info["icc_profile"]
    s, r = native(src), native(res)
    if case.extend is not None:
        left, top, right, bottom = case.extend
        w, h = case.upright
        assert res.size == (w + left + right, h + top + bottom)
        inner = r[top : top + h, left : left + w]
        keep = outside(case)
        assert np.array_equal(inner[keep], s[keep]), "source pixels away from the seam changed"
        assert np.array_equal(inner[..., 3], s[..., 3]), "the source's alpha changed"
        hidden = s[..., 3] == 0
        assert np.array_equal(inner[hidden], s[hidden]), "pixels under alpha 0 changed"
        new = np.ones(r.shape[:2], dtype=bool)
        new[top : top + h, left : left + w] = False
        assert (r[new] == 0).all(), "the new canvas must be transparent and show no colour"
        return
    assert res.size == case.upright
    keep = outside(case)
    assert np.array_equal(r[keep], s[keep]), "pixels outside the edit changed"
    x0, y0, x1, y1 = BOX
    assert not np.array_equal(r[y0:y1, x0:x1], s[y0:y1, x0:x1]), "the edit changed nothing"
