"""The Ray Serve pool against the local worker, side by side in one run on tiny models. By hand:

    .venv/bin/python tests/bench/bench_pool.py [--repeats 10] [--jobs 8] [--steps 2]

It re-runs itself inside a network namespace with only loopback (``unshare -n``, as root): Ray
never talks to another address. Reports (1) the time one edit adds through the pool (job to bytes,
DeploymentHandle round trip, result back to images) against the same edit on the local GpuWorker
(target: under 50 ms), medians of alternating runs after a warm-up, and (2) throughput of
``--jobs`` concurrent edits with 1 and with 2 Executor replicas (each replica 1 CPU; the machine
has 2 cores). Tiny random SD inpaint (built in-process), 64 px astronaut, ``--steps`` steps.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.server.pool.support import in_loopback_namespace, loopback_only  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--steps", type=int, default=2)
    args = ap.parse_args()
    if not loopback_only():
        run = in_loopback_namespace([sys.executable, *sys.argv], timeout=1800)
        print(run.stdout, end="")
        if run.returncode:
            print(run.stderr[-4000:], file=sys.stderr)
        sys.exit(run.returncode)
    asyncio.run(bench(args))


async def bench(args: argparse.Namespace) -> None:
    import torch
    from retouch.server.edits.job import EditJob
    from retouch.server.edits.sequence import attempt
    from retouch.server.mcp.worker import GpuWorker
    from retouch.server.pool import ops
    from retouch.server.pool.client import PoolClient
    from retouch.server.pool.config import PoolConfig

    from tests.executors.exec_support import box_mask, photo, tiny_plan
    from tests.support.tiny_models import save_sd

    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="retouch-bench-pool-"))
    model = save_sd(tmp / "sd-inpaint", "inpaint")
    image = photo(64)
    mask = box_mask(image.size, (24, 8, 56, 40))
    plan = tiny_plan(tmp, "replace the sky with a sunset", mask=mask, steps=args.steps, crop=False)
    plan = plan.model_copy(update={"model": plan.model.model_copy(update={"id": str(model)})})
    worker = GpuWorker()
    job = EditJob(plan=plan, image=image, mask=mask)

    async def local() -> None:
        await worker.run(lambda c, p: attempt(plan, job, None, threading.Event()))

    ops.connect("local", num_cpus=2)
    client = PoolClient("local")

    async def pooled() -> None:
        await client.run_edit(plan, image, mask, None, "auto")

    def deploy(n: int) -> None:
        cfg = {"min_replicas": n, "max_replicas": n, "num_gpus": 0, "num_cpus": 1}
        ops.deploy(PoolConfig.model_validate({"executor": cfg, "segmenter": {"num_cpus": 0}}))

    # 1. overhead per job: alternate local and pool, 1 replica, after a warm-up each
    deploy(1)
    await local(), await pooled()
    t_local, t_pool = [], []
    for _ in range(args.repeats):
        for fn, out in ((local, t_local), (pooled, t_pool)):
            t0 = time.perf_counter()
            await fn()
            out.append(time.perf_counter() - t0)
    ml, mp = statistics.median(t_local), statistics.median(t_pool)
    print(f"one edit ({args.steps} steps, 64 px), median of {args.repeats}:")
    print(f"  local worker {ml * 1000:7.1f} ms")
    print(f"  pool         {mp * 1000:7.1f} ms  (+{(mp - ml) * 1000:.1f} ms per job; target < 50)")

    # 2. throughput: --jobs concurrent edits, 1 then 2 replicas (and the local worker)
    async def batch(fn) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        await asyncio.gather(*(fn() for _ in range(args.jobs)))
        return args.jobs / (time.perf_counter() - t0)

    rates = {"local worker": await batch(local), "pool, 1 replica": await batch(pooled)}
    deploy(2)
    await asyncio.gather(pooled(), pooled())  # both replicas load the model
    rates["pool, 2 replicas"] = await batch(pooled)
    print(f"throughput, {args.jobs} concurrent edits on {os.cpu_count()} cores:")
    for name, rate in rates.items():
        print(f"  {name:17} {rate:6.2f} edits/s")
    ops.stop("retouch")


if __name__ == "__main__":
    main()
