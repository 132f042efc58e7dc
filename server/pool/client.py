"""The front's side of the pool (``retouch serve --pool``): ``PoolClient.run_edit`` and
``make_mask`` turn a tool's inputs into a job, send it through a ``DeploymentHandle`` and turn the
answer back into what the local worker returns; the front writes files and records history.

A job keeps its id across retries: when the replica running it dies (Ray replaces it), the job is
sent again, up to ``retries`` times, and only the one answer that arrives is used, so a session
gets exactly one version. Progress items stream back per step; cancelling the tool call cancels
the request, which stops the replica's job between steps.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from PIL import Image
from retouch.planner.contract import errors
from retouch.planner.contract.errors import ExecutorError
from retouch.planner.contract.schema import EditPlan, SamPrompt
from retouch.server.pool.config import PoolConfig
from retouch.server.pool.jobs import (
    EditJob,
    MaskJob,
    image_bytes,
    mask_bytes,
    unpack_edit,
    unpack_mask,
)
from retouch.server.pool.ops import connect

log = logging.getLogger("retouch.pool")
Progress = Callable[[int, int], Awaitable[None]] | None


def _error(name: str, message: str) -> Exception:
    """The replica's RetouchError (or JobCancelled) again, by class name."""
    from retouch.server.edits.job import JobCancelled

    if name == "JobCancelled":
        return JobCancelled(message)
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, errors.RetouchError):
        return cls(message)
    return ExecutorError(message)


class PoolClient:
    """Sends jobs to the pool application ``app`` on the Ray cluster at ``address``."""

    def __init__(self, address: str, app: str = "retouch", retries: int | None = None) -> None:
        self.address, self.app = address, app
        self.retries = PoolConfig().retries if retries is None else retries
        self.attempts: dict[str, int] = {}  # job id -> sends (tests and logs read it)
        self._handles: dict[str, Any] = {}

    def handle(self, deployment: str) -> Any:
        if deployment not in self._handles:
            connect(self.address)
            from ray import serve

            self._handles[deployment] = serve.get_deployment_handle(deployment, app_name=self.app)
        return self._handles[deployment]

    async def run_edit(
        self,
        plan: EditPlan,
        image: Image.Image,
        mask: np.ndarray | None,
        control: Image.Image | None,
        executor: str,
        on_progress: Progress = None,
    ) -> tuple[Any, Any]:
        """(RunOutput, QA report) of ``plan`` run on a replica, as the local worker's job."""
        job = EditJob(
            job_id=uuid.uuid4().hex,
            plan=plan.model_dump_json(),
            image=image_bytes(image),
            mask=mask_bytes(mask),
            control=image_bytes(control) if control is not None else None,
            executor=executor,
        )
        opts = {"multiplexed_model_id": job.model_id} if job.model_id else {}
        result = await self._send("Executor", "edit", job, opts, on_progress)
        return unpack_edit(result)

    async def make_mask(
        self, image: Image.Image, prompt: SamPrompt, knobs: dict[str, Any]
    ) -> tuple[np.ndarray, Any]:
        """(bool (H, W) mask, the segmentation) from the Segmenter, as ``find_mask`` returns."""
        job = MaskJob(job_id=uuid.uuid4().hex, image=image_bytes(image), prompt=prompt, **knobs)
        return unpack_mask(await self._send("Segmenter", "mask", job, {}, None))

    async def _send(
        self, deployment: str, method: str, job: Any, opts: dict, on_progress: Progress
    ) -> Any:
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

        handle = self.handle(deployment).options(stream=True, **opts)
        lost: Exception | None = None
        for attempt in range(1, self.retries + 2):
            self.attempts[job.job_id] = attempt
            stream = getattr(handle, method).remote(job)
            try:
                async for item in stream:
                    if item[0] == "progress" and on_progress is not None:
                        await on_progress(item[1], item[2])
                    elif item[0] == "error":
                        raise _error(item[1], item[2])
                    elif item[0] == "result":
                        return item[1]
                raise ExecutorError(
                    f"the pool's {deployment} ended job {job.job_id} with no result"
                )
            except (ActorDiedError, ActorUnavailableError, RayActorError) as exc:
                lost = exc
                log.warning("pool: the replica running job %s died; sending it again", job.job_id)
            except BaseException:
                stream.cancel()  # the tool call was cancelled (or failed): stop the replica's job
                raise
        first = str(lost).strip().splitlines()[0] if lost else "no answer"
        raise ExecutorError(
            f"the pool lost the replica running this job {self.retries + 1} times ({first}); "
            "check `retouch pool status` and the Ray logs, then run the edit again"
        )
