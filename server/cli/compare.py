"""``retouch compare``: every task under every arm, scored; scores.csv, report.md and sheet.png.

A task is a ``retouch doc`` line (an EditRequest, optional ``name``) with an optional ``control``
image; an arm is ``{"name", "executor", "model", "overrides"}``. Each task runs with one seed under
every arm (its own ``preferences.seed``, else 1000 + its line number), then the arm's overrides.
Scores are the QA check values, the seconds per run, and the pose and identity scorers
(executors.evaluation), each skipped with its reason when it cannot run. ``--example faces``
writes the lesson's exercise (executors.evaluation.examples) instead of running anything.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, Field
from retouch.executors.evaluation.report import report
from retouch.executors.evaluation.scores import Direction, Score, to_csv
from retouch.planner.contract.schema import Hardware, PlanChange
from retouch.server.cli.app import run_guarded
from retouch.server.cli.plan import CASE_NAME, _case
from retouch.server.edits.batch import thumbnail

BASE_SEED = 1000


class Arm(BaseModel):
    """One way of running every task: an executor, a model, plan overrides."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=CASE_NAME.pattern, description="Folder-safe arm name.")
    executor: Literal["auto", "diffusers", "classical"] = Field(default="auto")
    model: str | None = Field(default=None, description="Model folder or id instead of the plan's.")
    overrides: list[PlanChange] = Field(default_factory=list, description="Plan changes.")


def read_arms(path: Path) -> list[Arm]:
    """ARMS.json: a list of at least one arm with distinct names; InputError otherwise."""
    from pydantic import TypeAdapter, ValidationError
    from retouch.planner.contract.errors import InputError
    from retouch.server.requests import validation_message

    try:
        arms = TypeAdapter(list[Arm]).validate_json(path.read_bytes())
    except OSError as exc:
        raise InputError(
            f"cannot read --arms {path} ({exc.strerror}); give the arms file"
        ) from None
    except ValidationError as exc:
        raise InputError(f"--arms {path}: {validation_message(exc)}") from None
    names = [a.name for a in arms]
    if not arms or len(set(names)) != len(names):
        raise InputError(f"--arms {path} needs one or more arms with distinct names, got {names}")
    return arms


def read_tasks(path: Path) -> tuple[list[tuple[str, Any, str | None]], list[str]]:
    """TASKS.jsonl as (name, EditRequest, control path) per good line, and one error per bad line."""
    from pydantic import ValidationError
    from retouch.planner.contract.errors import RetouchError
    from retouch.planner.contract.schema import EditRequest
    from retouch.server.requests import validation_message

    base = path.resolve().parent
    tasks: list[tuple[str, Any, str | None]] = []
    errors: list[str] = []
    for n, data in enumerate(path.read_bytes().splitlines(), start=1):
        if not data.strip() or data.lstrip().startswith(b"#"):
            continue
        try:
            raw = _case(data, n)
            name = raw.pop("name", f"case-{n:03d}")
            control = raw.pop("control", None)
            for key in ("image", "mask"):
                if isinstance(raw.get(key), str) and not Path(raw[key]).is_absolute():
                    raw[key] = str(base / raw[key])
            if isinstance(control, str) and not Path(control).is_absolute():
                control = str(base / control)
            request = EditRequest.model_validate(raw)
            if request.preferences.seed is None:
                prefs = request.preferences.model_copy(update={"seed": BASE_SEED + n})
                request = request.model_copy(update={"preferences": prefs})
            tasks.append((name, request, control))
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{n}: not JSON ({exc.msg}); one JSON object per line")
        except RetouchError as exc:
            errors.append(f"{path}:{n}: {exc}")
        except ValidationError as exc:
            errors.append(f"{path}:{n}: {validation_message(exc)}")
    return tasks, errors


PoseModel = Annotated[
    Path | None,
    typer.Option(
        "--pose-model",
        help="Folder with OpenPose's body_pose_model.pth (else $RETOUCH_POSE_MODEL); "
        "without it pose is not scored.",
    ),
]
FaceModel = Annotated[
    Path | None,
    typer.Option(
        "--face-model",
        help="SFace ONNX file (else $RETOUCH_FACE_MODEL); with the face models installed "
        "(retouch[faces]) identity is identity-dlib, else identity-proxy-lbph.",
    ),
]
Example = Annotated[
    str | None,
    typer.Option("--example", help="Write an example task set to --out instead: faces."),
]
HardwareOpt = Annotated[
    Hardware | None,
    typer.Option("--hardware", help="Plan every task for this class; default: each task's."),
]
Device = Annotated[str | None, typer.Option("--device", help="cpu, cuda, cuda:N or mps.")]
OutDir = Annotated[Path, typer.Option("--out", help="Folder for the scores and runs.")]


@dataclass(frozen=True)
class CompareArgs:
    """``retouch compare``'s arguments as parsed."""

    tasks_file: Path | None
    arms_file: Path | None
    pose_model: Path | None
    face_model: Path | None
    example: str | None
    hardware: str | None
    device: str | None
    out: Path


def compare_cmd(
    tasks_file: Annotated[
        Path | None,
        typer.Argument(help="JSON Lines: one EditRequest per line (+ name, control)."),
    ] = None,
    arms_file: Annotated[Path | None, typer.Option("--arms", help="JSON list of arms.")] = None,
    pose_model: PoseModel = None,
    face_model: FaceModel = None,
    example: Example = None,
    hardware: HardwareOpt = None,
    device: Device = None,
    out: OutDir = Path("outputs/compare"),
) -> None:
    """Run every task under every arm: DIR/scores.csv, DIR/report.md, DIR/sheet.png."""
    run_guarded(run_compare, CompareArgs(**locals()))


@dataclass
class Table:
    """What the runs gave: scores, each metric's direction, the sheet's rows, what ran per arm,
    and the failed runs grouped by (arm, error)."""

    scores: list[Score] = field(default_factory=list)
    directions: dict[str, Direction] = field(default_factory=dict)
    rows: list[list[Any]] = field(default_factory=list)
    ran: dict[str, set[str]] = field(default_factory=dict)
    failed: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def run_compare(a: CompareArgs) -> None:
    """The command's body: the example, or check, run every task under every arm, write."""
    from retouch.executors.evaluation import scorers
    from retouch.executors.evaluation.base import ScorerOptions
    from retouch.planner.contract.errors import InputError
    from retouch.server.cli.evaluation import write_example

    if a.example is not None:
        tasks_out, arms_out = write_example(a.example, a.out)
        typer.echo(f"wrote   {tasks_out}, {arms_out} and the images beside them")
        typer.echo(f"run it: retouch compare {tasks_out} --arms {arms_out} --out RESULTS")
        return
    # 1. the arms, tasks and scorers, checked before anything runs
    if a.tasks_file is None or a.arms_file is None:
        raise InputError("give TASKS.jsonl and --arms ARMS.json (or --example faces)")
    if not a.tasks_file.is_file():
        raise InputError(f"tasks file not found: {a.tasks_file}; give a .jsonl file")
    arms = read_arms(a.arms_file)
    tasks, failures = read_tasks(a.tasks_file)
    for f in failures:
        typer.echo(f"error: {f}", err=True)
    if not tasks:
        raise InputError(f"{a.tasks_file} has no runnable tasks; one JSON object per line")
    measure = scorers.prepare(ScorerOptions(pose_model=a.pose_model, face_model=a.face_model))
    # 2. every task under every arm, the same seed per task
    table = Table(directions={"seconds": "lower", **scorers.DIRECTIONS})
    for name, request, control in tasks:
        table.rows.append(_task_row(name, request, control, arms, a, measure, table))
    failures += [f"{', '.join(n)} / {arm}: {msg}" for (arm, msg), n in table.failed.items()]
    # 3. the files
    _write(a, table, failures, measure)
    if failures:
        raise typer.Exit(2)


def _task_row(
    name: str,
    request: Any,
    control: str | None,
    arms: list[Arm],
    a: CompareArgs,
    measure: Any,
    table: Table,
) -> list[Any]:
    """Run one task under every arm and score it; its sheet row (source, then each arm's result
    or None). A failed run never stops the rest: its error is told once in full per arm."""
    from retouch.planner.contract.imageio import open_image
    from retouch.server.cli.hints import error_line

    row: list[Any] = [None]
    ref = None
    for arm in arms:
        try:
            outcome, got = _run(request, control, arm, a.hardware, a.device, a.out / name)
            if ref is None:
                ctl = open_image(control, what="control image") if control else None
                ref = measure.reference(outcome.source, ctl)
            got += measure.score(name, arm.name, ref, outcome.source, outcome.result)
        except Exception as exc:  # noqa: BLE001 - one failed run never stops the rest
            msg = " ".join(error_line(exc).split()) or type(exc).__name__
            same = table.failed.setdefault((arm.name, msg), [])
            told = f"same as {same[0]}" if same else msg  # a missing model: once in full
            typer.echo(f"error: {name} / {arm.name}: {told}", err=True)
            same.append(name)
            row.append(None)
            continue
        row[0] = outcome.source
        row.append(outcome.result)
        pv = outcome.provenance
        table.ran.setdefault(arm.name, set()).add(
            f"{pv.executor} {pv.model_id or ''}".strip()
            + "".join(f"; degraded: {d.sentence()}" for d in pv.degraded)
        )
        for metric, value, direction in got:
            table.scores.append(Score(name, arm.name, metric, value))
            table.directions[metric] = direction
        typer.echo(f"ran     {name} / {arm.name}")
    return row


def _write(a: CompareArgs, table: Table, failures: list[str], measure: Any) -> None:
    """DIR/scores.csv, DIR/report.md and DIR/sheet.png."""
    from retouch.executors.evaluation import scorers
    from retouch.planner.contract.atomic import atomic_write
    from retouch.server.cli.evaluation import skipped_text
    from retouch.server.edits.files import save_image

    out = a.out
    atomic_write(out / "scores.csv", to_csv(table.scores).encode())
    text = report(
        f"retouch compare: {a.tasks_file.name}",
        table.scores,
        table.directions,
        failures,
        {arm: sorted(v) for arm, v in table.ran.items()},
        skipped_text(measure.skipped),
        measure.notes,
        scorers.DEFINITIONS,
    )
    atomic_write(out / "report.md", text.encode())
    save_image(sheet(table.rows), out / "sheet.png")
    typer.echo(f"wrote   {out / 'scores.csv'}, {out / 'report.md'}, {out / 'sheet.png'}")


def _run(
    request: Any,
    control: str | None,
    arm: Arm,
    hardware: str | None,
    device: str | None,
    folder: Path,
) -> tuple[Any, list[tuple[str, float, Direction]]]:
    """Plan ``request`` for ``hardware``, apply the arm's changes, and carry it out through the
    edit service into folder/<arm>/ (result, plan, QA, provenance, comparison). Returns (the
    EditOutcome, [(metric, value, direction)]): each QA value and the seconds."""
    from retouch.planner.contract.changes import apply_changes
    from retouch.planner.contract.imageio import open_image, read_mask
    from retouch.server.edits.job import EditJob, RunSettings
    from retouch.server.edits.sequence import carry_out, plan_for

    start = time.perf_counter()
    if hardware is not None:
        prefs = request.preferences.model_copy(update={"hardware": hardware})
        request = request.model_copy(update={"preferences": prefs})
    plan = plan_for(request).model_copy(update={"seed": request.preferences.seed})
    plan, _ = apply_changes(plan, arm.overrides)
    source = open_image(request.image)
    job = EditJob(
        plan=plan,
        image=source,
        mask=read_mask(request.mask, source.size) if request.mask else None,
        # the control image drives a ControlNet only when the plan has one (else pose scoring)
        control=open_image(control, what="control image") if control and plan.controlnet else None,
        settings=RunSettings(model=arm.model, executor=arm.executor, device=device),
    )
    outcome = carry_out(job, folder / arm.name / "result")
    sense: dict[str, Direction] = {"<=": "lower", ">=": "higher"}
    planned = {item.id: item for item in plan.qa}
    got = [
        (
            i.id,
            float(i.value),
            "none"
            if i.band or i.id not in planned
            else sense.get(planned[i.id].passes_when, "none"),
        )
        for i in outcome.report.items
        if i.value is not None
    ]
    got.append(("seconds", round(time.perf_counter() - start, 3), "lower"))
    return outcome, got


def sheet(rows: list[list[Any]]) -> Any:
    """Tasks down, source then one column per arm across; grey where a run failed. RGB PIL image."""
    from PIL import Image
    from retouch.server.edits.batch import THUMB_PX

    step = THUMB_PX + 4
    cols = max(len(r) for r in rows)
    canvas = Image.new("RGB", (cols * step, len(rows) * step), (255, 255, 255))
    for y, row in enumerate(rows):
        for x, img in enumerate(row):
            panel = thumbnail(img) if img is not None else Image.new("RGB", (THUMB_PX,) * 2, "grey")
            canvas.paste(panel, (x * step, y * step))
    return canvas


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_cmd)
