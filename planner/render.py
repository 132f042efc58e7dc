"""Render a plan to ``skill-editing-pipeline.md`` (+ ``plan.json``) with Jinja."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from retouch.planner.contract.atomic import atomic_write
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import EditPlan

DOC_NAME = "skill-editing-pipeline.md"
PLAN_NAME = "plan.json"

_ENV = Environment(
    loader=PackageLoader("retouch.planner", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)

STRENGTH_MEANING = [
    (0.35, "nearly identical to the source, small stylistic changes"),
    (0.55, "region restyle: texture and style change, layout stays"),
    (0.75, "moderate edit that preserves coarse structure"),
    (1.01, "generated from near-noise, little of the source survives"),
]


def cli_command(plan: EditPlan, plan_path: str) -> str:
    """The ``retouch edit`` command that carries the plan out."""
    r = plan.request
    parts = ["retouch", "edit", r.image, r.edit, "--plan", plan_path]
    if r.mask:
        parts += ["--mask", r.mask]
    if r.sam is not None:
        for p in r.sam.points:
            parts += ["--point", f"{p.x:g},{p.y:g}:{p.label}"]
        if r.sam.box is not None:
            parts += ["--box", ",".join(f"{v:g}" for v in r.sam.box)]
    if plan.controlnet is not None:
        parts += ["--control", "POSE.png"]
    parts += ["--out", "RESULT.png"]
    return shlex.join(parts)


def render(plan: EditPlan, plan_path: str = PLAN_NAME) -> str:
    """The skill document for ``plan`` as Markdown text."""
    strength = plan.strength or 0.0
    meaning = next(text for upper, text in STRENGTH_MEANING if strength < upper)
    args = {"image": plan.request.image, "edit": plan.request.edit}
    if plan.request.mask:
        args["mask"] = plan.request.mask
    return _ENV.get_template(DOC_NAME + ".j2").render(
        plan=plan,
        strength_meaning=meaning,
        cli_command=cli_command(plan, plan_path),
        plan_path=plan_path,
        plan_args=json.dumps(args),
    )


def write_outputs(plan: EditPlan, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write DIR/skill-editing-pipeline.md and DIR/plan.json; each file appears whole or not at all."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create output folder {out} ({exc.strerror}); pick another output folder",
            [hint("out")],
        ) from exc
    if not out.is_dir():
        raise InputError(f"output folder {out} is not a folder; give a folder path", [hint("out")])
    plan_path = out / PLAN_NAME
    doc = render(plan, str(plan_path))
    payload = plan.model_dump_json(indent=2) + "\n"
    try:
        atomic_write(plan_path, payload)
        atomic_write(out / DOC_NAME, doc)
    except OSError as exc:
        raise InputError(
            f"cannot write to {out} ({exc.strerror}); check the folder's permissions"
        ) from exc
    return out / DOC_NAME, plan_path


def load_plan(path: str | os.PathLike[str]) -> EditPlan:
    """Read a plan.json, with a clear error for a missing or invalid file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"plan not found: {p}; make a plan first or check the path", [hint("plan")]
        )
    try:
        return EditPlan.model_validate_json(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        first = str(exc).splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0]
        raise InputError(
            f"{p} is not a valid plan.json ({detail}); make it again", [hint("plan")]
        ) from exc
