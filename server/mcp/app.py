"""The retouch MCP server: tools, resources, the ``edit-image`` prompt, the skills and tasks
extensions.

    build_server(cfg) -> RetouchServer (an mcp 2.x MCPServer)
    ├── tools       plan_edit, make_mask, run_edit, run_batch, check_edit, render_skill_doc,
    │               list_models, history, revert (run_edit, run_batch and a cold make_mask as
    │               tasks for clients with the Tasks extension: server/mcp/tasks.py)
    │               (schemas: server/mcp/schemas.py, server/history/hooks.py; code and
    │               registration: server/mcp/plan.py, mask.py, edit.py, models.py, history.py)
    ├── resources   retouch://out/<path>.{png,jpg,json,md}: files under the output folder
    │               retouch://version/<id>.png: a history version's image (resources.py)
    │               skill://retouch-editing/...: the Agent Skill (server/mcp/skills.py)
    └── prompt      edit-image: plan -> mask -> edit -> check

Each tool's input schema is its input model's (unknown arguments are refused) and its output schema
its output model's; results carry ``structuredContent`` and, for run_edit/make_mask, small images
and resource links. Errors come back as tool errors whose text is one line naming the problem and
the fix (planner/contract/errors.py); a crash is logged to stderr and reported without its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, ListToolsResult, TextContent
from mcp_types import Tool as MCPTool
from pydantic import BaseModel, ValidationError
from retouch.server.mcp import batch, edit, history, mask, models, plan
from retouch.server.mcp.config import ServerConfig, retouch_version
from retouch.server.mcp.hints import tool_error
from retouch.server.mcp.outline import add_schema_resources
from retouch.server.mcp.resources import add_prompt, add_resources
from retouch.server.mcp.skills import SkillsExtension, legacy_advertisement
from retouch.server.mcp.tasks import TasksExtension
from retouch.server.mcp.toolkit import ToolSpec, model_tools
from retouch.server.mcp.ui import editor

log = logging.getLogger("retouch.mcp")

INSTRUCTIONS = """\
retouch plans, runs and checks image edits (object removal, sky/background replacement, canvas \
extension, region restyle, whole-image instruction edits). Workflow: plan_edit -> (make_mask when \
the plan's mask source is sam-*) -> run_edit -> read its QA report (check_edit re-measures any \
result). Paths must lie under the server's roots. Give run_edit a session (one per conversation) \
and each result becomes a version: edit it next with image '@current' (or '@ID', \
'@current~1') and the same session; history lists the versions as a tree, revert goes back \
(editing an older version starts a branch; nothing is overwritten). run_batch applies one edit to \
a folder. A client with the tasks extension gets run_edit/run_batch (and a cold make_mask) as a \
task: poll tasks/get until completed. The full guide is the skill \
skill://retouch-editing/SKILL.md (resources/read, or the skills extension)."""


def _schema_error(name: str, exc: ValidationError, model: type[BaseModel]) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    if err.get("type") == "extra_forbidden":
        return f"{name} has no argument {where!r}; it takes: {', '.join(model.model_fields)}"
    if err.get("type") == "missing":
        return f"{name}: {where} is required"
    msg = err.get("msg", "invalid value").removeprefix("Value error, ")
    return f"{name}: {where}: {msg}" if where else f"{name}: {msg}"


class RetouchServer(MCPServer):
    """MCPServer whose tool failures read as one actionable line (never a traceback)."""

    input_models: dict[str, type[BaseModel]]

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        from retouch.planner.contract.atomic import undo, undo_on_failure

        with undo_on_failure() as created:  # a failed call leaves no file behind (uploads too)
            result = await self._call_tool(name, arguments, context)
            if getattr(result, "is_error", False):
                undo(created)
        return result

    async def _call_tool(self, name: str, arguments: dict[str, Any], context: Any) -> Any:
        from retouch.planner.contract.errors import RetouchError

        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            crashed = isinstance(exc, UnexpectedToolError)  # raised by our code, not the arguments
            if isinstance(cause, RetouchError):
                text = tool_error(cause, name)
            elif isinstance(cause, ValidationError) and not crashed and name in self.input_models:
                text = _schema_error(name, cause, self.input_models[name])
            elif cause is None:
                text = str(exc)
            else:
                log.error("tool %s crashed", name, exc_info=cause)
                text = (
                    f"internal error in {name} ({type(cause).__name__}); the server's log on "
                    "stderr has the traceback: please report it"
                )
            return CallToolResult(content=[TextContent(text=text)], is_error=True)

    async def _handle_list_tools(self, ctx: Any, params: Any) -> ListToolsResult:
        """Every tool for a client that negotiated MCP Apps; for any other the same tools as
        before the app existed: no app-only tools, no ``_meta.ui`` binding."""
        listed = await super()._handle_list_tools(ctx, params)
        if client_supports_apps(ctx):
            return listed
        tools = [t for t in listed.tools if not editor.app_only(t.meta)]
        return ListToolsResult(tools=[_without_ui(t) for t in tools])


def _without_ui(tool: MCPTool) -> MCPTool:
    meta = {k: v for k, v in (tool.meta or {}).items() if k != "ui"}
    return tool.model_copy(update={"meta": meta or None})


# The tools in tools/list order; each ToolSpec lives with its group's code.
TOOLS: list[ToolSpec] = [
    plan.PLAN_EDIT,
    mask.MAKE_MASK,
    edit.RUN_EDIT,
    batch.RUN_BATCH,
    edit.CHECK_EDIT,
    plan.RENDER_SKILL_DOC,
    models.LIST_MODELS,
    history.HISTORY,
    history.REVERT,
    editor.VIEW_IMAGE,  # app-only: listed to clients that negotiated MCP Apps
    editor.COMMIT_MASK,
]


def build_tools(cfg: ServerConfig) -> list[Tool]:
    """The tools, bound to ``cfg``; make_mask and run_edit show the editor app (ui/editor.py)."""
    return model_tools(TOOLS, cfg, [editor.tool_meta(spec.name) for spec in TOOLS])


class BearerToken:
    """TokenVerifier for one shared secret (``retouch serve --token``), constant-time compare."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def verify_token(self, token: str) -> Any:
        import hmac

        from mcp.server.auth.provider import AccessToken

        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token=token, client_id="retouch-client", scopes=[])
        return None


def build_server(
    cfg: ServerConfig,
    token: str | None = None,
    url: str = "http://127.0.0.1",
    tokens: dict[str, str] | None = None,
) -> RetouchServer:
    """The server. ``token``: require ``Authorization: Bearer <token>`` on HTTP (``url`` is the
    server's own address, named as the token issuer); ``tokens``: {token: principal} from a
    token file instead, each principal's history sessions private to it (mcp/auth.py)."""
    auth: dict[str, Any] = {}
    if token or tokens:
        from mcp.server.auth.settings import AuthSettings
        from retouch.server.mcp.auth import BearerTokens

        auth = {
            "token_verifier": BearerTokens(tokens) if tokens else BearerToken(token or ""),
            "auth": AuthSettings(issuer_url=url, resource_server_url=None),
        }
    tool_list = build_tools(cfg)
    tasks = TasksExtension()  # long calls as tasks for clients that ask (server/mcp/tasks.py)
    app = RetouchServer(
        "retouch",
        title="retouch",
        version=retouch_version(),
        instructions=INSTRUCTIONS,
        tools=tool_list,
        extensions=[SkillsExtension(), editor.apps(), tasks],
        middleware=[legacy_advertisement],
        lifespan=tasks.lifespan,
        log_level="WARNING",
        **auth,
    )
    app.input_models = {t.name: t.fn_metadata.arg_model for t in tool_list}
    add_resources(app, cfg)
    add_schema_resources(app)
    add_prompt(app)
    return app
