"""MCP server benchmark (run by hand: ``.venv/bin/python tests/bench/bench_mcp.py``).

Measures, side by side on this machine:
0. the front door (``--front-door [--before SITE] [--after SITE] [--rounds N]``): for this
   checkout (or the --after tree) and, in the same run, an older tree (SITE: a folder holding
   ``retouch/`` with that tree's planner, executors and server, e.g. from ``git archive``):
   `retouch serve` spawn -> initialize against ``python -c "import mcp.server.mcpserver"``, the
   median plan_edit over stdio (512x512 with a mask), and `retouch plan` as a process; each
   both with the source compiled at every start (PYTHONDONTWRITEBYTECODE=1, as this sandbox
   runs) and with bytecode cached (as an installed package has it: pip writes .pyc files), the
   machine's load printed before and after; then where `retouch plan`'s time goes, by stage;
1. `retouch serve` over stdio: spawn -> initialize -> tools/list, and whether torch got imported;
2. run_edit through an in-memory MCP session vs executors.run.run_plan called directly, for the
   classical removal on the 512x512 astronaut (the MCP overhead: confinement, hashing, PNG/preview/
   comparison writing, QA);
3. a tiny SD-inpaint run_edit, first call (pipeline load) vs second call (kept warm).
Prints one line per measure and the ratios.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

REPORT = """\
import atexit, sys
atexit.register(lambda: open(sys.argv[1], "w").write(str("torch" in sys.modules)))
from retouch.server.cli.app import main
main(["serve"])
"""


async def stdio_start(work: Path) -> tuple[float, str]:
    from mcp import Client, StdioServerParameters

    flag = work / "torch.txt"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", REPORT, str(flag)],
        cwd=str(work),
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    t0 = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        elapsed = time.perf_counter() - t0
    for _ in range(100):
        if flag.exists():
            break
        await anyio.sleep(0.05)
    return elapsed, flag.read_text() if flag.exists() else "?"


def photo(work: Path) -> None:
    import skimage.data

    Image.fromarray(skimage.data.astronaut()).save(work / "astro.png")
    mask = np.zeros((512, 512), np.uint8)
    mask[0:292, 344:474] = 255  # the space-shuttle model
    Image.fromarray(mask, "L").save(work / "astro_mask.png")


async def mcp_vs_direct(work: Path, repeats: int = 5) -> tuple[float, float]:
    from mcp import Client
    from retouch.executors.run import run_plan
    from retouch.planner.contract.imageio import open_image, read_mask
    from retouch.planner.render import load_plan
    from retouch.server.mcp.app import build_server
    from retouch.server.mcp.config import ServerConfig

    cfg = ServerConfig.create(out=work / "out", base=work)
    async with Client(build_server(cfg)) as client:
        planned = await client.call_tool(
            "plan_edit",
            {
                "image": "astro.png",
                "mask": "astro_mask.png",
                "edit": "remove the space shuttle model",
            },
        )
        pid = planned.structured_content["plan_id"]
        await client.call_tool("run_edit", {"plan": pid})  # warm-up
        via_mcp = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = await client.call_tool("run_edit", {"plan": pid})
            via_mcp.append(time.perf_counter() - t0)
            assert not result.is_error, result.content[0].text
    plan = load_plan(cfg.out_dir / "plans" / pid / "plan.json")
    direct = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        image = open_image(work / "astro.png")
        run_plan(plan, image=image, mask=read_mask(work / "astro_mask.png", image.size))
        direct.append(time.perf_counter() - t0)
    return statistics.median(via_mcp), statistics.median(direct)


async def warm_vs_cold(work: Path) -> tuple[float, float]:
    import torch
    from mcp import Client
    from retouch.server.mcp.app import build_server
    from retouch.server.mcp.config import ServerConfig

    from tests.support.tiny_models import save_sd

    torch.set_num_threads(1)
    model = save_sd(work / "tiny", "inpaint")
    small = work / "small"
    small.mkdir()
    Image.open(work / "astro.png").resize((64, 64)).save(small / "a.png")
    m = np.zeros((64, 64), np.uint8)
    m[:24] = 255
    Image.fromarray(m, "L").save(small / "m.png")
    cfg = ServerConfig.create(roots=[str(small), str(model)], out=small / "out", base=small)
    overrides = [
        {"field": "model.id", "op": "set", "value": str(model)},
        {"field": "steps", "op": "set", "value": 2},
        {"field": "crop.enabled", "op": "set", "value": False},
    ]
    times = []
    async with Client(build_server(cfg)) as client:
        planned = await client.call_tool(
            "plan_edit",
            {"image": "a.png", "mask": "m.png", "edit": "replace the sky with a sunset"},
        )
        for _ in range(2):
            t0 = time.perf_counter()
            result = await client.call_tool(
                "run_edit", {"plan": planned.structured_content["plan_id"], "overrides": overrides}
            )
            times.append(time.perf_counter() - t0)
            assert not result.is_error, result.content[0].text
    return times[0], times[1]


async def main() -> None:
    if "--front-door" in sys.argv:
        site = {
            k: Path(sys.argv[sys.argv.index(k) + 1])
            for k in ("--before", "--after")
            if k in sys.argv
        }
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else None
        await front_door(site.get("--before"), site.get("--after"), rounds or FRONT_ROUNDS)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        photo(work)
        start, torch_loaded = await stdio_start(work)
        print(
            f"stdio spawn -> initialize -> tools/list: {start:.2f} s; "
            f"torch imported: {torch_loaded}"
        )
        mcp, direct = await mcp_vs_direct(work)
        print(
            f"classical removal 512x512: run_edit via MCP {mcp:.3f} s, run_plan direct "
            f"{direct:.3f} s, ratio {mcp / direct:.2f}x (MCP adds {mcp - direct:.3f} s)"
        )
        cold, warm = await warm_vs_cold(work)
        print(
            f"tiny SD-inpaint run_edit: first {cold:.2f} s, second {warm:.2f} s, ratio "
            f"{cold / warm:.1f}x (the pipeline loads once and stays warm)"
        )


# ----------------------------------------------------------------------------- the front door

FRONT_ROUNDS = 7  # process spawns per measure and tree, interleaved
IMPORT_MCP = "import mcp.server.mcpserver"
BUILD = (  # what `retouch serve` does before it reads stdin
    "import retouch.server.cli.app, retouch.server.cli.serve\n"
    "from retouch.server.mcp.app import build_server\n"
    "from retouch.server.mcp.config import ServerConfig\n"
    "build_server(ServerConfig.create())\n"
)
PLAN_CALLS = 30  # plan_edit calls per session (after 3 warm-up calls)
EDIT = "remove the space shuttle model"


BYTECODE = ("source", "bytecode")
"""How a spawned process gets retouch's code: compiled from source at every start
(PYTHONDONTWRITEBYTECODE=1) or from cached bytecode (a pycache folder under the work folder)."""


def _env(work: Path, site: Path | None, bytecode: str = "source") -> dict[str, str]:
    """The environment a spawned process runs in: SITE first on the path (an older tree), no
    weights, no GPU driver, its own history store; ``bytecode``: one of BYTECODE."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RETOUCH_DATA_DIR": str(work / "data")}
    env["PYTHONPATH"] = os.pathsep.join([str(site)] if site else [])
    if bytecode == "bytecode":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # mirrors each tree's own paths
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _wall(args: list[str], work: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to exit of ``python ARGS`` (it must succeed), and its CPU seconds (user
    + system: less swayed than wall time by other work on a busy machine)."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=work, env=env, capture_output=True)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


async def _serve(work: Path, env: dict[str, str]) -> tuple[float, float, list[float]]:
    """`retouch serve` over stdio: spawn -> initialize (s), -> tools/list (s), then the
    plan_edit round trips (s each) for the 512x512 photo with its mask."""
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "retouch.server.cli", "serve"], cwd=str(work), env=env
    )
    args = {"image": "astro.png", "mask": "astro_mask.png", "edit": EDIT}
    t0 = time.perf_counter()
    async with Client(params) as client:
        init = time.perf_counter() - t0
        await client.list_tools()
        listed = time.perf_counter() - t0
        calls = []
        for i in range(3 + PLAN_CALLS):
            t1 = time.perf_counter()
            result = await client.call_tool("plan_edit", args)
            if i >= 3:
                calls.append(time.perf_counter() - t1)
            assert not result.is_error, result.content[0].text
    return init, listed, calls


async def _front_round(work: Path, env: dict[str, str], out: dict[str, list[float]]) -> None:
    plan_args = ["-m", "retouch.server.cli", "plan", "astro.png", EDIT]
    for key, args in (("python", ["-c", "pass"]), ("import mcp", ["-c", IMPORT_MCP]),
                      ("build", ["-c", BUILD])):  # fmt: skip
        wall, cpu = _wall(args, work, env)
        out[key].append(wall)
        out[f"{key} cpu"].append(cpu)
    init, listed, calls = await _serve(work, env)
    out["serve init"].append(init)
    out["serve tools/list"].append(listed)
    out["plan_edit"] += calls
    wall, cpu = _wall([*plan_args, "--mask", "astro_mask.png", "--out", "o"], work, env)
    out["retouch plan"].append(wall)
    out["retouch plan cpu"].append(cpu)


def settled_photo(work: Path) -> None:
    """The photo and mask as an agent's inputs are: written a while before they are planned
    (the server keeps decoded inputs only for files settled for 2 s; config.FileMemo)."""
    photo(work)
    settled = time.time() - 60
    for f in (work / "astro.png", work / "astro_mask.png"):
        os.utime(f, (settled, settled))
    time.sleep(2.1)  # their ctime settles too


def plan_edit_stages(work: Path, calls: int = PLAN_CALLS) -> dict[str, float]:
    """Where an in-process plan_edit's time goes (median ms per stage over ``calls``, after the
    photo has settled so the input memo holds): each stage's function wrapped with a timer."""
    import json
    from collections import defaultdict

    import retouch.executors.select as select
    import retouch.planner as planner
    import retouch.server.mcp.plan as tool
    from retouch.server.mcp.brief import plan_text
    from retouch.server.mcp.config import ServerConfig, Stopwatch
    from retouch.server.mcp.schemas import PlanEditInput
    from retouch.server.mcp.toolkit import reply

    spent: dict[str, float] = defaultdict(float)

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        def run(*a, **k):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t0

        return run

    cfg = ServerConfig.create(out=work / "out-stages", base=work)
    patches = [
        (tool, "image_source", "inputs: confine + header"),
        (Stopwatch, "read", "inputs: sha256"),
        (tool, "load_source", "decode photo"),
        (cfg, "load_mask", "read mask"),
        (planner, "analyze", "facts (analyze)"),
        (planner, "make_plan", "plan (rules)"),
        (select, "_measured", "envelope (weight-free)"),
        (tool, "assess_here", "assess (incl. envelope)"),
        (tool, "store_plan", "write plan + doc"),
    ]
    for owner, attr, name in patches:
        setattr(owner, attr, timed(name, getattr(owner, attr)))
    args = PlanEditInput(image="astro.png", mask="astro_mask.png", edit=EDIT)
    rows: dict[str, list[float]] = defaultdict(list)
    for i in range(3 + calls):
        spent.clear()
        t0 = time.perf_counter()
        out = tool.plan_edit(cfg, args)
        t1 = time.perf_counter()
        result = reply(out, plan_text(out), json_text=False)
        json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True))
        t2 = time.perf_counter()
        if i >= 3:
            for name, sec in spent.items():
                rows[name].append(sec)
            rows["plan_edit (all)"].append(t1 - t0)
            rows["reply + JSON"].append(t2 - t1)
    return {name: 1000 * statistics.median(v) for name, v in rows.items()}


def _load() -> str:
    """The machine's load average (1, 5, 15 min) and CPU count, for the record."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


async def front_door(
    before: Path | None, after: Path | None = None, rounds: int = FRONT_ROUNDS
) -> None:
    """Every measure for each tree (``after``: this checkout unless a SITE is given) and each
    way of loading code (BYTECODE), rounds interleaved (A, B, A, B...), medians."""
    from collections import defaultdict

    trees = {"after": after, **({"before": before} if before else {})}
    runs = [(mode, name) for mode in BYTECODE for name in trees]
    print(f"front door: {rounds} rounds; {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settled_photo(work)
        got: dict[tuple[str, str], dict[str, list[float]]] = {r: defaultdict(list) for r in runs}
        for mode, name in runs:  # one untimed round fills each tree's bytecode cache
            await _front_round(work, _env(work, trees[name], mode), defaultdict(list))
        for _ in range(rounds):
            for mode, name in runs:
                await _front_round(work, _env(work, trees[name], mode), got[(mode, name)])
        stages = {
            mode: plan_process_stages(work, _env(work, after, mode), rounds) for mode in BYTECODE
        }
    print(f"after the rounds: {_load()}")
    _print_front(got, rounds)
    print(f"`retouch plan` in a fresh process, this tree, median ms per stage ({rounds} runs):")
    print(f"  {'stage':<34}" + "".join(f"{mode:>12}" for mode in BYTECODE))
    for name in stages[BYTECODE[0]]:
        print(f"  {name:<34}" + "".join(f"{stages[m].get(name, 0.0):>12.1f}" for m in BYTECODE))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settled_photo(work)
        in_process = plan_edit_stages(work)
    print(f"plan_edit in this process, this checkout, median ms per stage ({PLAN_CALLS} calls):")
    for name, ms in in_process.items():
        print(f"  {name:<32}{ms:>10.3f}")


FRONT_ROWS = [
    ("python -c pass (s)", lambda m: m["python"]),
    ("import mcp.server.mcpserver (s)", lambda m: m["import mcp"]),
    ("retouch serve -> initialize (s)", lambda m: m["serve init"]),
    ("  minus import mcp (s)", lambda m: m["serve init"] - m["import mcp"]),
    ("  ratio to import mcp", lambda m: m["serve init"] / m["import mcp"]),
    ("retouch serve -> tools/list (s)", lambda m: m["serve tools/list"]),
    ("plan_edit over stdio (ms)", lambda m: 1000 * m["plan_edit"]),
    ("retouch plan, a process (s)", lambda m: m["retouch plan"]),
    ("  ratio to python -c pass", lambda m: m["retouch plan"] / m["python"]),
    ("CPU s: import mcp.server.mcpserver", lambda m: m["import mcp cpu"]),
    ("CPU s: serve's imports + build", lambda m: m["build cpu"]),
    ("  minus import mcp", lambda m: m["build cpu"] - m["import mcp cpu"]),
    ("CPU s: retouch plan", lambda m: m["retouch plan cpu"]),
]


def _print_front(got: dict[tuple[str, str], dict[str, list[float]]], rounds: int) -> None:
    """One column per (bytecode, tree): medians over the rounds."""
    med = {r: {k: statistics.median(v) for k, v in m.items()} for r, m in got.items()}
    print(f"front door, medians of {rounds} spawns ({PLAN_CALLS} plan_edit calls each):")
    print(f"{'measure':<34}" + "".join(f"{f'{mode} {name}':>18}" for mode, name in got))
    for label, value in FRONT_ROWS:
        print(f"{label:<34}" + "".join(f"{value(med[r]):>18.3f}" for r in got))


STAGES = """
import json, sys, time
marks = [("start", time.perf_counter())]
def mark(name):
    marks.append((name, time.perf_counter()))
import retouch.server.cli.app as app
import retouch.server.cli.plan as cli
mark("import the CLI (typer, options: contract)")
def plan_request(request, out):  # server/cli/plan.py's plan_request, a mark after each step
    mark("parse arguments + build_request")
    import numpy as np
    from retouch.planner.contract.imageio import open_image
    mark("import numpy, imageio")
    from retouch.planner import analyze, make_plan
    mark("import the planner")
    image = open_image(request.image)
    mark("decode the photo")
    facts = analyze(request, image)
    mark("analyze")
    plan = make_plan(request, facts)
    mark("make_plan (rules)")
    from retouch.executors.hardware import detect_hardware
    from retouch.executors.select import for_this_machine
    mark("import executors.select")
    plan = cli.assess_here(plan, np.asarray(image.convert("RGB")))
    mark("assess (envelope: faces, edges)")
    from retouch.planner.render import write_outputs
    mark("import render (jinja2)")
    doc, _ = write_outputs(plan, out)
    mark("render + write plan, doc")
    return plan, doc
cli.plan_request = plan_request
try:
    app.main(sys.argv[1:])
except SystemExit:
    pass
mark("exit")
print(json.dumps({n: 1000 * (t - marks[i][1]) for i, (n, t) in enumerate(marks[1:])}))
"""


def plan_process_stages(work: Path, env: dict[str, str], runs: int) -> dict[str, float]:
    """Median ms per stage of `retouch plan` (the 512 px photo with its mask) in a fresh process:
    server/cli/plan.py's plan_request re-traced with a mark after each step."""
    import json
    import subprocess
    from collections import defaultdict

    args = ["plan", "astro.png", EDIT, "--mask", "astro_mask.png", "--out", "o", "--json"]
    rows: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", STAGES, *args], cwd=work, env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        for name, ms in json.loads(done.stdout.decode().strip().splitlines()[-1]).items():
            rows[name].append(ms)
    stages = {name: statistics.median(v) for name, v in rows.items()}
    stages["total"] = sum(stages.values())
    return stages


if __name__ == "__main__":
    anyio.run(main)
