"""Write the reference pages in docs/ from the code, so they cannot drift from it.

    docs/cli.md        every `retouch` command's --help, from the typer app (server/cli/app.py)
    docs/tools.md      every MCP tool a client lists: name, title, description, arguments with types,
                       from the server's own tools/list (server/mcp/app.py's build_server)
    docs/rules.md      the planner's rule table, TASK_RULES then ADJUST_RULES (planner/rules.py)
    docs/families.md   the model families (planner/catalog/families/: one module per family)

Run ``.venv/bin/python tests/gen_docs.py`` after changing a command, a tool, a rule or a family,
and commit the pages with the change; ``--check`` only says which pages are stale (exit 1).
tests/test_docs.py regenerates every page and fails on a difference. Test code: the product never
imports it.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
WIDTH = 100  # columns of the rendered --help


def _header(title: str, source: str) -> str:
    return (
        f"# {title}\n\n<!-- Generated from {source} by tests/gen_docs.py; do not edit by hand: run "
        "`.venv/bin/python tests/gen_docs.py` (tests/test_docs.py fails when this page is stale). "
        "-->\n"
    )


def _cell(value: object) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("|", "\\|")


def _table(head: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ CLI


def _context(command: Any, name: str, parent: Any = None) -> Any:
    """A help context ``WIDTH`` columns wide (typer vendors click: use the command's own class)."""
    return command.context_class(
        command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH
    )


def cli_page() -> str:
    import typer
    from retouch.server.cli.app import get_app

    root = typer.main.get_command(get_app())
    top = _context(root, "retouch")
    parts = [_header("`retouch` command reference", "the typer app (server/cli/)")]
    parts.append(f"\n```text\n{root.get_help(top)}\n```\n")
    for name in root.list_commands(top):
        command = root.get_command(top, name)
        ctx = _context(command, name, top)
        parts.append(f"\n## `retouch {name}`\n\n```text\n{command.get_help(ctx)}\n```\n")
        for sub in command.list_commands(ctx) if hasattr(command, "list_commands") else []:
            leaf = command.get_command(ctx, sub)
            text = leaf.get_help(_context(leaf, sub, ctx))
            parts.append(f"\n### `retouch {name} {sub}`\n\n```text\n{text}\n```\n")
    return "".join(parts)


# ------------------------------------------------------------------------------------ MCP tools


def _type(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """A JSON schema as a short type: str, int | null, list[Point], 'a' | 'b'."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return " \\| ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " \\| ".join(_type(s, defs) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{_type(schema.get('items', {}), defs)}]"
    names = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    return names.get(kind, kind) if isinstance(kind, str) else " \\| ".join(kind)


def _arguments(schema: dict[str, Any]) -> str:
    props = schema.get("properties", {})
    if not props:
        return "No arguments.\n"
    required = set(schema.get("required", []))
    defs = schema.get("$defs", {})
    rows = [
        [
            f"`{name}`",
            _type(prop, defs).replace("\\|", "|"),
            "yes" if name in required else repr(prop.get("default")),
            prop.get("description", ""),
        ]
        for name, prop in props.items()
    ]
    return _table(["argument", "type", "required / default", "description"], rows)


async def _list_tools() -> list[Any]:
    from mcp import Client
    from retouch.server.mcp.app import build_server
    from retouch.server.mcp.config import ServerConfig

    with tempfile.TemporaryDirectory() as tmp:
        async with Client(build_server(ServerConfig.create(base=tmp))) as client:
            return list((await client.list_tools()).tools)


def tools_page() -> str:
    import anyio

    tools = anyio.run(_list_tools)
    parts = [_header("MCP tool reference", "the tool schemas (`retouch serve`'s tools/list)")]
    parts.append(
        "\nWhat a client without the MCP Apps extension lists (app-only tools are left out), in "
        "the server's order.\n\n"
    )
    parts.append(_table(["tool", "title"], [[f"`{t.name}`", t.title] for t in tools]))
    defs: dict[str, dict[str, Any]] = {}
    for tool in tools:
        parts.append(f"\n## `{tool.name}`: {tool.title}\n\n{tool.description.strip()}\n\n")
        parts.append(_arguments(tool.input_schema))
        for name, schema in tool.input_schema.get("$defs", {}).items():
            defs.setdefault(name, schema)
    parts.append("\n## Argument types\n\nThe objects the tables above name, shared by the tools.\n")
    for name in sorted(defs):
        schema = defs[name]
        about = schema.get("description", "")
        body = _arguments(schema) if "properties" in schema else f"{_type(schema, {})}\n"
        parts.append(f"\n### `{name}`\n\n" + (f"{about}\n\n" if about else "") + body)
    return "".join(parts)


# ------------------------------------------------------------------------------------ rules


def _fields(value: Any) -> dict[str, Any]:
    """The set fields of a rule's ``when`` or ``then`` (a dict or a pydantic model)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True, exclude_defaults=True)
    return {k: v for k, v in dict(value).items() if v is not None}


def _pairs(fields: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        return " or ".join(map(str, v)) if isinstance(v, list | tuple) else str(v)

    return "; ".join(f"{k}: {show(v)}" for k, v in fields.items()) or "(always)"


def rules_page() -> str:
    from retouch.planner import rules

    parts = [_header("The planner's rules", "planner/rules.py")]
    parts.append(f"\n{(rules.__doc__ or '').strip()}\n")
    for title, table in (("Task rules", rules.TASK_RULES), ("Adjust rules", rules.ADJUST_RULES)):
        rows = [
            [f"`{r.id}`", _pairs(_fields(r.when)), _pairs(_fields(r.then)), r.why] for r in table
        ]
        parts.append(f"\n## {title}\n\n" + _table(["rule", "when", "then", "why"], rows))
    return "".join(parts)


# ------------------------------------------------------------------------------------ families


def families_page() -> str:
    from retouch.planner.catalog.registry import LICENCES, REGISTRY

    parts = [_header("Model families", "planner/catalog/families/")]
    rows = []
    for family, spec in REGISTRY.items():
        licence = LICENCES.get(family)
        rows.append(
            [
                f"`{family}`",
                f"`{spec.default_id}`",
                ", ".join(spec.modes),
                spec.native_resolution,
                f"{spec.vram_gb:g} ({spec.offload_vram_gb:g})",
                spec.steps,
                f"{spec.guidance_kind} {spec.text_guidance:g}",
                f"{licence.name}, {'commercial' if licence.commercial_use else 'non-commercial'}"
                if licence
                else "",
            ]
        )
    head = ["family", "default model", "modes", "native px", "VRAM GiB (offload)", "steps"]
    parts.append("\n" + _table([*head, "guidance", "licence"], rows))
    parts.append("\n## Pipelines and published figures\n\n")
    rows = [
        [
            f"`{family}`",
            spec.pipeline,
            ", ".join(f"{mode}: {cls}" for mode, cls in spec.mode_pipelines),
            ", ".join(sorted({f"`{r.executor.rpartition(':')[2]}`" for r in spec.pipelines})),
            spec.dtype,
            ", ".join(spec.reference_modes),
            spec.published,
        ]
        for family, spec in REGISTRY.items()
    ]
    head = ["family", "pipeline", "other modes", "executor", "dtype", "reference modes"]
    parts.append(_table([*head, "published"], rows))
    return "".join(parts)


PAGES: dict[str, Callable[[], str]] = {
    "cli.md": cli_page,
    "tools.md": tools_page,
    "rules.md": rules_page,
    "families.md": families_page,
}


def stale(docs: Path = DOCS) -> list[str]:
    """The pages under ``docs`` that differ from what the code generates now (or are missing)."""
    out = []
    for name, render in PAGES.items():
        page = docs / name
        if not page.is_file() or page.read_text(encoding="utf-8") != render():
            out.append(name)
    return out


def write(docs: Path = DOCS) -> list[str]:
    """Regenerate every page; return the names of those that changed."""
    changed = stale(docs)
    docs.mkdir(exist_ok=True)
    for name in changed:
        tmp = docs / f".{name}.tmp"
        tmp.write_text(PAGES[name](), encoding="utf-8")
        tmp.replace(docs / name)
    return changed


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--check" in sys.argv[1:]:
        late = stale()
        print("stale: " + ", ".join(late) if late else "docs/ is up to date")
        sys.exit(1 if late else 0)
    print("wrote: " + (", ".join(write()) or "nothing (up to date)"))
