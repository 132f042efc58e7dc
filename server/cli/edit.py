"""``retouch edit``: plan an edit (or read a plan) and carry it out through the edit service
(server/edits); this command only parses its options and prints what happened.

Beside RESULT the service writes plan.json, the skill doc, provenance.json (model, seed, every
parameter, mask hash, timings), qa.json, mask.png and comparison.png (source | mask | result);
with --layers (or words such as "split into layers") also layers/NN-name.png, layers.ora and
layers.psd.
A progress bar on stderr shows the diffusion steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from retouch.server.cli import options as o
from retouch.server.cli.app import run_guarded
from retouch.server.cli.history import DataDir

PlanFile = Annotated[
    Path | None,
    typer.Option(
        "--plan", help="Carry out this plan.json instead of planning (IMAGE and EDIT must match)."
    ),
]
ExecutorOpt = Annotated[
    Literal["auto", "diffusers", "classical"],
    typer.Option(
        "--executor",
        help="auto: the plan's, or the weight-free fill when its model is missing "
        "and the edit is a removal or extension.",
    ),
]
Control = Annotated[
    Path | None,
    typer.Option(
        "--control", help="ControlNet control image (an OpenPose skeleton), the image's size."
    ),
]
AllowDownload = Annotated[
    bool,
    typer.Option(
        "--allow-download",
        help="Let diffusers download a missing model (or set RETOUCH_ALLOW_DOWNLOAD=1).",
    ),
]
Out = Annotated[
    Path, typer.Option("--out", help="Result image (.png, .webp, .tif; .jpg is lossy).")
]
MaxRetries = Annotated[
    int,
    typer.Option(
        "--max-retries",
        min=0,
        max=10,
        help="When QA fails, apply its fixes to the plan and run again, up to N more times.",
    ),
]
Session = Annotated[
    str | None,
    typer.Option(
        "--session",
        help="Record the result as a new version of this history session; IMAGE may then "
        "be @VERSION (e.g. @current, @current~1).",
    ),
]
Layers = Annotated[
    bool,
    typer.Option(
        "--layers",
        help="Also write the edit as layers: layers/NN-name.png (RGBA), layers.ora, layers.psd.",
    ),
]
KeepFailed = Annotated[
    bool,
    typer.Option(
        "--keep-failed",
        help="With --session: make a result whose QA failed the session's current version "
        "(by default it is recorded, and @current stays on its parent).",
    ),
]


@dataclass(frozen=True)
class EditArgs:
    """``retouch edit``'s arguments as parsed."""

    image: str
    edit: str
    mask: str | None
    point: list[str] | None
    box: str | None
    text: str | None
    extend: str | None
    scene: str | None
    reference: str | None
    priority: str
    licence: str
    hardware: str | None
    plan_file: Path | None
    model: str | None
    executor: str
    steps: int | None
    seed: int | None
    control: Path | None
    sam: str | None
    device: str | None
    allow_download: bool
    out: Path
    max_retries: int
    session: str | None
    keep_failed: bool
    data_dir: Path | None
    layers: bool


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
    plan_file: PlanFile = None,
    model: o.ModelOpt = None,
    executor: ExecutorOpt = "auto",
    steps: o.Steps = None,
    seed: o.Seed = None,
    control: Control = None,
    sam: o.SamCheckpoint = None,
    device: o.DeviceOpt = None,
    allow_download: AllowDownload = False,
    out: Out = Path("outputs/edit/result.png"),
    max_retries: MaxRetries = 0,
    session: Session = None,
    keep_failed: KeepFailed = False,
    data_dir: DataDir = None,
    layers: Layers = False,
) -> None:
    """Carry out an edit: write RESULT, plan.json, the skill doc and comparison.png beside it."""
    run_guarded(run_edit_args, EditArgs(**locals()))


def run_edit_args(a: EditArgs) -> None:
    """The command's body: sources, plan, the edit service, the report; QAFailed (exit 1) when
    the kept result failed QA (its files are written)."""
    from retouch.planner.contract.errors import InputError, QAFailed
    from retouch.planner.contract.hints import hint
    from retouch.server.cli.progress import StepBar
    from retouch.server.edits.files import FORMATS
    from retouch.server.edits.sequence import carry_out

    if a.out.suffix.lower() not in FORMATS:
        raise InputError(
            f"--out {a.out} has no image suffix retouch writes; use .png, .webp, .tif or .jpg"
        )
    store, image_path, ref_path = _sources(a)
    plan = _plan(a, image_path, ref_path)
    job = _job(a, plan, store)
    bar = StepBar()
    try:
        outcome = carry_out(job, a.out, store=store, progress=bar)
    finally:
        bar.close()
    _echo_outcome(outcome, a)
    if not outcome.report.passed:
        failed = ", ".join(item.id for item in outcome.report.failed)
        raise QAFailed(
            f"QA failed ({failed}) after {len(outcome.attempts)} attempt(s); the result is "
            "written, see qa.json for the fixes or run again with more retries",
            hints=[hint("max_retries")],
        )


def _sources(a: EditArgs) -> tuple[Any, str, str | None]:
    """(history store or None, the source's file path, the reference's file path or None): a
    file, or with --session a version of the history (@VERSION)."""
    from retouch.planner.contract.errors import InputError

    store = None
    image_path = a.image
    if a.session is not None:
        from retouch.server.history.hooks import source_path
        from retouch.server.history.store import Store

        store = Store(a.data_dir)
        image_path = str(source_path(a.image, store, a.session))
    elif a.image.startswith("@"):
        raise InputError(
            f"{a.image} is a version reference; give --session NAME to read it from the history"
        )
    ref_path = a.reference
    if a.reference is not None:
        from retouch.server.requests import check_reference

        if store is not None:
            ref_path = str(source_path(a.reference, store, a.session))
        ref_path = check_reference(ref_path)
    return store, image_path, ref_path


def _plan(a: EditArgs, image_path: str, ref_path: str | None) -> Any:
    """The plan: --plan's, checked against IMAGE, EDIT and the mask options, else one made for
    this machine (or --hardware)."""
    if a.plan_file is not None:
        from retouch.planner.render import load_plan

        plan = load_plan(a.plan_file)
        given = {"mask": a.mask, "point": a.point, "box": a.box, "extend": a.extend}
        _check_plan_matches(plan, image_path, a.edit, given)
        updates = {k: v for k, v in (("steps", a.steps), ("seed", a.seed)) if v is not None}
        if a.layers:
            updates["layers"] = True
        plan = plan.model_copy(update=updates)
        return _with_reference(plan, ref_path) if ref_path is not None else plan
    from retouch.executors.hardware import detect_hardware
    from retouch.server.edits.sequence import plan_for
    from retouch.server.requests import build_request

    hw = a.hardware or ("cpu" if a.device == "cpu" else detect_hardware())
    request = build_request(
        image_path,
        a.edit,
        mask=a.mask,
        points=a.point,
        box=a.box,
        text=a.text,
        extend=a.extend,
        scene=a.scene,
        priority=a.priority,
        hardware=hw,
        seed=a.seed,
        steps=a.steps,
        licence=a.licence,
        reference=ref_path,
    )
    return plan_for(request.model_copy(update={"layers": a.layers}))


def _job(a: EditArgs, plan: Any, store: Any) -> Any:
    """The EditJob: the inputs read here (relative paths are the caller's), the run settings."""
    from retouch.planner.contract.imageio import open_image, read_mask
    from retouch.server.edits.job import EditJob, RunSettings

    parent = None
    if store is not None:
        from retouch.server.history.hooks import resolve_source

        source, parent = resolve_source(a.image, store, a.session)
    else:
        source = open_image(a.image)
    given = a.mask and plan.mask.source == "given"
    return EditJob(
        plan=plan,
        image=source,
        mask=read_mask(a.mask, source.size) if given else None,
        control=open_image(a.control, what="control image") if a.control else None,
        settings=RunSettings(a.model, a.executor, a.device, a.sam, a.allow_download),
        max_retries=a.max_retries,
        session=a.session,
        parent=parent,
        keep_failed=a.keep_failed,
    )


def _same_file(a: str, b: str) -> bool:
    pa, pb = Path(a).expanduser(), Path(b).expanduser()
    try:
        return pa.resolve() == pb.resolve() or (pa.exists() and pb.exists() and pa.samefile(pb))
    except OSError:
        return False


def _check_plan_matches(plan: Any, image: str, edit: str, given: dict[str, Any]) -> None:
    """With --plan, IMAGE, EDIT and any mask option must be the plan's own."""
    from retouch.planner.contract.errors import InputError

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
    from retouch.planner.contract.errors import InputError

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


def _echo_outcome(outcome: Any, a: EditArgs) -> None:
    """What ran (substitutions first), where the files are, each QA item and the version."""
    from retouch.server.cli.hints import fix_line
    from retouch.server.edits.files import FORMATS, LOSSY

    result, p, files = outcome.result, outcome.provenance, outcome.files
    who = (
        "the weight-free fill (PatchMatch)"
        if p.executor == "classical"
        else f"{p.pipeline} with {p.model_id} on {p.device} ({p.dtype})"
    )
    _echo_sequence(outcome, a)
    for d in p.degraded:  # what ran instead of the plan, before anything else
        typer.echo(f"degraded {d.sentence()} Fix: {fix_line(d)}.")
    typer.echo(f"result  {a.out}  ({result.size[0]}x{result.size[1]} {result.mode})")
    typer.echo(f"ran     {outcome.plan.mode}: {who}; {p.params.get('executor_reason')}")
    if p.params.get("reference"):
        flat = ", transparent pixels on white" if p.params.get("reference_flattened") else ""
        typer.echo(f"refer   {p.params['reference']} ({p.params['reference_size']}{flat})")
    typer.echo(
        f"region  {outcome.output.edit_mask.mean():.1%} of the canvas; "
        f"{p.timings.get('total', 0.0):.2f} s"
    )
    typer.echo(
        f"wrote   {files.plan}, {files.doc.name}, provenance.json, qa.json, mask.png, "
        "comparison.png"
    )
    _echo_layers(files)
    _echo_report(outcome.report, outcome.attempts, outcome.kept)
    v = outcome.version
    if v is not None:
        typer.echo(f"version @{v.id} in session {a.session} (parent {v.parent or 'none'})")
        if not outcome.current:
            typer.echo(
                f"current stays @{v.parent}: the result failed QA (--keep-failed makes it current)"
            )
    if FORMATS[a.out.suffix.lower()] in LOSSY:
        typer.echo(
            "note: JPEG is lossy, so pixels outside the region are not the source's "
            "exactly; write .png to keep them",
            err=True,
        )


def _echo_sequence(outcome: Any, a: EditArgs) -> None:
    """For an edit text holding several edits: which one ran and the command for the next."""
    steps = outcome.plan.sequence
    rest = [s for s in steps if not s.planned]
    if not rest:
        return
    done = next((n for n, s in enumerate(steps, 1) if s.planned), 1)
    if outcome.version is not None:
        image = "@current" if outcome.current else f"@{outcome.version.id}"
        where = f"{image} --session {a.session}"
    else:
        where = str(outcome.files.result)
    typer.echo(
        f'edit    {done} of {len(steps)} ran ("{steps[done - 1].text}"); next: '
        f'retouch edit {where} "{rest[0].text}"'
    )


def _echo_layers(files: Any) -> None:
    """The layer files written (bottom first, then the composite and the layered files), or
    why none were."""
    if files.layers_note is not None:
        typer.echo(f"layers  {files.layers_note}")
    elif files.layers:
        names = ", ".join(p.relative_to(files.folder).as_posix() for p in files.layers)
        typer.echo(f"layers  {names}")


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
