"""One dedicated worker thread for everything that touches the GPU, behind one FIFO queue.

CUDA state (the current device, streams, cached pipelines) is thread-affine, and the MCP SDK runs
plain ``def`` tools on a pool of threads; so models are loaded and run only here, one job at a
time, and stay warm between jobs. Each job carries a ``threading.Event``: the async side sets it
when the MCP request is cancelled, a job still queued is dropped, and a running job sees it between
diffusion steps (the executors check it) and stops with ``JobCancelled``.

Progress from the worker thread reaches the event loop through an anyio memory stream, so the tool
can send ``notifications/progress`` from the loop (never from the worker thread).
"""

from __future__ import annotations

import concurrent.futures
import logging
import math
import queue
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from retouch.server.edits.job import JobCancelled  # noqa: F401  (raised here; tools catch it)

T = TypeVar("T")
ProgressFn = Callable[[int, int], None]
JobFn = Callable[[threading.Event, ProgressFn | None], Any]

log = logging.getLogger("retouch.worker")


@dataclass
class Job:
    fn: JobFn
    progress: ProgressFn | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    future: concurrent.futures.Future[Any] = field(default_factory=concurrent.futures.Future)


class GpuWorker:
    """A single daemon thread that runs jobs in submission order. Started on the first job."""

    def __init__(self, name: str = "retouch-gpu") -> None:
        self.name = name
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.thread_id: int | None = None  # ident of the worker thread once started (tests read it)

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        self.thread_id = threading.get_ident()
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancel.is_set():
                job.future.set_exception(JobCancelled("cancelled before it started"))
                continue
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                result = job.fn(job.cancel, job.progress)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)

    def submit(self, job: Job) -> Job:
        """Queue a job; callbacks on ``job.future`` must be attached before this call."""
        self._ensure_started()
        self._queue.put(job)
        return job

    def stop(self) -> None:
        """Let the thread finish its queue and exit (tests; the process exit also ends it)."""
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=30)
                self._thread = None

    async def run(
        self, fn: JobFn, *, on_progress: Callable[[int, int], Awaitable[None]] | None = None
    ) -> Any:
        """Run ``fn(cancel, progress)`` on the worker and await its result from the event loop.

        ``on_progress(step, total)`` is awaited on the loop for every progress report; without it
        ``fn`` receives ``progress=None``. If the awaiting task is cancelled, the job's cancel
        event is set (the job stops at its next check) and the cancellation propagates.
        """
        token = anyio.lowlevel.current_token()
        send, receive = anyio.create_memory_object_stream[tuple[Any, ...]](math.inf)

        def post(item: tuple[Any, ...]) -> None:  # called on the worker thread
            try:
                anyio.from_thread.run_sync(send.send_nowait, item, token=token)
            except Exception:  # noqa: BLE001 - the loop is gone or the request was abandoned
                log.debug("dropped a worker message: the request is no longer waiting")

        progress: ProgressFn | None = None
        if on_progress is not None:

            def progress(step: int, total: int) -> None:
                post(("progress", step, total))

        job = Job(fn=fn, progress=progress)
        job.future.add_done_callback(lambda _f: post(("done",)))
        self.submit(job)
        try:
            async with receive:
                async for item in receive:
                    if item[0] == "done":
                        break
                    if on_progress is not None:
                        await on_progress(item[1], item[2])
        except BaseException:
            job.cancel.set()
            raise
        finally:
            send.close()
        return job.future.result()


_WORKER: GpuWorker | None = None
_WORKER_LOCK = threading.Lock()


def gpu_worker() -> GpuWorker:
    """The process-wide GPU worker (one per process, so CUDA state lives on one thread)."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = GpuWorker()
        return _WORKER
