"""``retouch plan`` (one request -> plan.json + skill doc) and ``retouch doc`` (batch, offline)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
from retouch.server.cli import options as o
from retouch.server.cli.app import run_guarded


def plan_request(request, out: Path):  # type: ignore[no-untyped-def]
    """Analyze, plan and write DIR/skill-editing-pipeline.md + DIR/plan.json. Returns (plan, doc)."""
    import numpy as np
    from retouch.planner import analyze, make_plan
    from retouch.planner.contract.imageio import open_image
    from retouch.planner.render import write_outputs

    image = open_image(request.image)  # decoded once: the facts and the envelope check
    plan = make_plan(request, analyze(request, image))
    plan = assess_here(plan, np.asarray(image if image.mode == "RGB" else image.convert("RGB")))
    doc, _ = write_outputs(plan, out)
    return plan, doc


def assess_here(plan, rgb=None):  # type: ignore[no-untyped-def]
    """The plan with runnable / missing / degraded for this machine (its GPU as the driver reports
    it; no torch), whatever hardware it was planned for; ``rgb``: its image, uint8 (H, W, 3)."""
    from retouch.executors.hardware import detect_hardware
    from retouch.executors.select import for_this_machine

    return for_this_machine(
        plan, hardware=detect_hardware(), mask_given=plan.request.mask is not None, image=rgb
    )


def plan_cmd(
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
    hardware: o.HardwareOpt = "gpu-24gb",
    licence: o.LicenceOpt = "any",
    seed: o.Seed = None,
    steps: o.Steps = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for plan.json and the skill doc.")
    ] = Path("outputs"),
    json_out: o.Json = False,
) -> None:
    """Plan an edit: write OUT/skill-editing-pipeline.md and OUT/plan.json (no GPU, no weights)."""

    def body() -> None:
        from retouch.server.cli.hints import fix_line
        from retouch.server.requests import build_request, check_reference

        request = build_request(
            image,
            edit,
            mask=mask,
            points=point,
            box=box,
            text=text,
            extend=extend,
            scene=scene,
            priority=priority,
            hardware=hardware,
            seed=seed,
            steps=steps,
            licence=licence,
            reference=check_reference(reference) if reference is not None else None,
        )
        plan, doc = plan_request(request, out)
        if json_out:
            typer.echo(plan.model_dump_json(indent=2))
        else:
            runner = (
                f"the classical fill (weight-free; {plan.model.family} where weights exist)"
                if plan.executor == "classical"
                else f"{plan.model.family} ({plan.model.id})"
            )
            # first what cannot run here or runs instead: an agent may read only the first line
            if plan.runnable is False:
                typer.echo(f"here    cannot run on this machine: {'; '.join(plan.missing)}")
            for d in plan.degraded:
                typer.echo(f"here    {d.sentence()} Fix: {fix_line(d)}.")
            typer.echo(f"{plan.mode} with {runner}; rules: {', '.join(r.id for r in plan.rules)}")
            typer.echo(f"estimate {plan.latency.total_s:.2f} s on {plan.latency.hardware} (warm)")
            typer.echo(f"wrote {doc} and {doc.parent / 'plan.json'}")

    run_guarded(body)


CASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _case(data: bytes, n: int) -> dict:
    """One line of a ``retouch doc`` file as a request dict with a safe "name"; InputError if the
    line is not UTF-8, not a JSON object, nested too deep, or names no plain folder."""
    from retouch.planner.contract.errors import InputError

    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the line is not UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None
    except RecursionError:
        raise InputError(
            "the line nests JSON too deeply; one flat request object per line"
        ) from None
    if not isinstance(raw, dict):
        raise InputError("the line is not a JSON object")
    name = raw.get("name", f"case-{n:03d}")
    if not isinstance(name, str) or not CASE_NAME.fullmatch(name):
        raise InputError(
            f"name {name!r} is not a plain folder name; use 1-100 letters, digits, '.', '_' or '-'"
        )
    return raw


def doc_cmd(
    cases: Annotated[
        Path,
        typer.Argument(
            help="JSON Lines file: one EditRequest object per line "
            '(optional "name" key names its output folder).'
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder; each case gets OUT/<name>/.")] = Path(
        "outputs/docs"
    ),
) -> None:
    """Render one skill doc (and plan.json) per line of a JSONL file, offline."""

    def body() -> None:
        from pydantic import ValidationError
        from retouch.planner.contract.errors import InputError, RetouchError
        from retouch.planner.contract.schema import EditRequest
        from retouch.server.requests import validation_message

        if not cases.is_file():
            raise InputError(
                f"cases file not found: {cases}; give a .jsonl file, one request per line"
            )
        base = cases.resolve().parent
        failed = written = 0
        for n, data in enumerate(cases.read_bytes().splitlines(), start=1):
            if not data.strip() or data.lstrip().startswith(b"#"):
                continue
            try:
                raw = _case(data, n)
                name = raw.pop("name", f"case-{n:03d}")
                for key in ("image", "mask"):
                    if isinstance(raw.get(key), str) and not Path(raw[key]).is_absolute():
                        raw[key] = str(base / raw[key])
                ref = raw.get("guidance")
                if isinstance(ref, dict) and isinstance(ref.get("image"), str):
                    if not ref["image"].startswith("@") and not Path(ref["image"]).is_absolute():
                        raw["guidance"] = {**ref, "image": str(base / ref["image"])}
                request = EditRequest.model_validate(raw)
                _, doc = plan_request(request, out / name)
                written += 1
                typer.echo(f"line {n}: wrote {doc}")
            except json.JSONDecodeError as exc:
                failed += 1
                typer.echo(
                    f"error: {cases}:{n}: not JSON ({exc.msg}); one JSON object per line", err=True
                )
            except ValidationError as exc:
                failed += 1
                typer.echo(f"error: {cases}:{n}: {validation_message(exc)}", err=True)
            except RetouchError as exc:
                failed += 1
                typer.echo(f"error: {cases}:{n}: {exc}", err=True)
        typer.echo(f"{written} doc(s) written, {failed} line(s) failed")
        if failed or not written:
            if not written and not failed:
                raise InputError(f"{cases} has no requests; write one JSON object per line")
            raise typer.Exit(2)

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_cmd)
    app.command("doc")(doc_cmd)
