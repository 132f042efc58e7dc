"""The retouch MCP server: tools, resources, the ``edit-image`` prompt and the skills extension.

    build_server(cfg) -> RetouchServer (an mcp 2.x MCPServer)
    ├── tools       plan_edit, make_mask, run_edit, check_edit, render_skill_doc, list_models,
    │               history, revert
    │               (schemas: server/tools.py, server/history_hooks.py; code: server/tool_plan.py,
    │               tool_edit.py, tool_models.py, tool_history.py)
    ├── resources   retouch://out/<path>.{png,jpg,json,md}: files under the output folder
    │               retouch://version/<id>.png: a history version's image (mcp_resources.py)
    │               skill://retouch-editing/...: the Agent Skill (server/skills_ext.py)
    └── prompt      edit-image: plan -> mask -> edit -> check

Each tool's input schema is its input model's (unknown arguments are refused) and its output schema
its output model's; results carry ``structuredContent`` and, for run_edit/make_mask, small images
and resource links. Errors come back as tool errors whose text is one line naming the problem and
the fix (planner/errors.py); a crash is logged to stderr and reported without its traceback.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import (
    CallToolResult,
    ImageContent,
    ResourceLink,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, ValidationError, create_model

from server import tool_edit, tool_history, tool_models, tool_plan, tools
from server.history import HistoryTree, format_tree
from server.history_hooks import HistoryInput, RevertInput, RevertOutput
from server.mcp_resources import add_prompt, add_resources
from server.skills_ext import SkillsExtension, legacy_advertisement
from server.tool_config import ServerConfig, retouch_version

log = logging.getLogger("retouch.mcp")

INSTRUCTIONS = """\
retouch plans, runs and checks image edits (object removal, sky/background replacement, canvas \
extension, region restyle, whole-image instruction edits). Workflow: plan_edit -> (make_mask when \
the plan's mask source is sam-*) -> run_edit -> read its QA report (check_edit re-measures any \
result). Paths must lie under the server's roots. Give run_edit a session (one per conversation) \
and each result becomes a version: edit it next with image '@current' (or '@ID', \
'@current~1') and the same session; history lists the versions as a tree, revert goes back \
(editing an older version starts a branch; nothing is overwritten). The full guide is the skill \
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
        from planner.errors import RetouchError

        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            crashed = isinstance(exc, UnexpectedToolError)  # raised by our code, not the arguments
            if isinstance(cause, RetouchError):
                text = str(cause)
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


def _link(ref: tools.FileRef, name: str, description: str) -> ResourceLink:
    return ResourceLink(
        uri=ref.uri, name=name, description=description, mime_type=ref.mime_type, size=ref.size
    )


def _result(
    out: BaseModel, summary: str, shown: tool_edit.Shown, links: list[ResourceLink]
) -> CallToolResult:
    """Structured content plus a summary, inline images and links to the full-size files."""
    blocks: list[Any] = [TextContent(text=summary)]
    blocks += [
        ImageContent(data=base64.b64encode(data).decode("ascii"), mime_type=mime)
        for data, mime in shown.images
    ]
    blocks += links
    blocks.append(TextContent(text=out.model_dump_json()))
    return CallToolResult(content=blocks, structured_content=out.model_dump(mode="json"))


def _model_tool(
    name: str,
    title: str,
    description: str,
    input_model: type[BaseModel],
    output_model: type[BaseModel],
    run: Callable[[Any, Context], Awaitable[Any]],
    annotations: ToolAnnotations,
) -> Tool:
    """A Tool whose arguments are exactly ``input_model``'s fields (unknown ones refused)."""
    args_model = create_model(f"{name}Arguments", __base__=(input_model, ArgModelBase))

    async def fn(ctx: Context, **kwargs: Any) -> Any:
        return await run(input_model.model_validate(kwargs), ctx)

    return Tool(
        fn=fn,
        name=name,
        title=title,
        description=description,
        parameters=args_model.model_json_schema(by_alias=True),
        fn_metadata=FuncMetadata(arg_model=args_model, output_model=output_model),
        is_async=True,
        context_kwarg="ctx",
        annotations=annotations,
    )


def _hints(
    title: str, *, read_only: bool, destructive: bool = False, idempotent: bool
) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


def _progress_reporter(ctx: Context) -> Callable[[int, int], Awaitable[None]]:
    """Forward denoising steps as progress. The SDK sends ``notifications/progress`` only when the
    caller's request carried a progress token (or, in process, a progress callback); otherwise
    ``report_progress`` does nothing."""

    async def report(step: int, total: int) -> None:
        await ctx.report_progress(step, total, f"denoising step {step}/{total}")

    return report


def _verdict(out: tools.RunEditOutput) -> str:
    failed = [f"{i.id} {i.value} vs {i.threshold}" for i in out.qa.items if i.status == "fail"]
    return f"FAILED ({', '.join(failed)})" if failed else "passed"


def build_tools(cfg: ServerConfig) -> list[Tool]:
    """The eight tools, bound to ``cfg``."""

    async def plan_edit(args: tools.PlanEditInput, ctx: Context) -> tools.PlanEditOutput:
        return await anyio.to_thread.run_sync(tool_plan.plan_edit, cfg, args)

    async def render_skill_doc(
        args: tools.RenderSkillDocInput, ctx: Context
    ) -> tools.RenderSkillDocOutput:
        return await anyio.to_thread.run_sync(tool_plan.render_skill_doc, cfg, args)

    async def check_edit(args: tools.CheckEditInput, ctx: Context) -> tools.CheckEditOutput:
        return await tool_edit.check_edit(cfg, args)

    async def list_models(args: tools.ListModelsInput, ctx: Context) -> tools.ListModelsOutput:
        return await tool_models.list_models(cfg, args)

    async def make_mask(args: tools.MakeMaskInput, ctx: Context) -> CallToolResult:
        out, shown = await tool_edit.make_mask(cfg, args)
        summary = (
            f"Mask by {out.method} (score {out.score:.2f}) covers {out.area:.1%} of the image, "
            f"box {out.bbox}; saved to {out.mask.path}. {out.note}"
        )
        return _result(out, summary, shown, [_link(out.mask, "mask.png", "the mask, white = edit")])

    async def run_edit(args: tools.RunEditInput, ctx: Context) -> CallToolResult:
        out, shown = await tool_edit.run_edit(cfg, args, _progress_reporter(ctx))
        summary = (
            f"Run {out.run_id}: result {out.result.path} ({out.result.uri}); QA {_verdict(out)}. "
            f"{out.next_step}. The images below are a preview and source|result."
        )
        links = [
            _link(out.result, "result.png", "full-size result"),
            _link(out.comparison, "comparison.jpg", "source | result"),
            _link(out.plan_file, "plan.json", "the plan as run"),
        ]
        if out.mask is not None:
            links.insert(1, _link(out.mask, "mask.png", "the edit mask used"))
        if out.version_uri is not None:
            summary += f" Recorded as version @{out.version} of session {out.session!r}."
            links.append(
                ResourceLink(
                    uri=out.version_uri,
                    name=f"version-{out.version}.png",
                    description=f"version @{out.version} in the history store",
                    mime_type="image/png",
                    size=out.result.size,
                )
            )
        return _result(out, summary, shown, links)

    async def history(args: HistoryInput, ctx: Context) -> CallToolResult:
        tree = await anyio.to_thread.run_sync(tool_history.history, cfg, args)
        return _result(tree, format_tree(tree), tool_edit.Shown([]), [])

    async def revert(args: RevertInput, ctx: Context) -> CallToolResult:
        out = await anyio.to_thread.run_sync(tool_history.revert, cfg, args)
        summary = (
            f"Session {out.session!r}: current is now @{out.current.id} ({out.current.edit}). "
            f"{out.next_step}."
        )
        return _result(out, summary, tool_edit.Shown([]), [])

    b64 = (
        " The image is a path under the server's roots, or base64 in image_base64: at most 3 MiB "
        "decoded, and over HTTP the whole request is bounded by the transport's 4 MiB body limit."
    )
    return [
        _model_tool(
            "plan_edit",
            "Plan an image edit",
            "Plan an edit of an image: returns the explained plan (mode, model, mask "
            "preparation, guidance, strength, prompts, QA checklist, rules that fired), its "
            "plan_id, the skill doc, and the estimated time and GPU memory before anything "
            "runs. No GPU, no weights." + b64,
            tools.PlanEditInput,
            tools.PlanEditOutput,
            plan_edit,
            _hints("Plan an image edit", read_only=False, idempotent=True),
        ),
        _model_tool(
            "make_mask",
            "Make an edit mask",
            "Segment the object marked by points and/or a box (Segment Anything when a "
            "checkpoint is available, else GrabCut) and save it as a mask (white = edit); "
            "returns the mask's path and a red overlay preview." + b64,
            tools.MakeMaskInput,
            tools.MakeMaskOutput,
            make_mask,
            _hints("Make an edit mask", read_only=False, idempotent=False),
        ),
        _model_tool(
            "run_edit",
            "Run an image edit",
            "Run a plan (by plan_id or plan.json path, or a request planned on the spot) on "
            "the GPU worker and measure the result: returns an inline preview, a small "
            "source|result comparison, links to the full-size files, the QA report and the "
            "provenance (model, seed, every parameter, mask hash, timings). overrides change "
            "any plan field for a rerun. Sends progress per denoising step when the request "
            "carries a progress token; cancelling stops between steps.",
            tools.RunEditInput,
            tools.RunEditOutput,
            run_edit,
            _hints("Run an image edit", read_only=False, idempotent=False),
        ),
        _model_tool(
            "check_edit",
            "Check an edited image",
            "Measure an edited image against a plan's QA checklist (outside-unchanged, seam, "
            "colour shift, saturation, structure...): each check's value, limit, pass/fail "
            "and, when it fails, the fix as plan changes. Writes nothing.",
            tools.CheckEditInput,
            tools.CheckEditOutput,
            check_edit,
            _hints("Check an edited image", read_only=True, idempotent=True),
        ),
        _model_tool(
            "render_skill_doc",
            "Render a plan's skill doc",
            "Render a plan to its skill-editing-pipeline.md (the explained, runnable recipe) "
            "and return the text and the file.",
            tools.RenderSkillDocInput,
            tools.RenderSkillDocOutput,
            render_skill_doc,
            _hints("Render a plan's skill doc", read_only=False, idempotent=True),
        ),
        _model_tool(
            "list_models",
            "List local models",
            "What this machine can run: the device (and the hardware class to plan for), "
            "each model family with its memory needs and whether its weights are in the "
            "local Hugging Face cache or the given folders, and SAM checkpoints. Downloads "
            "nothing.",
            tools.ListModelsInput,
            tools.ListModelsOutput,
            list_models,
            _hints("List local models", read_only=True, idempotent=True),
        ),
        _model_tool(
            "history",
            "Show a session's versions",
            "The versions of a session (one per conversation) as a tree: each version's id, "
            "parent, time, edit and children (two children = a branch), and which one is "
            "current (the next run_edit with image '@current' starts there). Writes nothing.",
            HistoryInput,
            HistoryTree,
            history,
            _hints("Show a session's versions", read_only=True, idempotent=True),
        ),
        _model_tool(
            "revert",
            "Go back to an earlier version",
            "Make an earlier version of a session current (undo: version '@current~1'), so the "
            "next edit starts from it; an edit from a version that already has children starts "
            "a branch. Nothing is deleted: every version stays addressable as @ID.",
            RevertInput,
            RevertOutput,
            revert,
            # not idempotent: a relative version (@current~1) goes further back on every call
            _hints("Go back to an earlier version", read_only=False, idempotent=False),
        ),
    ]


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
    cfg: ServerConfig, token: str | None = None, url: str = "http://127.0.0.1"
) -> RetouchServer:
    """The server. ``token``: require ``Authorization: Bearer <token>`` on HTTP (``url`` is the
    server's own address, named as the token issuer)."""
    auth: dict[str, Any] = {}
    if token:
        from mcp.server.auth.settings import AuthSettings

        auth = {
            "token_verifier": BearerToken(token),
            "auth": AuthSettings(issuer_url=url, resource_server_url=None),
        }
    tool_list = build_tools(cfg)
    app = RetouchServer(
        "retouch",
        title="retouch",
        version=retouch_version(),
        instructions=INSTRUCTIONS,
        tools=tool_list,
        extensions=[SkillsExtension()],
        middleware=[legacy_advertisement],
        log_level="WARNING",
        **auth,
    )
    app.input_models = {t.name: t.fn_metadata.arg_model for t in tool_list}
    add_resources(app, cfg)
    add_prompt(app)
    return app
