"""The one writer of a run folder, used by every front:

    RESULT (format from its suffix; result.png, or .tif for a mode PNG cannot hold)   the result
    mask.png            the region regenerated (255 = edit)
    comparison.png      source | mask | result (server.edits.images.comparison_image)
    preview.jpg|png     a small preview (MCP shows it inline; ``preview=True``)
    plan.json, skill-editing-pipeline.md, qa.json, provenance.json
    attempts/N/         result.png, plan.json, qa.json of every attempt, after retries
    layers/NN-name.png  with ``plan.layers``: the edit as RGBA layers, bottom first, then the
    layers.ora, .psd    composite; the same layers as OpenRaster and Photoshop files
                        (executors.images.layers). A cut-out ("put the subject on its own
                        layer"): the result is the source, the layers the filled background
                        and the subject (alpha = the mask)

Every file is written whole or not at all (planner.atomic). The result keeps the source's mode,
bit depth, alpha and ICC profile (executors.images.encode), or is refused by a format that
cannot hold them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from retouch.executors.images.encode import FORMATS  # noqa: F401  (the suffixes written)
from retouch.server.edits.job import RunFiles

LOSSY = ("JPEG",)


def save_image(img: Any, path: Path) -> None:
    """Write ``img`` to ``path`` in the format its suffix names, keeping mode, bit depth, alpha
    and ICC profile (executors.images.encode), whole or not at all; InputError naming the formats
    that hold the image when this one cannot."""
    from retouch.executors.images.encode import save_image as encode_save

    encode_save(img, path)


def result_file(path: Path, img: Any) -> Path:
    """``path``, or for a path without a suffix (``DIR/result``) the lossless default for
    ``img``: .png when PNG holds it, else .tif (CMYK, LAB, float...)."""
    from retouch.executors.images.encode import suffix_for

    return path if path.suffix else path.with_suffix(suffix_for(img))


def _json(model: BaseModel) -> bytes:
    return (model.model_dump_json(indent=2) + "\n").encode()


def write_run(
    result_path: Path,
    source: Any,
    plan: Any,
    output: Any,
    report: Any,
    comparison: Any,
    *,
    attempts: list[Any] = (),  # type: ignore[assignment]
    copies: tuple[Path, ...] = (),
    preview: bool = False,
) -> tuple[RunFiles, Any]:
    """Write the run folder around ``result_path`` (its parent): see the module docstring.
    A ``result_path`` without a suffix gets the lossless one that holds the image (result_file).

    ``output`` is the kept attempt's executors.run.RunOutput, ``report`` its QAReport,
    ``comparison`` the PIL comparison image; ``copies`` are more paths for the result (MCP's
    ``output`` argument). QA's size-mode is judged again on the result's file as written (its
    mode, bit depth, alpha and ICC as re-read); qa.json holds that report, returned with the
    files. provenance.json holds ``output.provenance`` until ``write_provenance`` replaces it
    (after the history has the version)."""
    from retouch.executors.images import layers
    from retouch.executors.qa.check import with_written
    from retouch.planner.contract.atomic import atomic_write, make_dirs, read_back
    from retouch.planner.render import write_outputs

    result_path = result_file(result_path, output.image)
    folder = result_path.parent
    make_dirs(folder)
    save_image(output.image, result_path)
    report = with_written(report, source, read_back(result_path), plan)
    if layers.is_cutout(plan):  # with_written's verdict again says why result.png is the source
        report = layers.with_cutout_verdict(report)
    for copy in copies:
        save_image(output.image, copy)
    mask, shown = _write_pictures(folder, output, preview)
    save_image(comparison, folder / "comparison.png")
    doc, plan_path = write_outputs(plan, folder)
    atomic_write(folder / "qa.json", _json(report))
    atomic_write(folder / "provenance.json", _json(output.provenance))
    if len(attempts) > 1:
        write_attempts(attempts, folder)
    layer_files, layers_note = (
        write_layers(folder, source, plan, output) if plan.layers else ((), None)
    )
    files = RunFiles(
        folder=folder,
        result=result_path,
        comparison=folder / "comparison.png",
        plan=plan_path,
        doc=doc,
        qa=folder / "qa.json",
        provenance=folder / "provenance.json",
        mask=mask,
        preview=shown,
        copies=tuple(copies),
        layers=layer_files,
        layers_note=layers_note,
    )
    return files, report


def _write_pictures(folder: Path, output: Any, preview: bool) -> tuple[Path | None, Path | None]:
    """mask.png (255 = edit) when the run had a region, and with ``preview`` a small preview
    (PNG with alpha, else JPEG); their paths, None for what was not written."""
    from retouch.planner.contract.atomic import atomic_write
    from retouch.planner.contract.imageio import array_to_mask
    from retouch.server.edits import images

    mask = shown = None
    if output.edit_mask is not None:
        mask = folder / "mask.png"
        atomic_write(mask, images.encode_png(array_to_mask(output.edit_mask)))
    if preview:
        small, mime = images.preview(output.image)
        shown = folder / ("preview.png" if mime == "image/png" else "preview.jpg")
        atomic_write(shown, small)
    return mask, shown


def write_layers(
    folder: Path, source: Any, plan: Any, output: Any
) -> tuple[tuple[Path, ...], str | None]:
    """The edit as layers (executors.images.layers): a removal as the filled background under
    the removed object (hidden, alpha = the edit mask), a cut-out as the filled background under
    the subject (alpha = the mask; the result is the source), a layered model's own layers, any
    other edit as the original under the edit (alpha = the edit mask); an extension's original
    sits at its offset on the new canvas, transparent around it. Returns (the paths written,
    None), or ((), why) when the layers would not composite to the result (e.g. a masked edit
    of a source with its own alpha, or a cut-out of one)."""
    from PIL import Image
    from retouch.executors.images import layers

    e = plan.request.extend
    if plan.mode == "outpaint" and e is not None and source.size != output.image.size:
        canvas = Image.new("RGBA", output.image.size, (0, 0, 0, 0))
        canvas.paste(source.convert("RGBA"), (e.left, e.top))
        source = canvas
    if layers.is_cutout(plan) and not getattr(output, "layers", None):
        return (
            (),
            f"no layers written: a cut-out needs an 8-bit RGB or grey source, not {source.mode}",
        )
    try:
        stack = getattr(output, "layers", None) or layers.edit_layers(  # a layered model's own
            source, output.image, output.edit_mask, removal=plan.intent == "remove"
        )
        return tuple(layers.write_layers(folder, stack, output.image)), None
    except ValueError as exc:
        return (), f"no layers written: {exc}"


def write_provenance(files: RunFiles, provenance: BaseModel) -> None:
    """Replace provenance.json with ``provenance`` (a front's richer record, e.g. MCP's with the
    tool's inputs and the version id)."""
    from retouch.planner.contract.atomic import atomic_write

    atomic_write(files.provenance, _json(provenance))


def write_attempts(attempts: list[Any], folder: Path) -> None:
    """Every attempt's result, plan and QA report under FOLDER/attempts/N/ (N from 1)."""
    from retouch.planner.contract.atomic import atomic_write, make_dirs

    for a in attempts:
        where = folder / "attempts" / str(a.index + 1)
        make_dirs(where)
        save_image(a.output.image, result_file(where / "result", a.output.image))
        atomic_write(where / "plan.json", _json(a.plan))
        atomic_write(where / "qa.json", _json(a.report))


def moved(files: RunFiles, folder: Path) -> RunFiles:
    """``files`` with every path in the run folder moved to ``folder`` (the copies stay)."""

    def move(v: Path) -> Path:
        return folder / v.relative_to(files.folder) if v.is_relative_to(files.folder) else v

    moved: dict[str, Any] = {k: move(v) for k, v in vars(files).items() if isinstance(v, Path)}
    return replace(files, **moved, layers=tuple(move(p) for p in files.layers))
