"""MCP server benchmark (run by hand: ``.venv/bin/python tests/bench/bench_mcp.py``).

Measures, side by side on this machine:
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
    from retouch.planner.imageio import open_image, read_mask
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
    from retouch.executors.testing import save_sd
    from retouch.server.mcp.app import build_server
    from retouch.server.mcp.config import ServerConfig

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


if __name__ == "__main__":
    anyio.run(main)
