"""The schemas tools/list publishes: each tool's pydantic models, outlined so an agent does not pay
for the same definitions on every turn, and the full schemas as resources.

    input_schema(model)   the model's schema without titles; an embedded EditRequest is an object
                          that points to retouch://schema/request.json; an optional argument
                          whose default is null is published as its non-null type only
    output_schema(model)  top-level fields typed, without words or required lists (the reply says
                          what they mean); Degradation and PlanChange kept whole; every other
                          nested model an object, pointing to its full schema where it has one
                          (the plan keeps runnable, missing and degraded typed)
    retouch://schema/<name>.json   plan, request, qa, provenance: the full JSON Schemas

The server still validates every argument and every structured result against the full models
(the SDK's FuncMetadata does). An outlined output schema accepts exactly what the full one
accepts and more, so a client that checks results against it never rejects a real one; an input
schema differs from the full one only where an optional argument may also be an explicit null.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from pydantic import BaseModel
from retouch.executors.qa.report import QAReport
from retouch.planner.contract.schema import EditPlan, EditRequest
from retouch.server.mcp.schemas import ToolProvenance

SCHEMA_URI = "retouch://schema/{name}.json"

# Nested models published by reference: definition name -> (resource name, model).
POINTED: dict[str, tuple[str, type[BaseModel]]] = {
    "EditPlan": ("plan", EditPlan),
    "EditRequest": ("request", EditRequest),
    "QAReport": ("qa", QAReport),
    "ToolProvenance": ("provenance", ToolProvenance),
}
# Fields of an outlined model that stay typed: what an agent decides on.
OUTLINED: dict[str, tuple[str, ...]] = {"EditPlan": ("runnable", "missing", "degraded")}
# Definitions that stay whole in output schemas: what an agent acts on (substitutions, fixes).
OUTPUT_KEEP = frozenset({"Degradation", "PlanChange"})
INPUT_COLLAPSE = frozenset({"EditRequest"})
# Shorter words for the planner's argument models, as tools/list publishes them (the models keep
# their long descriptions for plan.json readers); None drops a field's words, "" is the model's.
INPUT_WORDS: dict[str, dict[str, str | None]] = {
    "Extend": {"": "Pixels of new canvas per side.", **dict.fromkeys(("left", "top", "right", "bottom"))},
    "SamPoint": {"x": "Pixels from the left.", "y": "Pixels from the top.", "label": "1 = object, 0 = background."},
    "SamPrompt": {"points": None, "box": "XYXY pixels.", "text": "Words (SAM 3), instead of points and box."},
    "EditGuidance": {"": None, "image": "Path or @VERSION of an image the edit uses, e.g. the logo in 'put this logo on the shirt'."},
    "Preferences": {
        "hardware": "The class the plan must fit (gpu-24gb: L4/4090; gpu-80gb: A100/H100).",
        "licence": "open: only weights licensed for commercial use; any: every licence.",
    },
}  # fmt: skip
# Keywords that say nothing to an agent about a result the server already made: defaults, closed
# objects, which fields are always there, and words (the tool's description and its reply say
# what a result means).
OUTPUT_DROP = ("default", "additionalProperties", "description", "required")


def full_schemas(models: list[type[BaseModel]]) -> list[dict[str, Any]]:
    """Each model's ``model_json_schema(by_alias=True)``, made in one pass: the definitions the
    tools share (EditRequest, EditPlan...) are generated once, not once per tool (~40% less CPU
    at start-up; tests/server/mcp/test_startup.py compares them with one-by-one schemas)."""
    from pydantic.json_schema import models_json_schema

    keys, top = models_json_schema([(m, "validation") for m in models], by_alias=True)
    defs: dict[str, Any] = top.get("$defs", {})
    out = []
    for model in models:
        name = keys[(model, "validation")]["$ref"].removeprefix("#/$defs/")
        schema = dict(defs[name])
        kept: dict[str, Any] = {}
        todo = _refs(schema)
        while todo:
            ref = todo.pop()
            if ref not in kept:
                kept[ref] = defs[ref]
                todo |= _refs(defs[ref])
        if kept:
            schema["$defs"] = {k: kept[k] for k in defs if k in kept}  # one-by-one order
        out.append(schema)
    return out


def input_schema(model: type[BaseModel], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """``model``'s argument schema (``schema``: its full schema, when already made), outlined
    (see the module docstring)."""
    schema = model.model_json_schema(by_alias=True) if schema is None else schema
    schema = {**schema, "$defs": dict(schema.get("$defs", {}))}  # reworded below: a copy
    for name, words in INPUT_WORDS.items():
        if name in schema.get("$defs", {}):
            schema["$defs"][name] = _reworded(schema["$defs"][name], words)
    return _without_null(_outline(schema, lambda n: n in INPUT_COLLAPSE, ()))


def _without_null(node: Any) -> Any:
    """Each optional argument whose default is null published as its one non-null branch:
    ``{"anyOf": [X, {"type": "null"}]}`` becomes ``X`` (leaving it out means null). Shorter, and
    a single type is what every client's schema dialect takes; the server still accepts an
    explicit null, as the full model does."""
    if isinstance(node, list):
        return [_without_null(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _without_null(v) for k, v in node.items()}
    props, required = out.get("properties"), set(out.get("required", ()))
    if isinstance(props, dict):
        out["properties"] = {k: v if k in required else _one_branch(v) for k, v in props.items()}
    return out


def _one_branch(prop: Any) -> Any:
    branches = prop.get("anyOf") if isinstance(prop, dict) else None
    if not isinstance(branches, list) or len(branches) != 2 or {"type": "null"} not in branches:
        return prop
    other = branches[1 - branches.index({"type": "null"})]
    rest = {k: v for k, v in prop.items() if k != "anyOf"}
    if rest.get("default") is not None or set(rest) & set(other):
        return prop
    return other | rest


def _reworded(node: dict[str, Any], words: dict[str, str | None]) -> dict[str, Any]:
    node = {**node, "properties": {k: dict(v) for k, v in node["properties"].items()}}
    for field, text in words.items():
        target = node["properties"][field] if field else node
        target.pop("description", None)
        if text:
            target["description"] = text
    return node


def output_schema(model: type[BaseModel], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """``model``'s result schema (``schema``: its full schema, when already made), outlined (see
    the module docstring)."""
    schema = model.model_json_schema(by_alias=True) if schema is None else schema
    return _outline(schema, lambda n: n not in OUTPUT_KEEP, OUTPUT_DROP)


def _outline(schema: dict[str, Any], collapse: Any, drop: tuple[str, ...]) -> dict[str, Any]:
    defs: dict[str, Any] = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        name = node.get("$ref", "").removeprefix("#/$defs/")
        if _same_items(node):  # a tuple of one type: items, not prefixItems
            first = node["prefixItems"][0]
            node = {k: v for k, v in node.items() if k != "prefixItems"} | {"items": first}
        if name and collapse(name):
            return _collapsed(name, node, defs, walk, drop)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title" or key in drop or (key == "default" and value is None):
                continue
            named = key in ("properties", "$defs")
            out[key] = {k: walk(v) for k, v in value.items()} if named else walk(value)
        return out

    lean = walk({k: v for k, v in schema.items() if k != "$defs"})
    if drop:  # the tool's description says what the result is
        lean.pop("description", None)
    kept: dict[str, Any] = {}
    todo = _refs(lean)
    while todo:
        name = todo.pop()
        if name not in kept:
            kept[name] = walk(defs[name])
            todo |= _refs(kept[name])
    if kept:
        lean["$defs"] = kept
    return lean


def _collapsed(
    name: str, node: dict[str, Any], defs: dict[str, Any], walk: Any, drop: tuple[str, ...]
) -> dict[str, Any]:
    """An object in place of a reference to definition ``name``, pointing to its full schema."""
    out: dict[str, Any] = {"type": "object"}
    text = "" if drop else node.get("description", "")
    if name in POINTED:
        uri = SCHEMA_URI.format(name=POINTED[name][0])
        text = f"{text.rstrip('.')}. Schema: {uri}" if text else f"Schema: {uri}"
    if text:
        out["description"] = text
    props = defs[name].get("properties", {})
    if keep := OUTLINED.get(name):
        out["properties"] = {k: walk(props[k]) for k in keep}
        if required := [k for k in keep if k in defs[name].get("required", ())]:
            out["required"] = required
    return out


def _same_items(node: dict[str, Any]) -> bool:
    items = node.get("prefixItems")
    return (
        isinstance(items, list)
        and bool(items)
        and all(x == items[0] for x in items)
        and node.get("minItems") == node.get("maxItems") == len(items)
        and "items" not in node
    )


def _refs(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_refs(x) for x in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"].removeprefix("#/$defs/")} if "$ref" in node else set()
    return found.union(*(_refs(v) for v in node.values()))


def add_schema_resources(app: MCPServer) -> None:
    """retouch://schema/<name>.json: the full JSON Schema of each model the tools outline."""
    by_name = {res: model for res, model in POINTED.values()}

    @app.resource(
        SCHEMA_URI,
        name="schema",
        mime_type="application/schema+json",
        description="Full JSON Schema of a model the tools' schemas point to: "
        + ", ".join(by_name)
        + " (e.g. retouch://schema/plan.json for plan_edit's plan).",
    )
    def schema(name: str) -> str:
        if name not in by_name:
            raise ResourceNotFoundError(f"no schema {name!r}; there are {', '.join(by_name)}")
        return json.dumps(by_name[name].model_json_schema(by_alias=True))
