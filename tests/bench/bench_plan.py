"""Planning time per request, apart from image decoding. Run by hand:

    .venv/bin/python tests/bench/bench_plan.py [--cold [--before SITE] [--rounds N]]

Target: planning (words + rules -> EditPlan) under 1 ms per request. Reported per stage as medians over repeats, all
measured side by side in one run: decode (Pillow open + EXIF), facts (mask statistics), plan
(rule table -> EditPlan), render (Jinja skill doc).

``--cold``: what a fresh process pays before its first plan: importing the planner and reading
the first edit text (the language room's regexes compile on first use), for this checkout and,
interleaved in the same run, an older tree (SITE: a folder holding ``retouch/``, e.g. from
``git archive``); bytecode cached, medians of N processes, CPU seconds beside wall time.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from retouch.planner import EditRequest, analyze, make_plan  # noqa: E402
from retouch.planner.contract.imageio import open_image  # noqa: E402
from retouch.planner.render import render  # noqa: E402

SHARED = Path(__file__).resolve().parents[3] / "shared/cases"
CASES = json.loads((SHARED / "use-it.json").read_text())
LANGUAGE = json.loads((SHARED / "language.json").read_text())
MASKS = {
    "small": (300, 60, 365, 125),
    "medium": (100, 250, 330, 480),
    "large-top": (0, 0, 512, 205),
}


def median_ms(fn, repeats: int = 200) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    Image.fromarray(skimage.data.astronaut()).save(tmp / "a.png")
    rows = []
    for case in CASES["cases"] + LANGUAGE["cases"]:
        w, h = case.get("image_size", (512, 512))
        if (w, h) != (512, 512):
            Image.fromarray(skimage.data.astronaut()).resize((w, h)).save(tmp / f"{w}x{h}.png")
        image_path = tmp / ("a.png" if (w, h) == (512, 512) else f"{w}x{h}.png")
        kw: dict = {"image": str(image_path), "edit": case["edit"]}
        if "mask" in case:
            m = np.zeros((512, 512), np.uint8)
            x0, y0, x1, y1 = MASKS[case["mask"]]
            m[y0:y1, x0:x1] = 255
            Image.fromarray(m).save(tmp / f"{case['id']}.png")
            kw["mask"] = str(tmp / f"{case['id']}.png")
        if "extend" in case:
            kw["extend"] = dict(
                zip(("left", "top", "right", "bottom"), case["extend"], strict=True)
            )
        if "point" in case:
            kw["sam"] = {"points": [{"x": 256, "y": 256}]}
        request = EditRequest.model_validate(kw)
        image = open_image(request.image)
        facts = analyze(request, image)
        plan = make_plan(request, facts)
        rows.append(
            (
                case["id"],
                median_ms(lambda r=request: open_image(r.image), 50),
                median_ms(lambda r=request, i=image: analyze(r, i), 50),
                median_ms(lambda r=request, f=facts: make_plan(r, f)),
                median_ms(lambda p=plan: render(p), 50),
            )
        )
    print("| case | decode ms | facts ms | plan ms | render ms |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.3f} | {r[4]:.2f} |")
    plans = [r[3] for r in rows]
    print(
        f"\nplanning (rules -> plan), median over cases: {statistics.median(plans):.3f} ms; "
        f"max {max(plans):.3f} ms (target < 1 ms)"
    )


COLD = """
import json, sys, time
t0 = time.perf_counter()
import retouch.planner.plan, retouch.planner.canvas
from retouch.planner.language.intent import parse
t1 = time.perf_counter()
first = []
for text in sys.argv[1:]:
    t = time.perf_counter()
    parse(text)
    first.append(time.perf_counter() - t)
t2 = time.perf_counter()
for text in sys.argv[1:]:
    parse(text)
t3 = time.perf_counter()
print(json.dumps({"import planner": t1 - t0, "first parses": t2 - t1, "again": t3 - t2}))
"""
COLD_TEXTS = [
    "remove the space shuttle model",
    "make the sky bluer",
    "turn her jacket into red leather and remove the sign",
    "extend to 16:9",
]


def cold(before: Path | None, rounds: int) -> None:
    """Fresh processes: the planner's import and the first parse of COLD_TEXTS, per tree."""
    import os
    import resource
    import subprocess
    from collections import defaultdict

    trees = {"after": None, **({"before": before} if before else {})}
    got: dict[str, dict[str, list[float]]] = {t: defaultdict(list) for t in trees}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for i in range(rounds + 1):  # the first round fills the bytecode caches, untimed
            for name, site in trees.items():
                env["PYTHONPATH"] = str(site) if site else ""
                usage = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-c", COLD, *COLD_TEXTS], env=env, capture_output=True
                )
                wall = time.perf_counter() - t0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                assert done.returncode == 0, done.stderr.decode()[-2000:]
                if i == 0:
                    continue
                for k, v in json.loads(done.stdout).items():
                    got[name][k].append(v)
                got[name]["process (wall)"].append(wall)
                cpu = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
                got[name]["process (CPU)"].append(cpu)
    print(f"cold planner, medians of {rounds} processes, ms; load {os.getloadavg()[0]:.2f}")
    print(f"{'measure':<28}" + "".join(f"{t:>10}" for t in trees))
    for key in got["after"]:
        cells = "".join(f"{1000 * statistics.median(got[t][key]):>10.1f}" for t in trees)
        print(f"{key:<28}{cells}")


if __name__ == "__main__":
    if "--cold" in sys.argv:
        site = Path(sys.argv[sys.argv.index("--before") + 1]) if "--before" in sys.argv else None
        n = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 15
        cold(site, n)
    else:
        main()
