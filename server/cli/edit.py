"""``retouch edit``: plan an edit (or read a plan) and carry it out; write the result and its files.

Beside RESULT it writes plan.json, the skill doc, provenance.json (model, seed, every parameter,
mask hash, timings) and comparison.png (source | mask | result). A progress bar on stderr shows the
diffusion steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from retouch.executors.hardware import detect_hardware
from retouch.server.cli import options as o
from retouch.server.cli.app import run_guarded
from retouch.server.cli.edit_into import (
    FORMATS,
    LOSSY,
    RunOptions,
    run_checked,
    stderr_progress,
    write_edit_files,
)
from retouch.server.cli.history import DataDir


def _same_file(a: str, b: str) -> bool:
    pa, pb = Path(a).expanduser(), Path(b).expanduser()
    try:
        return pa.resolve() == pb.resolve() or (pa.exists() and pb.exists() and pa.samefile(pb))
    except OSError:
        return False


def _check_plan_matches(plan: Any, image: str, edit: str, given: dict[str, Any]) -> None:
    """With --plan, IMAGE, EDIT and any mask option must be the plan's own."""
    from retouch.planner.errors import InputError

    r = plan.request
    if not _same_file(image, r.image):
        raise InputError(
            f"IMAGE {image} is not the plan's image {r.image}; give the plan's image "
            "or plan again for this one"
        )
    if edit.strip() != r.edit:
        raise InputError(
            f'EDIT "{edit}" is not the plan\'s edit "{r.edit}"; give the plan\'s edit '
            "text or plan again"
        )
    if given["mask"] is not None and (r.mask is None or not _same_file(given["mask"], r.mask)):
        raise InputError(
            f"--mask {given['mask']} is not the plan's mask ({r.mask}); drop it or plan again"
        )
    for opt in ("point", "box", "extend"):
        if given[opt]:
            raise InputError(
                f"--{opt} cannot change a saved plan; drop it (the plan's own is used) "
                "or plan again without --plan"
            )


def _with_reference(plan: Any, path: str) -> Any:
    """The saved plan with ``path`` as its reference image; InputError for a plan made without
    one (its model and prompt were chosen for a single image)."""
    from retouch.planner.errors import InputError

    guidance = plan.request.guidance
    if guidance is None:
        raise InputError(
            "--reference cannot be added to a saved plan made without one; plan again with "
            "--reference (it picks a model that reads it)"
        )
    request = plan.request.model_copy(
        update={"guidance": guidance.model_copy(update={"image": path})}
    )
    return plan.model_copy(update={"request": request})


class _StepBar:
    """A rich progress bar on stderr, started at the first diffusion step."""

    def __init__(self) -> None:
        self.progress: Any = None
        self.task: Any = None

    def __call__(self, step: int, total: int) -> None:
        if self.progress is None:
            self.progress = stderr_progress("diffusion")
            self.task = self.progress.add_task("steps", total=total)
        self.progress.update(self.task, completed=step, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def edit_cmd(
    image: o.Image,
    edit: o.Edit,
    mask: o.Mask = None,
    point: o.Points = None,
    box: o.Box = None,
    text: o.Text = None,
    extend: o.ExtendOpt = None,
    scene: o.Scene = None,
    reference: o.Reference = None,
    priority: o.PriorityOpt = "balanced",
    licence: o.LicenceOpt = "any",
    hardware: o.MachineHardware = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Carry out this plan.json instead of planning (IMAGE and EDIT must match).",
        ),
    ] = None,
    model: o.ModelOpt = None,
    executor: Annotated[
        Literal["auto", "diffusers", "classical"],
        typer.Option(
            "--executor",
            help="auto: the plan's, or the weight-free fill when its model is missing "
            "and the edit is a removal or extension.",
        ),
    ] = "auto",
    steps: o.Steps = None,
    seed: o.Seed = None,
    control: Annotated[
        Path | None,
        typer.Option(
            "--control", help="ControlNet control image (an OpenPose skeleton), the image's size."
        ),
    ] = None,
    sam: o.SamCheckpoint = None,
    device: o.DeviceOpt = None,
    allow_download: Annotated[
        bool,
        typer.Option(
            "--allow-download",
            help="Let diffusers download a missing model (or set RETOUCH_ALLOW_DOWNLOAD=1).",
        ),
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", help="Result image (.png, .webp, .tif; .jpg is lossy).")
    ] = Path("outputs/edit/result.png"),
    max_retries: Annotated[
        int,
        typer.Option(
            "--max-retries",
            min=0,
            max=10,
            help="When QA fails, apply its fixes to the plan and run again, up to N more times.",
        ),
    ] = 0,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            help="Record the result as a new version of this history session; IMAGE may then "
            "be @VERSION (e.g. @current, @current~1).",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Carry out an edit: write RESULT, plan.json, the skill doc and comparison.png beside it."""

    def body() -> None:
        from retouch.planner.errors import InputError
        from retouch.planner.imageio import open_image, read_mask
        from retouch.planner.render import load_plan

        if out.suffix.lower() not in FORMATS:
            raise InputError(
                f"--out {out} has no image suffix retouch writes; use .png, .webp, .tif or .jpg"
            )
        # 0. the source: a file, or with --session a version of the history (@VERSION)
        store = parent = None
        image_path = image
        if session is not None:
            from retouch.server.history.hooks import source_path
            from retouch.server.history.store import Store

            store = Store(data_dir)
            image_path = str(source_path(image, store, session))
        elif image.startswith("@"):
            raise InputError(
                f"{image} is a version reference; give --session NAME to read it from the history"
            )
        # 0b. the reference image (--reference): a file, or with --session a version
        ref_path = reference
        if reference is not None:
            from retouch.server.requests import check_reference

            if store is not None:
                ref_path = str(source_path(reference, store, session))
            ref_path = check_reference(ref_path)
        # 1. the plan: read and checked, or made for this machine
        if plan_file is not None:
            plan = load_plan(plan_file)
            _check_plan_matches(
                plan, image_path, edit, {"mask": mask, "point": point, "box": box, "extend": extend}
            )
            updates = {k: v for k, v in (("steps", steps), ("seed", seed)) if v is not None}
            plan = plan.model_copy(update=updates)
            if ref_path is not None:  # another reference image for the saved plan
                plan = _with_reference(plan, ref_path)
        else:
            from retouch.planner import analyze, make_plan
            from retouch.server.requests import build_request

            hw = hardware or ("cpu" if device == "cpu" else detect_hardware())
            request = build_request(
                image_path,
                edit,
                mask=mask,
                points=point,
                box=box,
                text=text,
                extend=extend,
                scene=scene,
                priority=priority,
                hardware=hw,
                seed=seed,
                steps=steps,
                licence=licence,
                reference=ref_path,
            )
            plan = make_plan(request, analyze(request))
        # 2. the inputs, read here so relative paths are the caller's
        if store is not None:
            from retouch.server.history.hooks import resolve_source

            source, parent = resolve_source(image, store, session)
        else:
            source = open_image(image_path)
        raw_mask = read_mask(mask, source.size) if mask and plan.mask.source == "given" else None
        control_img = open_image(control, what="control image") if control else None
        # 3. run and check, re-planning with the QA fixes while retries remain
        bar = _StepBar()
        try:
            attempts = run_checked(
                plan,
                source,
                RunOptions(model, executor, device, sam, allow_download, max_retries),
                mask=raw_mask,
                control=control_img,
                progress=bar,
            )
        finally:
            bar.close()
        from retouch.executors.qa.retry import best_attempt

        best = best_attempt(attempts)
        plan, result, report = best.plan, best.output, best.report
        # 4. the files
        doc, plan_path, comparison = write_edit_files(out, plan, result, report, attempts, source)
        prov_path = out.parent / "provenance.json"
        version = None
        if store is not None:
            from retouch.server.history.hooks import record_edit

            version = record_edit(
                store,
                session,
                parent,
                plan.request,
                plan,
                result,
                comparison,
                report,
                source=source,
            )
            parent = version.parent
        p = result.provenance
        who = (
            "classical fill (OpenCV)"
            if p.executor == "classical"
            else (f"{p.pipeline} with {p.model_id} on {p.device} ({p.dtype})")
        )
        for d in p.degraded:  # what ran instead of the plan, before anything else
            typer.echo(f"degraded {d.sentence()} Fix: {d.fix}.")
        typer.echo(
            f"result  {out}  ({result.image.size[0]}x{result.image.size[1]} {result.image.mode})"
        )
        typer.echo(f"ran     {plan.mode}: {who}; {p.params.get('executor_reason')}")
        if p.params.get("reference"):
            flat = ", transparent pixels on white" if p.params.get("reference_flattened") else ""
            typer.echo(f"refer   {p.params['reference']} ({p.params['reference_size']}{flat})")
        typer.echo(
            f"region  {result.edit_mask.mean():.1%} of the canvas; "
            f"{p.timings.get('total', 0.0):.2f} s"
        )
        typer.echo(f"wrote   {plan_path}, {doc.name}, {prov_path.name}, qa.json, comparison.png")
        _echo_report(report, attempts, best.index)
        if version is not None:
            typer.echo(f"version @{version.id} in session {session} (parent {parent or 'none'})")
        if FORMATS[out.suffix.lower()] in LOSSY:
            typer.echo(
                "note: JPEG is lossy, so pixels outside the region are not the source's "
                "exactly; write .png to keep them",
                err=True,
            )

        if not report.passed:
            from retouch.planner.errors import QAFailed

            failed = ", ".join(item.id for item in report.failed)
            raise QAFailed(
                f"QA failed ({failed}) after {len(attempts)} attempt(s); the result is written, "
                "see qa.json for the fixes or rerun with --max-retries N"
            )

    run_guarded(body)


def _echo_report(report: Any, attempts: list[Any], kept: int) -> None:
    """One line per QA item: status, id, value against its threshold."""
    if len(attempts) > 1:
        typer.echo(f"attempts {len(attempts)} (kept attempt {kept + 1}; all under attempts/)")
    for item in report.items:
        value = "-" if item.value is None else f"{item.value:.3g}"
        limit = "" if item.threshold is None else f" (limit {item.threshold:g})"
        typer.echo(f"qa      {item.status:<7} {item.id:<18} {value}{limit}")
    typer.echo(f"verdict {report.verdict}")


def register(app: typer.Typer) -> None:
    app.command("edit")(edit_cmd)
