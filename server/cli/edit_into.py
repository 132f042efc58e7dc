"""Edit one image into a folder, as ``retouch edit`` does: plan, run with QA retries, write the files.

``retouch batch`` calls ``edit_into_folder`` once per image; the folder gets result.png,
plan.json, the skill doc, provenance.json, qa.json, comparison.png (and attempts/ after retries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.cli.edit import _save_atomic, _write_attempts, comparison_image


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
    from executors.qa.check import check
    from executors.qa.retry import best_attempt, edit_with_retries
    from executors.run import run_plan
    from planner import analyze, make_plan
    from planner.atomic import atomic_write
    from planner.imageio import open_image, read_mask
    from planner.render import write_outputs
    from server.requests import build_request

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
    )
    plan = make_plan(request, analyze(request))
    # 2. the inputs
    source = open_image(image)
    raw_mask = read_mask(mask, source.size) if mask and plan.mask.source == "given" else None

    # 3. run and check, re-planning with the QA fixes while retries remain
    def run_once(p: Any) -> Any:
        return run_plan(
            p,
            image=source,
            mask=raw_mask,
            model=opts.model,
            executor=opts.executor,
            device=opts.device,
            progress=progress,
            sam_checkpoint=opts.sam,
            allow_download=opts.allow_download,
        )

    def check_once(p: Any, output: Any) -> Any:
        ran = p.model_copy(update={"executor": output.provenance.executor})
        return check(source, output.image, output.edit_mask, ran, output.provenance.degraded)

    attempts = edit_with_retries(plan, run_once, check_once, opts.max_retries)
    best = best_attempt(attempts)
    plan, result, report = best.plan, best.output, best.report
    # 4. the files, each whole or not at all
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "result.png"
    _save_atomic(result.image, out)
    write_outputs(plan, folder)
    atomic_write(
        folder / "provenance.json", (result.provenance.model_dump_json(indent=2) + "\n").encode()
    )
    atomic_write(folder / "qa.json", (report.model_dump_json(indent=2) + "\n").encode())
    if len(attempts) > 1:
        _write_attempts(attempts, out)
    e = plan.request.extend
    offset = (e.left, e.top) if plan.mode == "outpaint" and e is not None else (0, 0)
    _save_atomic(
        comparison_image(source, result.edit_mask, result.image, offset),
        folder / "comparison.png",
    )
    return EditOutcome(source, result.image, report, result.provenance, len(attempts))
