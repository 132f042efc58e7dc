"""What every front's batch shares: the per-image summary entries, folder names, masks found by
stem, the verdict word and the contact sheet (``retouch batch`` and the ``run_batch`` tool).

May import planner and executors (Pillow only inside the contact sheet); no front, no typer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
THUMB_PX = 160  # each contact-sheet panel fits a THUMB_PX square
LABEL_PX = 360  # width of the contact sheet's label column


class BatchEntry(BaseModel):
    """One image of a batch: how it went."""

    model_config = ConfigDict(extra="forbid")
    image: str = Field(description="The input image path as expanded from the command line.")
    folder: str | None = Field(description="DIR/<stem>/ holding its files; null if none written.")
    status: Literal["ok", "qa-failed", "error"] = Field(
        description="ok: QA passed; qa-failed: written, QA failed; error: bad input or failed run."
    )
    verdict: str | None = Field(
        description="failed, degraded, clean or verified (the full line is in its qa.json)."
    )
    degraded: list[str] = Field(description="What ran instead of the plan, one sentence each.")
    error: str | None = Field(description="The one-line error of an image that was not edited.")
    seconds: float = Field(description="Wall time for this image, plan to files.")


class BatchSummary(BaseModel):
    """DIR/summary.json: the edit and one entry per image, in input order."""

    model_config = ConfigDict(extra="forbid")
    edit: str = Field(description="The edit applied to every image.")
    images: list[BatchEntry] = Field(description="One entry per image, in input order.")


def folder_names(images: list[str]) -> list[str]:
    """One folder name per image: its stem, with -2, -3... where stems repeat."""
    names: list[str] = []
    for image in images:
        stem = Path(image).stem or "image"
        name, n = stem, 1
        while name in names:
            n += 1
            name = f"{stem}-{n}"
        names.append(name)
    return names


def mask_for(mask_dir: Path, stem: str) -> str:
    """The mask in ``mask_dir`` named by ``stem`` (STEM.png, STEM-mask.png, STEM_mask.png...)."""
    from retouch.planner.contract.errors import InputError

    for name in (stem, f"{stem}-mask", f"{stem}_mask"):
        for suffix in IMAGE_SUFFIXES:
            if (mask_dir / f"{name}{suffix}").is_file():
                return str(mask_dir / f"{name}{suffix}")
    raise InputError(f"no mask for {stem} in {mask_dir}; save it as {mask_dir / stem}.png")


def verdict_word(report: Any) -> str:
    """The verdict's first word: failed, degraded, clean or verified."""
    if not report.passed:
        return "failed"
    if report.degraded:
        return "degraded"
    return "verified" if report.content_verified else "clean"


def thumbnail(img: Any) -> Any:
    """``img`` as RGB fitted into a THUMB_PX square on grey."""
    from PIL import Image
    from retouch.executors.images import modes as imagemodes

    rgb = Image.fromarray(imagemodes.split(img).rgb)
    rgb.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
    box = Image.new("RGB", (THUMB_PX, THUMB_PX), (128, 128, 128))
    box.paste(rgb, ((THUMB_PX - rgb.width) // 2, (THUMB_PX - rgb.height) // 2))
    return box


def contact_sheet(rows: list[tuple[Any, Any, str]]) -> Any:
    """Source | result | label, one row per image (None for an image that is not there).

    Returns an RGB PIL image (2 * THUMB_PX + LABEL_PX + 8) wide, THUMB_PX + 4 per row.
    """
    from PIL import Image, ImageDraw

    width, row_h = 2 * THUMB_PX + LABEL_PX + 8, THUMB_PX + 4
    sheet = Image.new("RGB", (width, max(1, len(rows)) * row_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for n, (source, result, label) in enumerate(rows):
        y = n * row_h
        for k, img in enumerate((source, result)):
            panel = thumbnail(img) if img is not None else Image.new("RGB", (THUMB_PX,) * 2, "grey")
            sheet.paste(panel, (k * (THUMB_PX + 4), y))
        draw.multiline_text((2 * THUMB_PX + 16, y + 8), label, fill=(0, 0, 0), spacing=6)
    return sheet


def wrap_label(text: str, width: int = 52) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:8])
