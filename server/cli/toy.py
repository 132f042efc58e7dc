"""``retouch toy``: the lesson's 5-D toy DDPM, inpainted naively and with RePaint, exercises answered.

Trains the toy (executors/toy/exercises.py, a few seconds on a CPU), prints a table and writes
OUT/toy-report.md with a plot of the masked-fraction sweep, OUT/toy-sweep.png. ``--json`` prints the
``ToyReport`` as one JSON object instead of the table (the files are still written).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from retouch.planner.contract.atomic import atomic_save
from retouch.server.cli.app import run_guarded

if TYPE_CHECKING:
    from retouch.executors.toy.exercises import ToyReport

REPORT_NAME = "toy-report.md"
PLOT_NAME = "toy-sweep.png"


def summary_lines(report: ToyReport) -> list[str]:
    """The answers in words: cluster test, exercise 1 and exercise 2, one line each."""
    acc = report.cluster_accuracy
    where, measured = report.stops_helping_at()
    last = report.sweep[-1]
    if measured:
        ex1 = (
            f"inpainting stops helping at masked fraction {where:.2f}: there the naive residual "
            "meets the unconditional one"
        )
    else:
        ex1 = (
            f"inpainting helps at every swept fraction: at {last.masked_fraction:.1f} the naive "
            f"residual is still {last.naive_residual:.3f} vs {last.unconditional_residual:.3f} "
            f"unconditional; the gap extrapolates to 0 at {where:.2f}"
            + (", i.e. only once no dim is known" if where >= 1.0 else "")
        )
    rp = report.repaint
    change = rp.repaint_boundary_residual / rp.naive_boundary_residual - 1
    verdict = "reduces" if change < 0 else "does not reduce"
    ex2 = (
        f"RePaint (jump back 5 every 10 steps) {verdict} the boundary residual: "
        f"{rp.naive_boundary_residual:.3f} naive -> {rp.repaint_boundary_residual:.3f} "
        f"({change:+.0%})"
    )
    return [
        f"cluster accuracy, 2 of 5 dims masked: naive {acc.naive:.1%}, RePaint "
        f"{acc.repaint:.1%}, unconditional {acc.unconditional:.1%}",
        ex1,
        ex2,
    ]


def sweep_table(report: ToyReport) -> list[str]:
    """Exercise 1 as a Markdown table (also readable as plain text)."""
    rows = ["| masked fraction | naive residual | unconditional residual |", "| --- | --- | --- |"]
    rows += [
        f"| {r.masked_fraction:.1f} | {r.naive_residual:.3f} | {r.unconditional_residual:.3f} |"
        for r in report.sweep
    ]
    return rows


def render_markdown(report: ToyReport, seed: int) -> str:
    """The toy report: settings, definitions, the sweep table and plot, the answers."""
    from retouch.executors.toy.exercises import DIMS, SAMPLES, SPREAD, STEPS, TRAIN_ITERATIONS

    answers = "\n".join(f"- {line}" for line in summary_lines(report))
    return f"""# The lesson's toy: 5-D DDPM inpainting, naive and RePaint

Seed {seed}; data: {DIMS} floats per sample around a cluster centre c (all -1 or all +1), sd
{SPREAD}; an MLP noise predictor trained {TRAIN_ITERATIONS} steps, T = {STEPS} diffusion steps,
ancestral DDPM sampling (`executors/toy/sampler.py`), {SAMPLES} samples per row, all conditioned on the
same known samples.

Definitions, over the *masked* dims of each sample, with c its known dims' cluster centre:

- **cluster accuracy**: fraction of samples whose masked dims are nearer c than -c;
- **residual**: mean |x_d - c| over samples and masked dims d (a sample in the right cluster scores
  ~0.16 = E|N(0, {SPREAD})|, one in the wrong cluster ~2, a coin flip ~1.08);
- **boundary residual**: the residual over the masked dims next to a known dim.

## Answers

{answers}

## Exercise 1: masked fraction sweep (the last k of 5 dims masked)

{chr(10).join(sweep_table(report))}

![residual of the masked dims vs masked fraction]({PLOT_NAME})

## Exercise 2: RePaint vs naive at the mask boundary

Dims 1-3 masked, dims 0 and 4 known; boundary dims 1 and 3. RePaint jumps back 5 steps (re-noising
the whole sample) after every 10th reverse step and denoises them again: 150 model calls vs 100.

| | naive | RePaint |
| --- | --- | --- |
| boundary residual | {report.repaint.naive_boundary_residual:.3f} | \
{report.repaint.repaint_boundary_residual:.3f} |
"""


def plot_sweep(report: ToyReport, path: Path) -> None:
    """Write the sweep as a PNG: residual vs masked fraction, naive and unconditional."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        from retouch.planner.contract.errors import ModelMissingError

        raise ModelMissingError("matplotlib is missing: pip install 'matplotlib>=3.8'") from exc
    fractions = [r.masked_fraction for r in report.sweep]
    fig = Figure(figsize=(5.5, 3.6), dpi=100)
    ax = fig.subplots()
    ax.plot(fractions, [r.naive_residual for r in report.sweep], "o-", label="naive inpainting")
    ax.plot(
        fractions, [r.unconditional_residual for r in report.sweep], "s--", label="unconditional"
    )
    from retouch.executors.toy.exercises import SPREAD

    floor = SPREAD * (2 / math.pi) ** 0.5  # E|N(0, SPREAD)|: every sample in the right cluster
    ax.axhline(floor, color="grey", lw=0.8, ls=":", label="all in the known cluster")
    ax.set_xlabel("masked fraction (masked dims / 5)")
    ax.set_ylabel("residual: mean |x_masked - c|")
    ax.set_title("5-D toy DDPM: inpainting vs unconditional")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, format="png"))


def prepare_out(out: Path) -> None:
    """Create the output folder, or say why it cannot be (before any work is done)."""
    from retouch.planner.contract.errors import InputError

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create output folder {out} ({exc.strerror}); pick another --out"
        ) from exc
    if not out.is_dir():
        raise InputError(f"--out {out} is not a folder; give a folder path")


def write_report(report: ToyReport, seed: int, out: Path) -> tuple[Path, Path]:
    """Write OUT/toy-report.md and OUT/toy-sweep.png, each whole or not at all."""
    from retouch.planner.contract.errors import InputError

    prepare_out(out)
    doc, png = out / REPORT_NAME, out / PLOT_NAME
    try:
        plot_sweep(report, png)
        text = render_markdown(report, seed)
        atomic_save(doc, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"cannot write to {out} ({exc.strerror}); check the folder's permissions"
        ) from exc
    return doc, png


def toy_cmd(
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed for training and sampling.")] = 0,
    json_out: Annotated[
        bool,
        typer.Option("--json", help="Print the report as one JSON object instead of the table."),
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for toy-report.md and toy-sweep.png.")
    ] = Path("outputs"),
) -> None:
    """Train the lesson's 5-D toy DDPM; compare naive inpainting, RePaint and unconditional."""

    def body() -> None:
        from retouch.executors.toy.exercises import run_exercises

        prepare_out(out)
        report = run_exercises(seed)
        doc, png = write_report(report, seed, out)
        if json_out:
            typer.echo(report.model_dump_json())
            return
        for line in [*sweep_table(report), "", *summary_lines(report)]:
            typer.echo(line)
        typer.echo(f"wrote {doc} and {png}")

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.command("toy")(toy_cmd)
