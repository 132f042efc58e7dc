"""``retouch check``: measure a result against its plan's QA checklist (exit 0 pass, 1 fail, 2 bad input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from retouch.server.cli.app import run_guarded

Source = Annotated[
    Path, typer.Argument(help="The source image the edit started from.", show_default=False)
]
Result = Annotated[Path, typer.Argument(help="The edited result to check.", show_default=False)]
MaskOpt = Annotated[
    Path | None,
    typer.Option(
        "--mask",
        metavar="MASK.png",
        help="The edit mask, the result's size, white = edit (as given to `retouch edit`; with --plan "
        "the plan's invert/dilate are applied). Omit for a whole-image edit or an outpaint plan.",
        show_default=False,
    ),
]
PlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        metavar="plan.json",
        help="The edit's plan: its checklist, thresholds, fixes and canvas offset (default: the "
        "checklist of a masked inpaint).",
        show_default=False,
    ),
]
AsRun = Annotated[
    bool,
    typer.Option(
        "--as-run",
        help="MASK is already the region the executor regenerated (inverted/dilated): use it as is.",
    ),
]
JsonOut = Annotated[
    bool, typer.Option("--json", help="Print the items as a JSON list instead of a table.")
]
FixedOut = Annotated[
    Path | None,
    typer.Option(
        "--fixed-out",
        metavar="DIR",
        help="With --plan: when a check failed, write the plan with the fixes applied to DIR/plan.json "
        "(+ its skill doc), ready for `retouch edit --plan`.",
        show_default=False,
    ),
]


def load_inputs(
    source: Path, result: Path, mask: Path | None, plan_path: Path | None, as_run: bool
):  # type: ignore[no-untyped-def]
    """Read and cross-check the files. Returns (source image, result image, edit mask or None, plan or None)."""
    from retouch.executors.qa.check import regenerated_region
    from retouch.planner.contract.errors import InputError
    from retouch.planner.contract.imageio import mask_to_array, open_image
    from retouch.planner.render import load_plan

    plan = load_plan(plan_path) if plan_path is not None else None
    src = open_image(source, what="source")
    res = open_image(result, what="result")
    if mask is None:
        return src, res, None, plan
    mask_img = open_image(mask, what="mask")
    if mask_img.size != res.size:
        raise InputError(
            f"mask is {mask_img.size[0]}x{mask_img.size[1]}, the result is {res.size[0]}x{res.size[1]}; "
            "they must match (for outpainting, the mask covers the extended canvas)"
        )
    edit = mask_to_array(mask_img)
    if plan is not None and not as_run:
        edit = regenerated_region(plan, edit)
    return src, res, edit, plan


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def table(report) -> str:  # type: ignore[no-untyped-def]
    """The report as a fixed-width table, then one line per fix to apply."""
    lines = [f"{'check':18} {'status':8} {'value':>9} {'limit':>13}  detail"]
    for item in report.items:
        limit = f"{_fmt(item.band[0])}..{_fmt(item.band[1])}" if item.band else _fmt(item.threshold)
        lines.append(
            f"{item.id:18} {item.status:8} {_fmt(item.value):>9} {limit:>13}  {item.detail}"
        )
    fixes = [item for item in report.items if item.fix is not None]
    if fixes:
        lines.append("")
        for item in fixes:
            changes = "; ".join(f"{c.field} {c.op} {c.value}" for c in item.fix.changes)
            lines.append(
                f"fix {item.id}: {item.fix.summary}" + (f" ({changes})" if changes else "")
            )
    failed = [item.id for item in report.items if item.status == "fail"]
    skipped = [item.id for item in report.items if item.status == "skipped"]
    verdict = f"FAILED: {', '.join(failed)}" if failed else "passed"
    lines += ["", verdict + (f" (not measured: {', '.join(skipped)})" if skipped else "")]
    return "\n".join(lines)


def check_cmd(
    source: Source,
    result: Result,
    mask: MaskOpt = None,
    plan: PlanOpt = None,
    as_run: AsRun = False,
    json_out: JsonOut = False,
    fixed_out: FixedOut = None,
) -> None:
    """Check a result against the plan's QA checklist: exit 0 all passed, 1 a check failed, 2 bad input."""

    def body() -> None:
        from retouch.executors.qa.check import check
        from retouch.executors.qa.fixes import apply_fixes
        from retouch.planner.contract.errors import InputError, QAFailed
        from retouch.planner.render import write_outputs

        if fixed_out is not None and plan is None:
            raise InputError("--fixed-out needs --plan: the fixes are changes to a plan")
        src, res, edit, the_plan = load_inputs(source, result, mask, plan, as_run)
        report = check(src, res, edit, the_plan)
        if json_out:
            typer.echo(
                json.dumps([item.model_dump(mode="json") for item in report.items], indent=2)
            )
        else:
            typer.echo(table(report))
        if not report.passed and fixed_out is not None and the_plan is not None:
            fixed = apply_fixes(the_plan, report)
            if fixed != the_plan:
                _, written = write_outputs(fixed, fixed_out)
                typer.echo(f"wrote the fixed plan to {written}", err=json_out)
            else:
                typer.echo("no fix changes the plan; nothing written", err=json_out)
        if not report.passed:
            failed = ", ".join(item.id for item in report.failed)
            raise QAFailed(
                f"QA failed: {failed}; apply the fixes listed (`retouch edit --max-retries N` does it)"
            )

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
