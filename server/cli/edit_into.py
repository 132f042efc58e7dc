"""Edit one image into files: run a plan with QA retries, write the result and everything beside it.

``retouch edit`` calls ``run_checked`` and ``write_edit_files``; ``retouch batch`` calls
``edit_into_folder`` (plan, run, write) once per image. The folder gets the result, plan.json, the
skill doc, provenance.json, qa.json, comparison.png (and attempts/ after retries), each written
whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = {
    ".png": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
}
LOSSY = ("JPEG",)
PANEL_PX = 512  # height of each comparison panel (at most the canvas height)


@dataclass(frozen=True)
class RunOptions:
    """How a plan is run: model override, executor, device, SAM checkpoint, downloads, retries."""

    model: str | None = None
    executor: str = "auto"
    device: str | None = None
    sam: str | None = None
    allow_download: bool = False
    max_retries: int = 0


def run_checked(
    plan: Any,
    source: Any,
    opts: RunOptions,
    *,
    mask: Any = None,
    control: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """Run ``plan`` on ``source`` and QA-check each result, re-planning with the fixes while
    ``opts.max_retries`` remain. Returns every attempt (executors.qa.retry.Attempt)."""
    from retouch.executors.qa.check import check
    from retouch.executors.qa.retry import edit_with_retries
    from retouch.executors.run import run_plan

    def run_once(p: Any) -> Any:
        return run_plan(
            p,
            image=source,
            mask=mask,
            control=control,
            model=opts.model,
            executor=opts.executor,
            device=opts.device,
            progress=progress,
            sam_checkpoint=opts.sam,
            allow_download=opts.allow_download,
        )

    def check_once(p: Any, output: Any) -> Any:
        # the checklist of what actually ran (a classical fallback used no prompt)
        ran = p.model_copy(update={"executor": output.provenance.executor})
        return check(source, output.image, output.edit_mask, ran, output.provenance.degraded)

    return edit_with_retries(plan, run_once, check_once, opts.max_retries)


def write_edit_files(
    out: Path, plan: Any, result: Any, report: Any, attempts: list[Any], source: Any
) -> tuple[Path, Path, Any]:
    """The result at ``out`` (format from its suffix) and beside it plan.json, the skill doc,
    provenance.json, qa.json, attempts/ (after retries) and comparison.png. Returns (doc path,
    plan path, comparison image)."""
    from retouch.planner.atomic import atomic_write
    from retouch.planner.render import write_outputs

    out.parent.mkdir(parents=True, exist_ok=True)
    save_image(result.image, out)
    doc, plan_path = write_outputs(plan, out.parent)
    provenance = result.provenance.model_dump_json(indent=2) + "\n"
    atomic_write(out.parent / "provenance.json", provenance.encode())
    atomic_write(out.parent / "qa.json", (report.model_dump_json(indent=2) + "\n").encode())
    if len(attempts) > 1:
        write_attempts(attempts, out)
    e = plan.request.extend
    offset = (e.left, e.top) if plan.mode == "outpaint" and e is not None else (0, 0)
    comparison = comparison_image(source, result.edit_mask, result.image, offset)
    save_image(comparison, out.parent / "comparison.png")
    return doc, plan_path, comparison


@dataclass(frozen=True)
class EditOptions:
    """What every image of a batch shares: the plan options and the run options."""

    extend: str | None = None
    scene: str | None = None
    priority: str = "balanced"
    licence: str = "any"
    hardware: str = "cpu"
    seed: int | None = None
    steps: int | None = None
    model: str | None = None
    executor: str = "auto"
    sam: str | None = None
    device: str | None = None
    allow_download: bool = False
    max_retries: int = 0
    reference: str | None = None  # a reference image every edit uses (checked once)


@dataclass(frozen=True)
class EditOutcome:
    """What one edit left: the source and result images, the QA report, the provenance."""

    source: Any  # PIL image as read
    result: Any  # PIL image written to result.png
    report: Any  # executors.qa.report.QAReport of the kept attempt
    provenance: Any  # the kept attempt's Provenance
    attempts: int


def edit_into_folder(
    image: str,
    edit: str,
    folder: Path,
    opts: EditOptions,
    *,
    mask: str | None = None,
    text: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EditOutcome:
    """Plan ``edit`` for ``image`` (with a mask file or a text-named object), run it with QA and
    up to ``opts.max_retries`` retries, and write every file into ``folder``.

    Raises the RetouchError of a bad input or a failed run; a QA failure is not raised (the
    outcome's report says it).
    """
    from retouch.executors.qa.retry import best_attempt
    from retouch.planner import analyze, make_plan
    from retouch.planner.imageio import open_image, read_mask
    from retouch.server.requests import build_request

    # 1. the plan, made for the batch's hardware
    request = build_request(
        image,
        edit,
        mask=mask,
        text=text,
        extend=opts.extend,
        scene=opts.scene,
        priority=opts.priority,
        hardware=opts.hardware,
        seed=opts.seed,
        steps=opts.steps,
        licence=opts.licence,
        reference=opts.reference,
    )
    plan = make_plan(request, analyze(request))
    # 2. the inputs
    source = open_image(image)
    raw_mask = read_mask(mask, source.size) if mask and plan.mask.source == "given" else None

    # 3. run and check, re-planning with the QA fixes while retries remain
    run = RunOptions(
        opts.model, opts.executor, opts.device, opts.sam, opts.allow_download, opts.max_retries
    )
    attempts = run_checked(plan, source, run, mask=raw_mask, progress=progress)
    best = best_attempt(attempts)
    plan, result, report = best.plan, best.output, best.report
    # 4. the files, each whole or not at all
    write_edit_files(folder / "result.png", plan, result, report, attempts, source)
    return EditOutcome(source, result.image, report, result.provenance, len(attempts))


def save_image(img: Any, path: Path) -> None:
    """Write ``img`` to ``path`` in the format its suffix names, whole or not at all."""
    from retouch.planner.atomic import atomic_save
    from retouch.planner.errors import InputError

    fmt = FORMATS[path.suffix.lower()]
    kwargs: dict[str, Any] = {"lossless": True} if fmt == "WEBP" else {}
    if fmt == "JPEG":
        kwargs["quality"] = 95
    if img.info.get("icc_profile"):
        kwargs["icc_profile"] = img.info["icc_profile"]
    try:
        atomic_save(path, lambda tmp: img.save(tmp, format=fmt, **kwargs))
    except (OSError, ValueError, KeyError) as exc:
        other = "RESULT.tif (TIFF keeps every mode)" if fmt == "PNG" else "RESULT.png"
        raise InputError(
            f"cannot write a {img.mode} image as {fmt} to {path} ({exc}); use --out {other}"
        ) from exc


def comparison_image(source: Any, edit_mask: Any, result: Any, offset: tuple[int, int]) -> Any:
    """Source | mask | result side by side, RGB, each panel the canvas's shape, at most 512 tall.

    For outpainting the source sits at ``offset`` on a grey canvas the result's size.
    """
    import numpy as np
    from PIL import Image
    from retouch.executors.images import modes as imagemodes

    canvas = np.asarray(imagemodes.split(result).rgb)
    src = np.full_like(canvas, 128)
    s = imagemodes.split(source).rgb
    src[offset[1] : offset[1] + s.shape[0], offset[0] : offset[0] + s.shape[1]] = s
    mask = np.repeat(np.where(edit_mask, 255, 0).astype(np.uint8)[..., None], 3, axis=2)
    h = min(PANEL_PX, canvas.shape[0])
    w = max(1, round(canvas.shape[1] * h / canvas.shape[0]))
    gap = np.full((h, 4, 3), 255, dtype=np.uint8)
    panels = [
        np.asarray(Image.fromarray(p).resize((w, h), Image.Resampling.LANCZOS))
        for p in (src, mask, canvas)
    ]
    return Image.fromarray(np.hstack([panels[0], gap, panels[1], gap, panels[2]]))


def write_attempts(attempts: list[Any], out: Path) -> None:
    """Every attempt's result, plan and QA report under OUT_DIR/attempts/N/."""
    from retouch.planner.atomic import atomic_write

    for a in attempts:
        folder = out.parent / "attempts" / str(a.index + 1)
        folder.mkdir(parents=True, exist_ok=True)
        save_image(a.output.image, folder / "result.png")
        atomic_write(folder / "plan.json", (a.plan.model_dump_json(indent=2) + "\n").encode())
        atomic_write(folder / "qa.json", (a.report.model_dump_json(indent=2) + "\n").encode())


def stderr_progress(first_column: str) -> Any:
    """A started rich Progress on stderr (description, bar, n/total, elapsed), cleared when
    stopped: the diffusion bar of ``retouch edit`` and the images bar of ``retouch batch``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        first_column,
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    progress.start()
    return progress
