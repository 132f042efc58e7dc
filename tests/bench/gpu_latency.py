"""GPU latency of one batch-1 edit per model family, at the real architecture sizes. Run by hand:

    python tests/bench/gpu_latency.py --out tests/bench/RESULTS.md    # on a CUDA machine
    python tests/bench/gpu_latency.py --device cpu --tiny              # CPU smoke run, 2 steps

Each family is built from its published config (``published_configs.py``,
``published_configs_edit.py``, ``real_size.py``) with random weights: modules are created on the
meta device and materialised directly on the GPU (``to_empty`` + a seeded normal init there), never
on the CPU. Speed does not depend on weight values or on the tokens, so the tokenizers are tiny
local ones giving the real text lengths (CLIP 77, T5 512, Qwen prompts padded to 512 or with the
system prompt dropped as the real pipelines do) and the Qwen2.5-VL processor has the published
image settings.

Families, in the order they run (the issue's table first), batch 1, SDPA attention (diffusers'
default processors), fp16 for SD/SDXL and bf16 for the rest; the edits are in ``latency_edits.py``:

| family             | pipeline                      | rows (steps, guidance)                        |
| ------------------ | ----------------------------- | --------------------------------------------- |
| flux2-klein        | Flux2KleinPipeline            | native 1024^2: 4 steps, distilled (no CFG)    |
| qwen-image-edit    | QwenImageEditPlusPipeline     | native 1024^2: 40 steps true CFG 4.0; 8 steps |
|                    |                               | without CFG (Qwen-Image-Lightning's count)    |
| longcat-image-edit | LongCatImageEditPipeline      | native ~1024^2 (fixed): 50 steps, CFG 4.5     |
| qwen-image-layered | QwenImageLayeredPipeline      | native 640^2 bucket: 4 RGBA layers, 50 steps, |
|                    |                               | true CFG 4.0                                  |
| joyai-image-edit-  | JoyImageEditPlusPipeline      | native 1024^2 with one reference image (its   |
| plus               |                               | own 1024^2 bucket): 30 steps, CFG 4.0         |
| z-image            | ZImageInpaintPipeline         | crop -> native 1024, full frame 2048: 8 steps,|
|                    |                               | guidance 0 (Turbo: no CFG batch)              |
| z-image-controlnet | ZImageControlNetInpaint...    | the same rows with the Union 2.1 ControlNet   |
| sd-inpaint         | StableDiffusionInpaint...     | crop -> native 512, full frame 1024: 30 steps |
| sdxl-inpaint       | StableDiffusionXLInpaint...   | crop -> native 1024, full frame 2048: 30 steps|
| flux-fill          | FluxFillPipeline              | crop -> native 1024, full frame 2048: 28 steps|
| flux-kontext       | FluxKontextPipeline           | native 1024^2: 28 steps                       |

1. ``native``: an instruction edit of a native-size source; the source enters as reference tokens
   (klein, Qwen, LongCat and Kontext: 4096 noisy + 4096 reference tokens at 1024^2; JoyAI Plus
   4096 noisy + 2 x 4096: the source and a reference, as a Plus edit with a reference sends). klein is the
   issue's "< 0.5 s on an H100" row; why its instruction pipeline and not the inpaint one is in
   ``real_size.FAMILIES``' docstring.
2. ``crop -> native`` (masked families): the mask's padded box (1.5x the mask's side) cut from a
   2x-native frame, resized to native resolution, edited, resized back and pasted under the mask:
   what retouch's crop-and-stitch does.
3. ``full frame`` (masked families): the same edit on the whole 2x-native frame.
4. ``... + compile``: row 1 or 2 with the denoiser under ``torch.compile`` (the whole UNet; the
   transformers' repeated blocks, i.e. regional compilation). ``--compile off`` skips it.

``--steps`` overrides every row's steps. ``s / edit`` is the wall time of the whole edit (text and
vision encoding, VAE encode/decode, crop/paste included), ``s / step`` the steady-state denoising
step (time between the first and last scheduler steps / (steps - 1); with CFG a step is two
transformer passes), ``peak`` is ``torch.cuda.max_memory_allocated`` during the edit (weights
included). Every family's timed rows follow a 2-step warm-up call at the same size.

Budget (``--budget-s``, default 500 s, counted from the start) keeps the run under about 8 minutes
on one H100/H200 (the largest family, Qwen-Image-Edit, holds 29 B parameters, 58 GB in bf16). Pass 1
builds each family in turn, frees it before the next, and measures its first rows (which may use the
whole budget: the newest editors run first so that their rows come in) and, for masked families,
the full-frame row if its estimate fits the family's share; pass 2 rebuilds each family and measures
the compiled row while the budget lasts. What does not fit is listed as skipped; the table is
rewritten to ``--out`` after every family. On a GPU run an error in one row or family (out of
memory, compiler failure) is reported in the table and the run goes on. Without a CUDA GPU it prints
"no CUDA GPU: skipped" and exits 0.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.latency_edits import StepClock, make_case, run_edit  # noqa: E402
from tests.bench.real_size import FAMILIES, Family, build_pipeline  # noqa: E402

COMPILE_ESTIMATE_S = {"unet": 90.0, "transformer": 45.0}
"""Rough compile cost on an H100 (whole UNet; a transformer's repeated blocks only), for the budget."""

BUILD_ESTIMATE_S = 30.0
"""Building the largest family (Qwen-Image-Edit: 29 B parameters) on the GPU, for the budget only."""

MIN_FAMILY_S = 45.0
"""A family is not even built when less than this is left of the budget."""


@dataclass
class Row:
    """One line of the table; the timings are None when the row was skipped."""

    family: str
    mode: str
    source_px: int
    run_px: int
    dtype: str
    attention: str
    compiled: bool
    steps: int
    edit_s: float | None = None
    step_s: float | None = None
    peak_gib: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Measured:
    edit_s: float  # wall time of the whole edit
    step_s: float  # steady-state denoising step
    peak_gib: float | None  # torch.cuda.max_memory_allocated during the edit; None on CPU


# 1. one family: build, warm up, then the measured rows under the budget -----------------------


def attention_name(denoiser: Any) -> str:
    """The denoiser's attention processor class (Z-Image's transformer has no attn_processors)."""
    procs = getattr(denoiser, "attn_processors", None)
    if procs:
        return type(next(iter(procs.values()))).__name__
    found = (type(m.processor).__name__ for m in denoiser.modules() if hasattr(m, "processor"))
    return next(found, "unknown")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class FamilyBench:
    """Builds one family's pipeline, then measures it; each ``*_row`` method returns a Row."""

    def __init__(self, fam: Family, args: argparse.Namespace) -> None:
        import torch

        self.fam = replace(fam, native=64) if args.tiny else fam
        self.device, self.repeats = args.device, args.repeats
        self.steps = args.steps or fam.steps
        self.steps_override = args.steps
        self.cuda = args.device == "cuda"
        self.sync = torch.cuda.synchronize if self.cuda else (lambda: None)
        start = time.perf_counter()
        self.pipe = build_pipeline(self.fam, args.tiny, args.device)
        gib = torch.cuda.memory_allocated() / 2**30 if self.cuda else 0.0
        self.built = f"built in {time.perf_counter() - start:.1f} s, weights {gib:.1f} GiB"
        _log(f"[{fam.name}] {self.built}")
        self.denoiser = getattr(self.pipe, fam.denoiser)
        self.attention = attention_name(self.denoiser)
        self.dtype = str(self.denoiser.dtype).removeprefix("torch.")
        native = self.fam.native
        self.case = make_case(2 * native if fam.masked else native)
        self.first = "crop" if fam.masked else "native"
        self.first_label = "crop -> native" if fam.masked else "native"
        self.estimate = 0.0  # seconds for one full row, from the first warm-up

    def measure(
        self, mode: str, steps: int, repeats: int, guidance: float | None = None
    ) -> Measured:
        """Median-of-``repeats`` wall time of one edit, its steady step time and peak VRAM."""
        import torch

        guidance = self.fam.guidance if guidance is None else guidance
        runs = []
        for _ in range(repeats):
            clock = StepClock(steps, self.sync)
            if self.cuda:
                torch.cuda.reset_peak_memory_stats()
            self.sync()
            start = time.perf_counter()
            run_edit(self.pipe, self.fam, self.case, mode, steps, guidance, clock)
            self.sync()
            total = time.perf_counter() - start
            peak = torch.cuda.max_memory_allocated() / 2**30 if self.cuda else None
            runs.append(Measured(total, clock.per_step() or total / steps, peak))
        return sorted(runs, key=lambda m: m.edit_s)[len(runs) // 2]

    def warm(self, mode: str) -> float:
        """A 2-step call (kernels, allocator, compilation); returns the full rows' estimate in s."""
        return self.measure(mode, 2, 1).edit_s / 2 * self.steps * self.repeats

    def row(
        self, mode: str, run_px: int, compiled: bool, m: Measured | None, note: str, steps: int = 0
    ) -> Row:
        r = Row(self.fam.name, mode, self.case.image.size[0], run_px, self.dtype, self.attention,
                compiled, steps or self.steps, note=note)  # fmt: skip
        if m is not None:
            r.edit_s, r.step_s, r.peak_gib = m.edit_s, m.step_s, m.peak_gib
        return r

    def first_row(self, left_s: float) -> tuple[Row, Measured | None]:
        """crop -> native (masked families) or native (instruction editors): the first row."""
        label = self.first_label
        self.estimate = self.warm(self.first)
        if self.estimate > left_s:
            note = f"skipped: needs ~{self.estimate:.0f} s, {left_s:.0f} s left"
            return self.row(label, self.fam.native, False, None, note), None
        m = self.measure(self.first, self.steps, self.repeats)
        crop = self.case.crop[2] - self.case.crop[0]
        what = f"{crop}px box of the frame" if self.fam.masked else "source at native size"
        if self.fam.pipeline == "JoyImageEditPlusPipeline":
            what += " and the source again as its reference"
        return self.row(label, self.fam.native, False, m, f"{what}; {self.built}"), m

    def also_row(self, steps: int, guidance: float, why: str, left_s: float) -> Row:
        """The first row again at another step count and guidance, same build (Qwen-Image-Edit:
        8 steps without CFG, the Lightning count)."""
        steps = self.steps_override or steps
        guess = self.estimate * steps / self.steps
        if guess > left_s:
            note = f"skipped: needs ~{guess:.0f} s, {left_s:.0f} s left"
            return self.row(self.first_label, self.fam.native, False, None, note, steps)
        m = self.measure(self.first, steps, self.repeats, guidance)
        note = f"{why}; guidance {guidance:g}"
        return self.row(self.first_label, self.fam.native, False, m, note, steps)

    def full_frame_row(self, base: Measured, left_s: float) -> Row:
        """The same edit on the whole 2x-native frame (4x the pixels), no crop."""
        frame = self.case.image.size[0]
        guess = 9 * self.estimate  # 4x tokens: >4x the work once attention dominates
        if guess > left_s and self.fam.native > 64:
            note = f"skipped: needs ~{guess:.0f} s, {left_s:.0f} s left"
            return self.row("full frame", frame, False, None, note)
        self.warm("full")
        m = self.measure("full", self.steps, self.repeats)
        note = f"crop -> native is {m.edit_s / base.edit_s:.1f}x faster"
        return self.row("full frame", frame, False, m, note)

    def compile_row(self, base: Measured) -> Row:
        """The first row again with the denoiser compiled (whole UNet; Flux: repeated blocks).

        ``base`` is the eager first row measured earlier; the budget was checked by the caller.
        """
        import torch

        start = time.perf_counter()
        if self.fam.denoiser == "unet":
            self.denoiser.to(memory_format=torch.channels_last)
            self.denoiser.compile(fullgraph=True)
        else:
            self.denoiser.compile_repeated_blocks(fullgraph=True)
        self.warm(self.first)
        compile_s = time.perf_counter() - start
        m = self.measure(self.first, self.steps, self.repeats)
        note = f"compile + warm-up {compile_s:.0f} s; {base.edit_s / m.edit_s:.2f}x vs eager"
        return self.row(self.first_label + " + compile", self.fam.native, True, m, note)


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.perf_counter() + seconds

    def left(self) -> float:
        return self.deadline - time.perf_counter()


def _guarded(make_row: Callable[[], Row], fallback: Row, tiny: bool) -> Row:
    """``make_row()``; on a GPU run a failure (out of memory, compiler error) becomes the row's
    note so that the rows measured so far survive. A tiny run re-raises it."""
    try:
        return make_row()
    except Exception as exc:  # reported in the table; the run goes on
        if tiny:
            raise
        fallback.note = f"error: {exc!r}"[:160]
        return fallback


def eager_rows(
    fam: Family, args: argparse.Namespace, budget: Budget, share: float
) -> tuple[list[Row], Measured | None]:
    """Pass 1 for one family: the first row and the ``also`` rows (may use the whole budget), then
    the full-frame row (only within the family's ``share``). Returns the rows and the first row's
    measurement."""
    if budget.left() < MIN_FAMILY_S and not args.tiny:
        return [Row(fam.name, "-", 0, 0, "-", "-", False, 0, note="skipped: budget spent")], None
    family = Budget(min(share, budget.left()))
    bench = FamilyBench(fam, args)
    first, base = bench.first_row(budget.left())
    _log(f"[{fam.name}] {first}")
    rows = [first]
    for steps, guidance, why in fam.also if base is not None else ():
        fallback = bench.row(bench.first_label, bench.fam.native, False, None, "", steps)
        also = partial(bench.also_row, steps, guidance, why, budget.left())
        rows.append(_guarded(also, fallback, args.tiny))
        _log(f"[{fam.name}] {rows[-1]}")
    if base is not None and fam.masked:
        fallback = bench.row("full frame", bench.case.image.size[0], False, None, "")
        full = bench.full_frame_row
        rows.append(_guarded(lambda: full(base, family.left()), fallback, args.tiny))
        _log(f"[{fam.name}] {rows[-1]}")
    return rows, base


def compiled_row(fam: Family, args: argparse.Namespace, budget: Budget, base: Measured) -> Row:
    """Pass 2 for one family: rebuild it and measure the first row with the denoiser compiled."""
    label = ("crop -> native" if fam.masked else "native") + " + compile"
    need = BUILD_ESTIMATE_S + COMPILE_ESTIMATE_S[fam.denoiser] + 3 * base.edit_s
    if need > budget.left() and not args.tiny:
        note = f"skipped: needs ~{need:.0f} s, {budget.left():.0f} s left"
        return Row(fam.name, label, 0, 0, "-", "-", True, 0, note=note)
    bench = FamilyBench(fam, args)
    fallback = bench.row(label, bench.fam.native, True, None, "")
    row = _guarded(lambda: bench.compile_row(base), fallback, args.tiny)
    _log(f"[{fam.name}] {row}")
    return row


# 2. table and entry point ----------------------------------------------------------------------


def render(rows: list[Row], header: str) -> str:
    def num(x: float | None, fmt: str) -> str:
        return "-" if x is None else format(x, fmt)

    lines = [
        header,
        "",
        "| family | mode | source px | run px | dtype | attention | compiled | steps "
        "| s / edit | s / step | peak VRAM GiB | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.family} | {r.mode} | {r.source_px} | {r.run_px} | {r.dtype} | {r.attention} "
            f"| {'yes' if r.compiled else 'no'} | {r.steps} | {num(r.edit_s, '.2f')} "
            f"| {num(r.step_s, '.3f')} | {num(r.peak_gib, '.1f')} | {r.note} |"
        )
    return "\n".join(lines) + "\n"


@contextmanager
def _released(name: str, args: argparse.Namespace, rows: list[Row]) -> Iterator[None]:
    """Free the family's GPU memory and compiled graphs afterwards; on a GPU run, a failure to
    build or run it becomes an error row instead of ending the run."""
    import torch

    try:
        yield
    except (MemoryError, RuntimeError) as exc:  # torch.cuda.OutOfMemoryError is a RuntimeError
        if args.tiny:
            raise
        _log(f"[{name}] failed: {exc!r}")
        rows.append(Row(name, "-", 0, 0, "-", "-", False, 0, note=f"error: {exc!r}"[:160]))
    finally:
        gc.collect()
        if args.device == "cuda":
            torch._dynamo.reset()
            torch.cuda.empty_cache()


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def _header(args: argparse.Namespace, used_s: float) -> str:
    import diffusers
    import torch

    gpu = torch.cuda.get_device_name() if args.device == "cuda" else "cpu (tiny configs)"
    return (
        f"GPU latency, batch-1 edits, random weights at published sizes — {time.strftime('%Y-%m-%d')}"
        f", {gpu}, torch {torch.__version__}, diffusers {diffusers.__version__}"
        f", {used_s:.0f} s of a {args.budget_s:.0f} s budget"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    p.add_argument("--tiny", action="store_true", help="tiny widths, same structure (CPU smoke)")
    p.add_argument("--families", default=",".join(FAMILIES), help="comma-separated subset")
    p.add_argument("--steps", type=int, default=None, help="override every row's steps")
    p.add_argument("--repeats", type=int, default=1, help="timed runs per row (median)")
    p.add_argument("--compile", choices=("auto", "on", "off"), default="auto")
    p.add_argument("--budget-s", type=float, default=500.0, help="whole-run time budget, s")
    p.add_argument("--out", type=Path, default=None, help="also write the markdown table here")
    args = p.parse_args(argv)
    unknown = sorted(set(args.families.split(",")) - set(FAMILIES))
    if unknown:
        p.error(f"unknown families {unknown}; choose from {', '.join(FAMILIES)}")
    if args.tiny and args.steps is None:
        args.steps = 2
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code (0 also when skipped for lack of a GPU)."""
    started = time.perf_counter()
    args = parse_args(argv)
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU: skipped")
        return 0
    if args.device == "cpu" and not args.tiny:
        print("error: --device cpu runs only with --tiny (real sizes would take hours on a CPU)")
        return 2
    import diffusers

    diffusers.utils.logging.set_verbosity_error()  # "modules kept in float32" on every .to(dtype)
    budget = Budget(args.budget_s - (time.perf_counter() - started))
    names = args.families.split(",")
    rows: dict[str, list[Row]] = {name: [] for name in names}
    bases: dict[str, Measured] = {}

    def flush() -> None:  # after every family, so a run stopped from outside keeps its rows
        if args.out:
            table = [r for name in names for r in rows[name]]
            write_atomic(args.out, render(table, _header(args, time.perf_counter() - started)))

    for i, name in enumerate(names):  # pass 1: eager rows, every family first
        with _released(name, args, rows[name]):
            rows[name], base = eager_rows(
                FAMILIES[name], args, budget, budget.left() / (len(names) - i)
            )
            if base is not None:
                bases[name] = base
        flush()
    if args.compile == "on" or (args.compile == "auto" and args.device == "cuda"):
        for name in [n for n in names if n in bases]:  # pass 2: compiled, while the budget lasts
            with _released(name, args, rows[name]):
                rows[name].append(compiled_row(FAMILIES[name], args, budget, bases[name]))
            flush()
    table = [r for name in names for r in rows[name]]
    print(render(table, _header(args, time.perf_counter() - started)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
