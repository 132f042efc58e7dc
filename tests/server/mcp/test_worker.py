"""The GPU worker: one thread for all jobs, FIFO, progress to the loop, cancelling between steps."""

from __future__ import annotations

import threading

import anyio
import pytest
from retouch.server.mcp.worker import GpuWorker, JobCancelled

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def worker():  # type: ignore[no-untyped-def]
    w = GpuWorker("test-gpu")
    yield w
    w.stop()


async def test_every_job_runs_on_the_same_dedicated_thread(worker: GpuWorker) -> None:
    def whoami(cancel: threading.Event, progress: object) -> int:
        return threading.get_ident()

    idents = [await worker.run(whoami) for _ in range(3)]
    assert len(set(idents)) == 1
    assert idents[0] != threading.get_ident()
    assert idents[0] == worker.thread_id


async def test_concurrent_jobs_run_one_at_a_time_in_order(worker: GpuWorker) -> None:
    order: list[str] = []
    running = threading.Semaphore(1)

    def job(name: str):  # type: ignore[no-untyped-def]
        def fn(cancel: threading.Event, progress: object) -> str:
            assert running.acquire(blocking=False), "two jobs ran at once"
            order.append(name)
            threading.Event().wait(0.02)
            running.release()
            return name

        return fn

    results: dict[str, str] = {}

    async def call(name: str) -> None:
        results[name] = await worker.run(job(name))

    async with anyio.create_task_group() as tg:
        for name in "abcd":
            tg.start_soon(call, name)
            await anyio.sleep(0.001)
    assert results == {n: n for n in "abcd"}
    assert order == list("abcd")


async def test_progress_reaches_the_loop_in_order(worker: GpuWorker) -> None:
    seen: list[tuple[int, int, int]] = []

    def job(cancel: threading.Event, progress) -> str:  # type: ignore[no-untyped-def]
        for i in range(1, 6):
            progress(i, 5)
        return "ok"

    async def on_progress(step: int, total: int) -> None:
        seen.append((step, total, threading.get_ident()))

    assert await worker.run(job, on_progress=on_progress) == "ok"
    assert [(s, t) for s, t, _ in seen] == [(i, 5) for i in range(1, 6)]
    assert {ident for *_, ident in seen} == {threading.get_ident()}  # sent from the loop thread


async def test_no_progress_callback_means_the_job_gets_none(worker: GpuWorker) -> None:
    def job(cancel: threading.Event, progress: object) -> object:
        return progress

    assert await worker.run(job) is None


async def test_job_errors_propagate_to_the_caller(worker: GpuWorker) -> None:
    def job(cancel: threading.Event, progress: object) -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        await worker.run(job)
    assert await worker.run(lambda c, p: 7) == 7  # the worker survives


async def test_cancelling_the_request_stops_the_job_between_steps(worker: GpuWorker) -> None:
    steps: list[int] = []
    stopped = threading.Event()

    def job(cancel: threading.Event, progress) -> None:  # type: ignore[no-untyped-def]
        for i in range(1, 1000):
            if cancel.is_set():
                stopped.set()
                raise JobCancelled("cancelled")
            steps.append(i)
            progress(i, 999)
            cancel.wait(0.01)

    async def on_progress(step: int, total: int) -> None:
        if step == 3:
            scope.cancel()

    with anyio.CancelScope() as scope:
        await worker.run(job, on_progress=on_progress)
    assert scope.cancelled_caught
    assert await anyio.to_thread.run_sync(stopped.wait, 5)
    assert len(steps) < 50


async def test_a_job_cancelled_while_queued_never_starts(worker: GpuWorker) -> None:
    release = threading.Event()
    ran: list[str] = []

    def blocker(cancel: threading.Event, progress: object) -> None:
        release.wait(5)

    def queued(cancel: threading.Event, progress: object) -> None:
        ran.append("queued")

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run, blocker)
        await anyio.sleep(0.05)
        with anyio.move_on_after(0.05):
            await worker.run(queued)
        release.set()
    assert await worker.run(lambda c, p: "after") == "after"
    assert ran == []
