"""The MCP Tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663) on the server.

A client that lists the extension in a request's per-request capabilities (2026-07-28) may get,
for ``tools/call``, a ``CreateTaskResult`` instead of the tool's result; it polls ``tasks/get``
until the task is ``completed`` (the CallToolResult inline), ``failed`` or ``cancelled``:

    tools/call run_edit  -> {resultType: "task", taskId, status: "working", ttlMs, pollIntervalMs}
    tasks/get {taskId}   -> {status: "working", statusMessage: "run_edit: denoising step 12/30"}
    tasks/get {taskId}   -> {status: "completed", result: {content, structuredContent, ...}}
    tasks/cancel {taskId} -> {} and the run stops between steps (status "cancelled")

Which calls become tasks is ``TASK_TOOLS``: run_edit and run_batch always, make_mask while no
segmentation model is loaded in this process (the first one loads it). Every other call, and
every call of a client without the extension, is answered as before.

The task runs the very coroutine the synchronous call runs (the rest of the ``tools/call`` chain,
``call_next``), in a task group that lives as long as the server's lifespan; only the request's
session is swapped for one whose ``report_progress`` updates the task's status message. So the
result is the synchronous call's, and cancelling cancels that coroutine: the GPU worker's cancel
event is set and the executors stop between steps, as when a request is cancelled (a run_edit
stopped there has written no file and recorded no version; a pool replica stops its job too).

Tasks are scoped to the client that made them: the server's lifespan (an in-process client, or
the process over stdio) plus, over HTTP, the bearer token's principal and the client's
``Mcp-Session-Id`` header when it sends one. A task of another scope, an expired one, and one a
restarted server never made are all answered the same: -32602 "unknown task". Task state lives in
memory; the files a run writes live in the output folder as usual.

May import mcp and anyio; never the edit code (the tools stay unaware of tasks).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.abc
from mcp.server.extension import Extension, MethodBinding
from mcp.server.request_state import authenticated_principal
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolRequestParams, RequestParams
from mcp_types import methods as surface
from mcp_types.jsonrpc import MISSING_REQUIRED_CLIENT_CAPABILITY
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
KEEP_MS = 3_600_000  # a finished task's result is kept this long after it ends
POLL_MS = 1_000  # a diffusion step takes about this long on a GPU
TERMINAL = ("completed", "failed", "cancelled")
LAST_STEP = re.compile(r"step (\d+)/\1$")
# make_mask becomes a task only when its model must load: these modules keep loaded segmenters.
SEGMENTER_CACHES = (
    "retouch.executors.segment.sam",
    "retouch.executors.segment.sam2",
    "retouch.executors.segment.sam3",
)


def segmenter_warm() -> bool:
    """Whether a segmentation model is already loaded in this process (its LRU holds one)."""
    for name in SEGMENTER_CACHES:
        cache = getattr(sys.modules.get(name), "_MODELS", None)
        if cache is not None and len(getattr(cache, "_items", cache)):
            return True
    return False


# tool name -> does this call become a task (for a client with the extension)
TASK_TOOLS = {
    "run_edit": lambda: True,
    "run_batch": lambda: True,
    "make_mask": lambda: not segmenter_warm(),
}


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclasses.dataclass
class Task:
    """One task: its state as ``tasks/get`` reports it, and the scope that runs it."""

    task_id: str
    owner: str
    tool: str
    keep_ms: int
    poll_ms: int
    status: str = "working"
    message: str = ""
    created: float = dataclasses.field(default_factory=time.time)
    updated: float = dataclasses.field(default_factory=time.time)
    ended: float | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    scope: anyio.CancelScope = dataclasses.field(default_factory=anyio.CancelScope)

    def ttl_ms(self) -> int:
        """From creation: until the task ends and KEEP_MS more (so it grows while it runs)."""
        end = self.ended if self.ended is not None else time.time()
        return int((end - self.created) * 1000) + self.keep_ms

    def expired(self, now: float) -> bool:
        return self.ended is not None and now > self.ended + self.keep_ms / 1000

    def set(self, status: str, message: str, **payload: Any) -> None:
        if self.status in TERMINAL:
            return
        self.status, self.message, self.updated = status, message, time.time()
        if status in TERMINAL:
            self.ended = self.updated
        for key, value in payload.items():
            setattr(self, key, value)

    def wire(self) -> dict[str, Any]:
        """The Task object (a DetailedTask: result or error inlined once the task has ended)."""
        out: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "statusMessage": self.message,
            "createdAt": _iso(self.created),
            "lastUpdatedAt": _iso(self.updated),
            "ttlMs": self.ttl_ms(),
            "pollIntervalMs": self.poll_ms,
        }
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


class _ProgressToStatus:
    """The request's session, except that progress becomes the task's status message."""

    def __init__(self, session: Any, task: Task) -> None:
        self._session = session
        self._task = task

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        said = message or (f"{progress:g}/{total:g}" if total else f"{progress:g}")
        if LAST_STEP.search(said):  # "denoising step 30/30": QA and the files come next
            said += "; then the QA check and the files"
        self._task.set("working", f"{self._task.tool}: {said}")


@dataclasses.dataclass
class Lane:
    """What the server's lifespan yields: the task group tasks run in, and a scope id."""

    group: anyio.abc.TaskGroup
    scope_id: str = dataclasses.field(default_factory=lambda: secrets.token_hex(8))


class TaskParams(RequestParams):
    task_id: str


class UpdateTaskParams(TaskParams):
    input_responses: dict[str, Any] | None = None


def _unknown(task_id: str) -> MCPError:
    return MCPError(
        code=INVALID_PARAMS,
        message=f"unknown task {task_id}: it expired, belongs to another client, or this server "
        "was restarted since; call the tool again",
    )


def wire_result(version: str, result: Any) -> dict[str, Any]:
    """The tools/call result as the synchronous reply carries it: dumped as the SDK's runner
    dumps a handler's result, then shaped by the protocol version's result schema."""
    data = (
        dict(result)
        if isinstance(result, dict)
        else result.model_dump(by_alias=True, mode="json", exclude_none=True)
    )
    return surface.serialize_server_result("tools/call", version, data)


def client_has_tasks(ctx: Any) -> bool:
    """Whether this request (2026-07-28) lists the extension in its client capabilities."""
    if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return False
    caps = ctx.session.client_capabilities
    return bool(caps is not None and caps.extensions and TASKS_EXTENSION in caps.extensions)


def owner_of(ctx: Any) -> str:
    """The scope a task belongs to: the lifespan, and over HTTP the principal and session."""
    lane = ctx.lifespan_context
    parts = [getattr(lane, "scope_id", "process")]
    headers = getattr(ctx.request, "headers", None)
    if headers is not None:
        parts += [str(authenticated_principal(ctx)), headers.get("mcp-session-id") or "-"]
    return "|".join(parts)


class TasksExtension(Extension):
    """Answers task-worthy ``tools/call``s of clients with the extension as tasks; serves
    ``tasks/get``, ``tasks/update`` and ``tasks/cancel``. ``lifespan`` must be the server's."""

    identifier = TASKS_EXTENSION

    def __init__(self, keep_ms: int = KEEP_MS, poll_ms: int = POLL_MS) -> None:
        self.keep_ms = keep_ms
        self.poll_ms = poll_ms
        self.tasks: dict[str, Task] = {}

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[Lane]:
        """The server's lifespan: a task group the tasks run in, cancelled when it ends."""
        async with anyio.create_task_group() as group:
            yield Lane(group)
            group.cancel_scope.cancel()

    def methods(self) -> Sequence[MethodBinding]:
        versions = frozenset(MODERN_PROTOCOL_VERSIONS)
        return (
            MethodBinding("tasks/get", TaskParams, self._get, versions),
            MethodBinding("tasks/update", UpdateTaskParams, self._update, versions),
            MethodBinding("tasks/cancel", TaskParams, self._cancel, versions),
        )

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: Any, call_next: Any
    ) -> Any:
        wants = TASK_TOOLS.get(params.name)
        lane = ctx.lifespan_context
        if wants is None or not isinstance(lane, Lane) or not client_has_tasks(ctx) or not wants():
            return await call_next(ctx)
        self._purge()
        task = Task(
            task_id=secrets.token_urlsafe(16),  # unguessable: 128 random bits
            owner=owner_of(ctx),
            tool=params.name,
            keep_ms=self.keep_ms,
            poll_ms=self.poll_ms,
            message=f"{params.name}: started (a model not loaded yet loads first)",
        )
        self.tasks[task.task_id] = task  # durable before the reply: tasks/get finds it now
        task_ctx = dataclasses.replace(ctx, session=_ProgressToStatus(ctx.session, task))
        lane.group.start_soon(self._run, task, call_next, task_ctx)
        return {"resultType": "task", **task.wire()}

    async def _run(self, task: Task, call_next: Any, ctx: Any) -> None:
        """Run the tool's own coroutine; its result (or error) becomes the task's."""
        with task.scope as scope:  # a cancel that came before the run started still counts
            try:
                result = await call_next(ctx)
            except MCPError as exc:
                error = exc.error.model_dump(by_alias=True, mode="json", exclude_none=True)
                task.set("failed", f"{task.tool} failed: {exc.error.message}", error=error)
                return
            except Exception as exc:  # noqa: BLE001 - reported as the task's JSON-RPC error
                error = {"code": INTERNAL_ERROR, "message": f"{type(exc).__name__} in {task.tool}"}
                task.set("failed", f"{task.tool} failed: {error['message']}", error=error)
                return
            wire = wire_result(ctx.protocol_version, result)
            done = "finished with an error" if wire.get("isError") else "finished"
            task.set("completed", f"{task.tool} {done}", result=wire)
        if scope.cancelled_caught:
            task.set("cancelled", f"{task.tool} cancelled; it stopped between steps")

    def _find(self, ctx: Any, task_id: str) -> Task:
        if not client_has_tasks(ctx):
            raise MCPError(
                code=MISSING_REQUIRED_CLIENT_CAPABILITY,
                message="Missing required client capability",
                data={"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}},
            )
        self._purge()
        task = self.tasks.get(task_id)
        if task is None or not secrets.compare_digest(task.owner, owner_of(ctx)):
            raise _unknown(task_id)
        return task

    def _purge(self) -> None:
        now = time.time()
        for task_id in [k for k, t in self.tasks.items() if t.expired(now)]:
            del self.tasks[task_id]

    async def _get(self, ctx: Any, params: TaskParams) -> dict[str, Any]:
        return self._find(ctx, params.task_id).wire()

    async def _update(self, ctx: Any, params: UpdateTaskParams) -> dict[str, Any]:
        self._find(ctx, params.task_id)  # no task of this server ever asks for input
        return {}

    async def _cancel(self, ctx: Any, params: TaskParams) -> dict[str, Any]:
        task = self._find(ctx, params.task_id)
        if task.status not in TERMINAL:
            task.scope.cancel()
        return {}
