"""An edit as layers a photo editor opens: RGBA PNGs and one OpenRaster (.ora) file.

Weight-free: built from what every masked edit already has (the source, the result and the edit
mask), no model. Layers are listed bottom to top, each RGBA 8-bit at the canvas size (W, H):

- a removal: ``background`` (the result: the region filled, opaque) under ``removed-object`` (the
  source's pixels, alpha = mask, hidden), so turning the object layer on puts it back;
- any other masked edit: ``original`` (the source, opaque) under ``edit`` (the result's pixels,
  alpha = mask), so turning the edit layer off shows the photo as it was;
- a split with no edit (``split_layers``): ``rest`` (the source, alpha = not mask) under
  ``subject`` (the source, alpha = mask): the subject cut out, nothing filled;
- a cut-out ("put the subject on its own layer": a plan with the rule ``CUTOUT_RULE``,
  ``cut_out``): ``background`` (the removal's fill of the mask: opaque, no hole) under
  ``subject`` (alpha = the mask, its soft edge kept from the mask file); the run's result is the
  source unchanged. Where the alpha is soft the subject's colour is solved from the matting
  equation ``source = a * subject + (1 - a) * background`` against the fill (8-bit exact, PIL's
  own arithmetic), so the subject carries no old background in its edge and the two composite
  back to the source pixel for pixel; where no colour reaches the source the colour is clipped
  and that background pixel moved just enough (``Cutout.moved``).

The visible layers composite to the result exactly wherever the result equals the source outside
the mask (retouch's composite guarantees it: outside pixels are the source's, byte for byte).

``write_layers(folder, layers, result)`` writes ``layers/NN-name.png`` (NN from 01, bottom first),
then the composite as the next number, ``layers.ora``: an OpenRaster 0.0.5 zip (``mimetype``
first and stored, ``stack.xml`` listing layers top first, ``data/*.png``, ``mergedimage.png`` = the
composite, ``Thumbnails/thumbnail.png`` at most 256 px), and ``layers.psd`` (psd-tools: one pixel
layer each, hidden ones hidden, the visible ones merged), each file written whole or not at all. Any list of ``Layer``s goes through it, e.g. a model's (Qwen-Image-Layered) split.

Measured for a 1024x768 removal (two layers, one hidden; CPU): the .ora 3.1 MB in 0.9 s (PNG
compression), the .psd 6.9 MB in 0.17 s (RLE), every file of ``write_layers`` 1.6 s. psd-tools
1.26 is a 0.9 MB wheel, 5.4 MB installed, MIT, needing only attrs, numpy and Pillow (already in
the light install), so it is a base dependency and layers never wait on an extra.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image
from retouch.planner.contract.atomic import atomic_write

CUTOUT_RULE = "layers-subject-cutout"  # planner/rules.py: a cut-out plan carries this rule
CUTOUT_VERDICT = (
    "result.png is the source unchanged by design: the subject is on its own layer (alpha = the "
    "mask) over the filled background, and the checks measured that fill"
)
ORA_VERSION = "0.0.5"
ORA_MIMETYPE = b"image/openraster"
THUMBNAIL_SIDE = 256


@dataclass(frozen=True)
class Layer:
    """One layer: a name (lower-case words joined by '-'), its RGBA image, whether it shows."""

    name: str
    image: Image.Image  # RGBA, the canvas size
    visible: bool = True


def _rgba(img: Image.Image, alpha: np.ndarray | None = None) -> Image.Image:
    """``img`` as 8-bit RGBA; ``alpha`` (bool or uint8 (H, W)) replaces its alpha when given."""
    out = img.convert("RGBA")
    if alpha is not None:
        a = alpha.astype(np.uint8) * 255 if alpha.dtype == bool else alpha.astype(np.uint8)
        out.putalpha(Image.fromarray(a, "L"))
    return out


def edit_layers(
    source: Image.Image, result: Image.Image, mask: np.ndarray, *, removal: bool
) -> list[Layer]:
    """The layers of one masked edit, bottom first (see the module docstring).

    ``mask``: bool (H, W), True where the edit changed pixels; all three the same size."""
    if source.size != result.size or mask.shape != (result.size[1], result.size[0]):
        raise ValueError(
            f"source is {source.size}, result is {result.size}, mask is "
            f"{mask.shape[1]}x{mask.shape[0]}; they must match"
        )
    if removal:
        return [
            Layer("background", _rgba(result)),
            Layer("removed-object", _rgba(source, mask), visible=False),
        ]
    return [Layer("original", _rgba(source)), Layer("edit", _rgba(result, mask))]


def split_layers(source: Image.Image, mask: np.ndarray) -> list[Layer]:
    """The source as two layers, bottom first: ``rest`` (alpha = not mask) under ``subject``
    (alpha = mask); they composite to the source, opaque. ``mask``: bool (H, W), the source's size."""
    if mask.shape != (source.size[1], source.size[0]) or mask.dtype != bool:
        raise ValueError(
            f"mask is {mask.shape[1]}x{mask.shape[0]} {mask.dtype}, source is {source.size}; "
            "give a bool mask the source's size"
        )
    return [Layer("rest", _rgba(source, ~mask)), Layer("subject", _rgba(source, mask))]


def is_cutout(plan: Any) -> bool:
    """Whether ``plan`` (an EditPlan) is a cut-out: layers asked and the cut-out rule fired."""
    return bool(plan.layers) and any(hit.id == CUTOUT_RULE for hit in plan.rules)


def _grey(mask: Image.Image) -> np.ndarray:
    """A mask image's own levels as uint8 (H, W), 255 = edit, read as
    planner.contract.imageio.mask_to_array reads it (>= 128 there is True here): transparency
    (255 - alpha) for a mask with alpha below 255, 16-bit and float scaled to 8 bits, else L."""
    if mask.mode in ("RGBA", "LA", "PA") or (mask.mode == "P" and "transparency" in mask.info):
        alpha = np.asarray(mask.convert("RGBA"))[..., 3]
        if (alpha < 255).any():
            return (255 - alpha).astype(np.uint8)
        return np.asarray(mask.convert("RGB").convert("L"))
    if mask.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(mask, dtype=np.float64)
        peak = arr.max(initial=0)
        top = 1.0 if mask.mode == "F" and peak <= 1.0 else 65535.0 if peak > 255 else 255.0
        return np.clip(np.floor(arr / top * 255 + 0.5), 0, 255).astype(np.uint8)
    return np.asarray(mask.convert("L"))


def subject_alpha(plan: Any, region: np.ndarray) -> np.ndarray:
    """The subject layer's alpha, uint8 (H, W): the given mask file's own levels (a feathered
    edge stays soft) when they agree with ``region`` (the run's bool mask: levels >= 128 exactly
    there), else ``region`` as 0 / 255 (SAM, clicks, a box, a mask passed in as an array)."""
    hard = np.where(region, 255, 0).astype(np.uint8)
    path = plan.request.mask if plan.mask.source == "given" and not plan.mask.invert else None
    if path is None:
        return hard
    from retouch.planner.contract.imageio import open_image

    try:
        grey = _grey(open_image(path, what="mask"))
    except Exception:  # noqa: BLE001 - the run read it already; any doubt keeps the hard mask
        return hard
    return grey if grey.shape == region.shape and np.array_equal(grey >= 128, region) else hard


def _over(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """RGB ``fg`` at ``alpha`` over opaque RGB ``bg`` by PIL's alpha_composite (its rounding);
    any shape (..., 3) with ``alpha`` (...)."""
    shape = fg.shape[:-1]
    top = np.concatenate([fg, alpha[..., None]], -1).reshape(1, -1, 4).astype(np.uint8)
    under = np.concatenate([bg, np.full((*shape, 1), 255, np.uint8)], -1).reshape(1, -1, 4)
    out = Image.alpha_composite(Image.fromarray(under, "RGBA"), Image.fromarray(top, "RGBA"))
    return np.asarray(out)[0, :, :3].reshape(*shape, 3)


def _nearest_hit(out: np.ndarray, want: np.ndarray, near: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per row of ``out`` (n, 256): the level whose composite equals ``want`` (n,), nearest
    ``near`` (n,), and whether one does."""
    hit = out == want[:, None]
    cost = np.where(hit, np.abs(np.arange(256.0)[None, :] - near[:, None]), np.inf)
    return cost.argmin(1).astype(np.uint8), hit.any(1)


def _solve(src: np.ndarray, bg: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For N soft pixels (``src``, ``bg`` (N, 3) uint8, ``alpha`` (N,) in 1..254): the subject's
    colour and the background's, composited (PIL's 8-bit arithmetic, every level tried, 4096
    pixels at a time) exactly to ``src``. Per channel the colour nearest the matting solution
    ``(src - (1 - a) * bg) / a`` over ``bg`` as filled; where no level reaches ``src`` (the
    solution is below 0 or above 255) the colour is clipped to 0 or 255 and the background
    moved to the level nearest the fill that reaches it (one always does: alpha >= 128 there,
    each background level moves the composite by at most half a level); else both the source."""
    colour, under = src.copy(), bg.copy()
    for i in range(0, len(src), 4096):
        s, b, a = src[i : i + 4096], bg[i : i + 4096], alpha[i : i + 4096]
        n = len(s)
        frac = a.astype(np.float64)[:, None] / 255
        want = (s - (1 - frac) * b) / frac  # the matting equation's subject colour
        levels = np.broadcast_to(np.arange(256, dtype=np.uint8)[None, :, None], (n, 256, 3))
        alphas = np.repeat(a[:, None], 256, 1)
        out = _over(levels, alphas, np.repeat(b[:, None], 256, 1))
        clipped = np.clip(np.rint(want), 0, 255).astype(np.uint8)
        moved = _over(np.repeat(clipped[:, None], 256, 1), alphas, levels)
        for c in range(3):
            fg, ok = _nearest_hit(out[..., c], s[:, c], want[:, c])
            back, ok2 = _nearest_hit(moved[..., c], s[:, c], b[:, c].astype(np.float64))
            colour[i : i + n, c] = np.where(ok, fg, np.where(ok2, clipped[:, c], s[:, c]))
            under[i : i + n, c] = np.where(ok, b[:, c], np.where(ok2, back, s[:, c]))
    return colour, under


@dataclass(frozen=True)
class Cutout:
    """A cut-out's layers (bottom first: background, subject) and how many soft-edge pixels
    moved off the fill in the background because no subject colour reached the source over it
    (``moved``)."""

    layers: list[Layer]
    moved: int


def cutout_layers(source: Image.Image, fill: Image.Image, alpha: np.ndarray) -> Cutout:
    """``background`` (``fill``, opaque) under ``subject`` (alpha = ``alpha``, uint8 (H, W));
    they composite to ``source`` exactly (see the module docstring and ``_solve``). ``fill``
    equals ``source`` wherever ``alpha`` is below 128 (the removal's fill covers the mask,
    undilated)."""
    if fill.size != source.size or alpha.shape != (source.size[1], source.size[0]):
        raise ValueError(
            f"source is {source.size}, fill is {fill.size}, mask is "
            f"{alpha.shape[1]}x{alpha.shape[0]}; they must match"
        )
    src = np.asarray(source.convert("RGB"))
    bg = np.array(fill.convert("RGB"))
    colour = np.where((alpha > 0)[..., None], src, 0).astype(np.uint8)
    soft = (alpha > 0) & (alpha < 255) & (bg != src).any(-1)
    moved = 0
    if soft.any():
        colour[soft], under = _solve(src[soft], bg[soft], alpha[soft])
        moved = int((under != bg[soft]).any(-1).sum())
        bg[soft] = under
    back = Image.fromarray(bg, "RGB").convert("RGBA")
    subject = Image.fromarray(np.dstack([colour, alpha.astype(np.uint8)]), "RGBA")
    return Cutout([Layer("background", back), Layer("subject", subject)], moved)


def cut_out(source: Image.Image, plan: Any, output: Any) -> Any:
    """A cut-out run's output (an executors.run.RunOutput whose image is the removal's fill):
    the same output with the source as its image and the cut-out's layers (``cutout_layers``;
    None for a source that is not 8-bit RGB or grey: alpha or deep levels would not composite
    back); the edit mask and provenance as they were."""
    layers = None
    if source.mode in ("RGB", "L") and output.image.size == source.size:
        alpha = subject_alpha(plan, output.edit_mask)
        layers = cutout_layers(source, output.image, alpha).layers
    return replace(output, image=source, layers=layers)


def cutout_report(report: Any, source: Image.Image, output: Any) -> Any:
    """``report`` (a QAReport of the fill) with an item ``layers-composite`` (the cut-out's
    visible layers against the source: the largest difference, 0 to pass) and the verdict
    saying result.png is the source by design (``with_cutout_verdict``)."""
    from retouch.executors.qa.report import QAResult, finish

    if output.layers:
        merged = np.asarray(composite(output.layers), dtype=np.int16)
        diff = float(np.abs(merged - np.asarray(source.convert("RGBA"), np.int16)).max())
        item = QAResult(
            id="layers-composite",
            status="pass" if diff == 0 else "fail",
            value=diff,
            threshold=0.0,
            fix=None,
            detail="the subject layer over the filled background, against the source: the "
            "largest channel difference (0 = they composite back to it exactly)",
        )
    else:
        item = QAResult(
            id="layers-composite",
            status="skipped",
            value=None,
            threshold=None,
            fix=None,
            detail=f"no cut-out layers for a {source.mode} source (8-bit RGB or grey only)",
        )
    return with_cutout_verdict(finish([*report.items, item], list(report.degraded)))


def kept_as_layers(source: Image.Image, plan: Any, output: Any, report: Any) -> tuple[Any, Any]:
    """(output, report) of one attempt, for a cut-out plan (``is_cutout``) turned into the
    source with the fill as its background layer (``cut_out``, ``cutout_report``); any other
    plan's as they are. server.edits.sequence.attempt calls it after QA measured the fill."""
    if not is_cutout(plan):
        return output, report
    output = cut_out(source, plan, output)
    return output, cutout_report(report, source, output)


def with_cutout_verdict(report: Any) -> Any:
    """``report`` with ``CUTOUT_VERDICT`` after its verdict (once)."""
    if CUTOUT_VERDICT in report.verdict:
        return report
    return report.model_copy(update={"verdict": f"{report.verdict}; {CUTOUT_VERDICT}"})


def composite(layers: list[Layer]) -> Image.Image:
    """The visible layers, bottom first, alpha-composited (src-over) onto transparency; RGBA."""
    if not layers:
        raise ValueError("no layers to composite")
    out = Image.new("RGBA", layers[0].image.size, (0, 0, 0, 0))
    for layer in layers:
        if layer.visible:
            out = Image.alpha_composite(out, layer.image)
    return out


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def stack_xml(layers: list[Layer], size: tuple[int, int]) -> str:
    """OpenRaster's stack.xml: the image size and the layers, TOP first, each at (0, 0)."""
    rows = [
        f'    <layer name={quoteattr(layer.name)} src="data/{i:02d}-{layer.name}.png" x="0" y="0" '
        f'opacity="1.0" visibility="{"visible" if layer.visible else "hidden"}" '
        'composite-op="svg:src-over"/>'
        for i, layer in reversed(list(enumerate(layers, start=1)))
    ]
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<image version="{ORA_VERSION}" w="{size[0]}" h="{size[1]}">\n  <stack>\n'
        + "\n".join(rows)
        + "\n  </stack>\n</image>\n"
    )


def ora_bytes(layers: list[Layer], merged: Image.Image) -> bytes:
    """The OpenRaster file for ``layers`` (bottom first) with ``merged`` as its mergedimage."""
    thumb = merged.convert("RGBA")
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ORA_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        z.writestr("stack.xml", stack_xml(layers, merged.size), zipfile.ZIP_DEFLATED)
        for i, layer in enumerate(layers, start=1):
            z.writestr(f"data/{i:02d}-{layer.name}.png", _png(layer.image), zipfile.ZIP_STORED)
        z.writestr("mergedimage.png", _png(merged.convert("RGBA")), zipfile.ZIP_STORED)
        z.writestr("Thumbnails/thumbnail.png", _png(thumb), zipfile.ZIP_STORED)
    return buf.getvalue()


def psd_bytes(layers: list[Layer], size: tuple[int, int]) -> bytes:
    """A Photoshop file (8-bit RGBA, ``size`` (W, H), psd-tools) of ``layers`` (bottom first),
    each a pixel layer at (0, 0) keeping its alpha and visibility; psd-tools composites the
    visible ones into the merged image as it saves."""
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer

    psd = PSDImage.new("RGBA", size, depth=8)
    for layer in layers:  # frompil appends the layer; RGBA keeps alpha as its transparency
        pixel = PixelLayer.frompil(layer.image, psd, layer.name, 0, 0)
        pixel.visible = layer.visible
    buf = io.BytesIO()
    psd.save(buf)
    return buf.getvalue()


def write_layers(folder: Path, layers: list[Layer], result: Image.Image) -> list[Path]:
    """Write ``folder/layers/NN-name.png`` (bottom first, then ``NN-composite.png``: the
    composite of the visible layers), ``folder/layers.ora`` and ``folder/layers.psd``; return
    the paths written.

    Raises ValueError when the visible layers do not composite to ``result`` (8-bit RGB/RGBA)."""
    merged = composite(layers)
    if not np.array_equal(np.asarray(merged), np.asarray(result.convert("RGBA"))):
        raise ValueError("the visible layers do not composite to the result; nothing written")
    out = Path(folder) / "layers"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    named = [*layers, Layer("composite", merged)]
    for i, layer in enumerate(named, start=1):
        path = out / f"{i:02d}-{layer.name}.png"
        atomic_write(path, _png(layer.image))
        paths.append(path)
    ora, psd = Path(folder) / "layers.ora", Path(folder) / "layers.psd"
    atomic_write(ora, ora_bytes(layers, merged))
    atomic_write(psd, psd_bytes(layers, merged.size))
    return [*paths, ora, psd]
