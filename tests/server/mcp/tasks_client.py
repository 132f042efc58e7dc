"""A client half of the Tasks extension for tests: advertises ``io.modelcontextprotocol/tasks`` and
claims ``resultType: "task"``, polling ``tasks/get`` until the task ends (the SDK's ResultClaim)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import anyio
from mcp import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, ErrorData, Request, Result
from pydantic import TypeAdapter
from retouch.server.mcp.tasks import TASKS_EXTENSION


class CreateTaskResult(Result):
    result_type: Literal["task"] = "task"
    task_id: str
    status: str
    status_message: str | None = None
    created_at: str
    last_updated_at: str
    ttl_ms: int | None
    poll_interval_ms: int | None = None


async def ask(session: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    request = Request[dict[str, Any] | None, str](method=method, params=params)
    return await session.send_request(request, TypeAdapter(dict[str, Any]))


class TasksClient(ClientExtension):
    """Polls every task to its end; ``created`` and ``seen`` record what came back.
    ``on_poll(task, session)`` runs after each poll (a test cancels from there)."""

    identifier = TASKS_EXTENSION

    def __init__(
        self, on_poll: Callable[[dict[str, Any], Any], Awaitable[None]] | None = None
    ) -> None:
        self.created: list[CreateTaskResult] = []
        self.seen: list[dict[str, Any]] = []
        self.on_poll = on_poll

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreateTaskResult, resolve=self._resolve)]

    async def _resolve(self, created: CreateTaskResult, ctx: ClaimContext) -> CallToolResult:
        self.created.append(created)
        while True:
            task = await ask(ctx.session, "tasks/get", {"taskId": created.task_id})
            self.seen.append(task)
            if self.on_poll is not None:
                await self.on_poll(task, ctx.session)
            if task["status"] == "completed":
                return CallToolResult.model_validate(task["result"])
            if task["status"] == "failed":
                raise MCPError.from_error_data(ErrorData.model_validate(task["error"]))
            if task["status"] == "cancelled":
                return CallToolResult(content=[], is_error=True, _meta={"cancelled": True})
            await anyio.sleep(0.02)  # tests poll fast; a real client honours pollIntervalMs


def tasks_client(server: Any, ext: TasksClient) -> Client:
    return Client(server, extensions=[ext])
