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
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, Field
from retouch.executors.evaluation.report import report
from retouch.executors.evaluation.scores import Direction, Score, to_csv
from retouch.planner.schema import Hardware, PlanChange
from retouch.server.cli.app import run_guarded
from retouch.server.cli.batch import _thumb
from retouch.server.cli.plan import CASE_NAME, _case

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
    from retouch.planner.errors import InputError
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
    from retouch.planner.errors import RetouchError
    from retouch.planner.schema import EditRequest
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


def compare_cmd(
    tasks_file: Annotated[
        Path | None,
        typer.Argument(help="JSON Lines: one EditRequest per line (+ name, control)."),
    ] = None,
    arms_file: Annotated[Path | None, typer.Option("--arms", help="JSON list of arms.")] = None,
    pose_model: Annotated[
        Path | None,
        typer.Option(
            "--pose-model",
            help="Folder with OpenPose's body_pose_model.pth (else $RETOUCH_POSE_MODEL); "
            "without it pose is not scored.",
        ),
    ] = None,
    face_model: Annotated[
        Path | None,
        typer.Option(
            "--face-model",
            help="SFace ONNX file (else $RETOUCH_FACE_MODEL); without it identity is "
            "identity-proxy-lbph.",
        ),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option("--example", help="Write an example task set to --out instead: faces."),
    ] = None,
    hardware: Annotated[
        Hardware | None,
        typer.Option("--hardware", help="Plan every task for this class; default: each task's."),
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="cpu, cuda, cuda:N or mps.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the scores and runs.")] = Path(
        "outputs/compare"
    ),
) -> None:
    """Run every task under every arm: DIR/scores.csv, DIR/report.md, DIR/sheet.png."""

    def body() -> None:
        from retouch.executors.evaluation import scorers
        from retouch.executors.evaluation.base import ScorerOptions
        from retouch.planner.atomic import atomic_write
        from retouch.planner.errors import InputError
        from retouch.planner.imageio import open_image
        from retouch.server.cli.evaluation import skipped_text, write_example
        from retouch.server.edits.files import save_image

        if example is not None:
            tasks_out, arms_out = write_example(example, out)
            typer.echo(f"wrote   {tasks_out}, {arms_out} and the images beside them")
            typer.echo(f"run it: retouch compare {tasks_out} --arms {arms_out} --out RESULTS")
            return
        # 1. the arms, tasks and scorers, checked before anything runs
        if tasks_file is None or arms_file is None:
            raise InputError("give TASKS.jsonl and --arms ARMS.json (or --example faces)")
        if not tasks_file.is_file():
            raise InputError(f"tasks file not found: {tasks_file}; give a .jsonl file")
        arms = read_arms(arms_file)
        tasks, failures = read_tasks(tasks_file)
        for f in failures:
            typer.echo(f"error: {f}", err=True)
        if not tasks:
            raise InputError(f"{tasks_file} has no runnable tasks; one JSON object per line")
        measure = scorers.prepare(ScorerOptions(pose_model=pose_model, face_model=face_model))
        # 2. every task under every arm, the same seed per task
        scores: list[Score] = []
        directions: dict[str, Direction] = {"seconds": "lower", **scorers.DIRECTIONS}
        rows: list[list[Any]] = []
        ran: dict[str, set[str]] = {}
        failed: dict[tuple[str, str], list[str]] = {}  # (arm, error) -> its tasks, in order
        for name, request, control in tasks:
            row: list[Any] = [None]
            ref = None
            for arm in arms:
                try:
                    source, output, got = _run(request, control, arm, hardware, device, out / name)
                    if ref is None:
                        ctl = open_image(control, what="control image") if control else None
                        ref = measure.reference(source, ctl)
                    got += measure.score(name, arm.name, ref, source, output.image)
                except Exception as exc:  # noqa: BLE001 - one failed run never stops the rest
                    msg = " ".join(str(exc).split()) or type(exc).__name__
                    same = failed.setdefault((arm.name, msg), [])
                    told = f"same as {same[0]}" if same else msg  # a missing model: once in full
                    typer.echo(f"error: {name} / {arm.name}: {told}", err=True)
                    same.append(name)
                    row.append(None)
                    continue
                row[0] = source
                row.append(output.image)
                pv = output.provenance
                ran.setdefault(arm.name, set()).add(
                    f"{pv.executor} {pv.model_id or ''}".strip()
                    + "".join(f"; degraded: {d.sentence()}" for d in pv.degraded)
                )
                for metric, value, direction in got:
                    scores.append(Score(name, arm.name, metric, value))
                    directions[metric] = direction
                typer.echo(f"ran     {name} / {arm.name}")
            rows.append(row)
        failures += [f"{', '.join(names)} / {arm}: {msg}" for (arm, msg), names in failed.items()]
        # 3. the files
        atomic_write(out / "scores.csv", to_csv(scores).encode())
        title = f"retouch compare: {tasks_file.name}"
        text = report(
            title,
            scores,
            directions,
            failures,
            {a: sorted(v) for a, v in ran.items()},
            skipped_text(measure.skipped),
            measure.notes,
            scorers.DEFINITIONS,
        )
        atomic_write(out / "report.md", text.encode())
        save_image(sheet(rows), out / "sheet.png")
        typer.echo(f"wrote   {out / 'scores.csv'}, {out / 'report.md'}, {out / 'sheet.png'}")
        if failures:
            raise typer.Exit(2)

    run_guarded(body)


def _run(
    request: Any,
    control: str | None,
    arm: Arm,
    hardware: str | None,
    device: str | None,
    folder: Path,
) -> tuple[Any, Any, list[tuple[str, float, Direction]]]:
    """Plan ``request`` for ``hardware``, apply the arm, run, check; write result.png, qa.json and
    provenance.json to folder/<arm>/. Returns (source, RunOutput, [(metric, value, direction)])."""
    from retouch.executors.qa.check import check
    from retouch.executors.run import run_plan
    from retouch.planner import analyze, make_plan
    from retouch.planner.atomic import atomic_write
    from retouch.planner.imageio import open_image, read_mask
    from retouch.server.edits.files import save_image
    from retouch.server.mcp.plan import apply_overrides

    start = time.perf_counter()
    if hardware is not None:
        prefs = request.preferences.model_copy(update={"hardware": hardware})
        request = request.model_copy(update={"preferences": prefs})
    plan = make_plan(request, analyze(request))
    plan = apply_overrides(
        plan.model_copy(update={"seed": request.preferences.seed}), arm.overrides
    )
    source = open_image(request.image)
    mask = read_mask(request.mask, source.size) if request.mask else None
    ctl = open_image(control, what="control image") if control else None
    output = run_plan(
        plan,
        image=source,
        mask=mask,
        control=ctl if plan.controlnet is not None else None,  # else only the pose reference
        model=arm.model,
        executor=arm.executor,
        device=device,
    )
    ran = plan.model_copy(update={"executor": output.provenance.executor})
    qa = check(source, output.image, output.edit_mask, ran, output.provenance.degraded)
    where = folder / arm.name
    where.mkdir(parents=True, exist_ok=True)
    save_image(output.image, where / "result.png")
    atomic_write(where / "qa.json", (qa.model_dump_json(indent=2) + "\n").encode())
    prov = output.provenance.model_dump_json(indent=2) + "\n"
    atomic_write(where / "provenance.json", prov.encode())
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
        for i in qa.items
        if i.value is not None
    ]
    got.append(("seconds", round(time.perf_counter() - start, 3), "lower"))
    return source, output, got


def sheet(rows: list[list[Any]]) -> Any:
    """Tasks down, source then one column per arm across; grey where a run failed. RGB PIL image."""
    from PIL import Image
    from retouch.server.cli.batch import THUMB_PX

    step = THUMB_PX + 4
    cols = max(len(r) for r in rows)
    canvas = Image.new("RGB", (cols * step, len(rows) * step), (255, 255, 255))
    for y, row in enumerate(rows):
        for x, img in enumerate(row):
            panel = _thumb(img) if img is not None else Image.new("RGB", (THUMB_PX,) * 2, "grey")
            canvas.paste(panel, (x * step, y * step))
    return canvas


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_cmd)
