"""The Ray Serve deployments: ``Executor`` (edits + QA, model families multiplexed LRU per
replica) and ``Segmenter`` (SAM masks), plus ``PoolState``, a small named actor the replicas
report to so ``retouch pool status`` can show what each holds. Built by ``build_app(config)``.

A replica runs its jobs on one thread (CUDA state is thread-affine, as in the local worker) and
streams ``("progress", step, total)`` items, then ``("result", EditResult or MaskAnswer as a
plain dict)`` or
``("error", class name, message)``; a cancelled request sets the job's cancel event, so the
executors stop between diffusion steps.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from retouch.server.pool.config import PoolConfig
from retouch.server.pool.jobs import EditJob, EditResult, MaskJob, run_edit_job, run_mask_job

STATE_ACTOR = "retouch-pool-state"
NAMESPACE = "retouch"
DONE_KEPT = 32  # finished results a replica keeps by job id, for a retry that lands on it again


def _gpu_memory() -> dict[str, int] | None:
    """Bytes used and total on this replica's GPU, if torch is loaded and sees one."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    free, total = torch.cuda.mem_get_info()
    return {"used": total - free, "total": total}


class _Held:
    """One multiplexed model family on a replica; Serve drops it (and calls ``__del__``) on LRU
    eviction. The pipeline itself lives in the executors' per-process cache, sized to match."""

    def __init__(self, model_id: str, owner: Any) -> None:
        self.model_id, self.owner = model_id, owner

    def __del__(self) -> None:
        if self.model_id in self.owner.held:
            self.owner.held.remove(self.model_id)


class _Replica:
    """What both deployments share: one job thread, the done-by-id cache, state reports."""

    kind = "replica"

    def __init__(self) -> None:
        from ray import serve

        self.replica = serve.get_replica_context().replica_id.unique_id
        self.thread = ThreadPoolExecutor(1, thread_name_prefix=f"retouch-{self.kind}")
        self.done: OrderedDict[str, Any] = OrderedDict()
        self.held: list[str] = []
        self.loads: dict[str, int] = {}
        self.ongoing = 0
        self.jobs = 0

    def state(self) -> dict[str, Any]:
        return {
            "replica": self.replica,
            "kind": self.kind,
            "pid": os.getpid(),
            "models": list(self.held),
            "loads": dict(self.loads),
            "ongoing": self.ongoing,
            "jobs": self.jobs,
            "gpu_memory": _gpu_memory(),
            "seen": time.time(),
        }

    def report(self) -> None:
        import ray

        try:
            ray.get_actor(STATE_ACTOR, namespace=NAMESPACE).report.remote(self.state())
        except ValueError:  # no state actor (an app deployed by hand): nothing to report to
            pass

    def check_health(self) -> None:  # Serve calls this every health_check_period_s
        self.report()

    async def _stream(self, job_id: str, fn: Any) -> AsyncIterator[tuple[Any, ...]]:
        """Run ``fn(progress, cancel)`` on the job thread; yield its progress, then its end."""
        from retouch.planner.contract.errors import RetouchError
        from retouch.server.edits.job import JobCancelled

        if job_id in self.done:  # a retry of a job this replica already finished
            yield ("result", self.done[job_id])
            return
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        cancel = threading.Event()

        def progress(step: int, total: int) -> None:  # on the job thread
            loop.call_soon_threadsafe(queue.put_nowait, ("progress", step, total))

        self.ongoing += 1
        self.report()
        future = loop.run_in_executor(self.thread, fn, progress, cancel)
        future.add_done_callback(lambda _f: queue.put_nowait(("done",)))
        try:
            while (item := await queue.get())[0] != "done":
                yield item
            try:
                result = future.result()
            except (RetouchError, JobCancelled) as exc:
                yield ("error", type(exc).__name__, str(exc))
                return
            if isinstance(result, EditResult):
                result.replica = self.replica
            result = result.model_dump()  # plain data: the front validates it, unpickles no class
            self.done[job_id] = result
            while len(self.done) > DONE_KEPT:
                self.done.popitem(last=False)
            self.jobs += 1
            yield ("result", result)
        except (asyncio.CancelledError, GeneratorExit):
            cancel.set()  # the front cancelled: stop between steps
            raise
        finally:
            self.ongoing -= 1
            self.report()


def build_app(cfg: PoolConfig) -> Any:
    """The Ray Serve application: an Executor and a Segmenter deployment (needs the ray extra)."""
    from ray import serve

    class Front:
        """The application's ingress: holds the two deployments' handles (never called)."""

        def __init__(self, executor: Any, segmenter: Any) -> None:
            self.executor, self.segmenter = executor, segmenter

    ingress = serve.deployment(name="Pool", num_replicas=1, ray_actor_options={"num_cpus": 0})(
        Front
    )
    return ingress.bind(_executor(cfg).bind(), _segmenter(cfg).bind())


def _executor(cfg: PoolConfig) -> Any:
    """The Executor deployment: edits, the plan's model multiplexed per replica."""
    from ray import serve

    ex = cfg.executor
    models = ex.models_per_replica

    @serve.deployment(
        name="Executor",
        ray_actor_options={"num_gpus": ex.num_gpus, "num_cpus": ex.num_cpus},
        autoscaling_config={
            "min_replicas": ex.min_replicas,
            "max_replicas": ex.max_replicas,
            "target_ongoing_requests": ex.target_ongoing_requests,
        },
        max_ongoing_requests=max(2, int(ex.target_ongoing_requests * 2)),
        health_check_period_s=2,
    )
    class Executor(_Replica):
        kind = "executor"

        def __init__(self) -> None:
            os.environ["RETOUCH_PIPELINE_CACHE"] = str(models)  # the executors' LRU, same size
            super().__init__()

        @serve.multiplexed(max_num_models_per_replica=models)
        async def model(self, model_id: str) -> _Held:
            self.loads[model_id] = self.loads.get(model_id, 0) + 1
            self.held.append(model_id)
            return _Held(model_id, self)

        async def edit(self, job: EditJob) -> AsyncIterator[tuple[Any, ...]]:
            model_id = serve.get_multiplexed_model_id()
            if model_id:
                await self.model(model_id)
            async for item in self._stream(job.job_id, lambda p, c: run_edit_job(job, p, c)):
                yield item

        def info(self) -> dict[str, Any]:
            return self.state()

    return Executor


def _segmenter(cfg: PoolConfig) -> Any:
    """The Segmenter deployment: make_mask's segmentations."""
    from ray import serve

    @serve.deployment(
        name="Segmenter",
        num_replicas=cfg.segmenter.replicas,
        ray_actor_options={"num_gpus": cfg.segmenter.num_gpus, "num_cpus": cfg.segmenter.num_cpus},
        health_check_period_s=2,
    )
    class Segmenter(_Replica):
        kind = "segmenter"

        async def mask(self, job: MaskJob) -> AsyncIterator[tuple[Any, ...]]:
            async for item in self._stream(job.job_id, lambda p, c: run_mask_job(job)):
                yield item

    return Segmenter


class PoolState:
    """The replicas' latest reports, by replica id (a named, detached Ray actor)."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}

    def report(self, state: dict[str, Any]) -> None:
        self.states[state["replica"]] = state

    def all(self) -> list[dict[str, Any]]:
        return list(self.states.values())
