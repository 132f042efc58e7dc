"""How a tool is declared and answered: ``ToolSpec`` (one per tool, kept with its group's code),
the Tool built from it, and the reply helpers (structured content, inline images, links).

    ToolSpec(name, title, description, input_model, output_model, run, hints)
        run(cfg, args, ctx) -> the output model, or a CallToolResult built with ``reply``
    model_tool(spec, cfg) -> mcp Tool whose arguments are exactly ``input_model``'s fields
    model_tools(specs, cfg, metas) -> the same for every tool, their schemas made in one pass
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, ImageContent, ResourceLink, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, create_model
from retouch.planner.contract.errors import ModelMissingError
from retouch.server.mcp.outline import full_schemas, input_schema, output_schema

if TYPE_CHECKING:
    from retouch.server.mcp.config import ServerConfig
    from retouch.server.mcp.schemas import FileRef


@dataclass(frozen=True)
class Hints:
    """MCP tool annotations: does the tool change anything, and may it be repeated safely."""

    read_only: bool
    idempotent: bool
    destructive: bool = False


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, words for the agent, schemas, and the coroutine that answers it."""

    name: str
    title: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    run: Callable[[ServerConfig, Any, Context], Awaitable[Any]]
    hints: Hints


@dataclass
class Shown:
    """Images a tool returns inline, beside its structured result."""

    images: list[tuple[bytes, str]]  # (bytes, mime)


def feature(module: str, what: str) -> ModuleType:
    """Import ``module`` or explain that ``what`` is not in this build."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise ModelMissingError(
                f"{what} is not available yet in this build ({module} is missing); update retouch"
            ) from exc
        from retouch.planner.contract.extras import missing_extra

        if (missing := missing_extra(exc)) is not None:
            raise missing from exc
        raise ModelMissingError(
            f"{what} needs {exc.name}, which is not installed; reinstall retouch"
        ) from exc


def link(ref: FileRef, name: str, description: str) -> ResourceLink:
    """A resource link to a file the tool wrote."""
    return ResourceLink(
        uri=ref.uri, name=name, description=description, mime_type=ref.mime_type, size=ref.size
    )


def reply(
    out: BaseModel,
    summary: str,
    shown: Shown | None = None,
    links: list[ResourceLink] = (),
    json_text: bool = True,
) -> CallToolResult:
    """Structured content plus a summary, inline images and links to the full-size files; with
    ``json_text`` the structured content again as a text block (for clients that read only text;
    off where the summary says it all and the JSON would cost more than the rest)."""
    blocks: list[Any] = [TextContent(text=summary)]
    blocks += [
        ImageContent(data=base64.b64encode(data).decode("ascii"), mime_type=mime)
        for data, mime in (shown.images if shown else [])
    ]
    blocks += list(links)
    if json_text:
        blocks.append(TextContent(text=out.model_dump_json()))
    return CallToolResult(content=blocks, structured_content=out.model_dump(mode="json"))


class _Deferred(BaseModel):
    """Builds its validator on first use: a tool's argument model costs ~6 ms CPU to build, paid
    when the tool is first called instead of before ``initialize`` is answered."""

    model_config = ConfigDict(defer_build=True)


def model_tools(
    specs: list[ToolSpec], cfg: ServerConfig, metas: list[dict[str, Any] | None]
) -> list[Tool]:
    """``model_tool`` for each spec (with its meta), every schema made in one pass."""
    models = [s.input_model for s in specs] + [s.output_model for s in specs]
    full = full_schemas(models)
    n = len(specs)
    return [
        model_tool(spec, cfg, meta, (full[i], full[n + i]))
        for i, (spec, meta) in enumerate(zip(specs, metas, strict=True))
    ]


def model_tool(
    spec: ToolSpec,
    cfg: ServerConfig,
    meta: dict[str, Any] | None = None,
    schemas: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> Tool:
    """The Tool for ``spec``, bound to ``cfg``: its arguments are exactly ``input_model``'s fields
    (unknown ones refused), its published schemas the models' outlines (server/mcp/outline.py;
    ``schemas``: the input and output models' full schemas, when already made)."""
    args_model = create_model(
        f"{spec.name}Arguments", __base__=(spec.input_model, ArgModelBase, _Deferred)
    )
    full_in, full_out = schemas or (spec.input_model.model_json_schema(by_alias=True), None)
    # args_model's schema: the input model's without its docstring (a created class has none)
    full_in = {k: v for k, v in full_in.items() if k != "description"}

    async def fn(ctx: Context, **kwargs: Any) -> Any:
        try:
            return await spec.run(cfg, spec.input_model.model_validate(kwargs), ctx)
        except ImportError as exc:  # a library an extra installs: a tool error naming the extra
            from retouch.planner.contract.extras import missing_extra

            if (missing := missing_extra(exc)) is None:
                raise
            raise missing from exc

    return Tool(
        fn=fn,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=input_schema(spec.input_model, full_in),
        fn_metadata=FuncMetadata(
            arg_model=args_model,
            output_model=spec.output_model,  # results are validated against the full model
            output_schema=output_schema(spec.output_model, full_out),
        ),
        is_async=True,
        context_kwarg="ctx",
        meta=meta,
        annotations=ToolAnnotations(
            # false is the default of readOnly and idempotent (not of destructive, openWorld)
            read_only_hint=spec.hints.read_only or None,
            destructive_hint=spec.hints.destructive,
            idempotent_hint=spec.hints.idempotent or None,
            open_world_hint=False,
        ),
    )
