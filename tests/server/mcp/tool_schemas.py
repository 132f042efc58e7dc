"""The tools' input schemas as argument paths, and how replies name an argument (for the tests
that hold every reply to the tools' own arguments)."""

from __future__ import annotations

import re
from typing import Any

# an argument named in a reply: `mask`, or qualified with its tool: plan_edit's `mask`
NAMED = re.compile(r"(?:\b([a-z_]+)'s )?`([a-z_][a-z0-9_.]*)`")


def schema_paths(schema: dict[str, Any]) -> set[str]:
    """Every argument path of an input schema: ``mask``, ``sam.points``, ``preferences.hardware``."""
    defs = schema.get("$defs", {})
    found: set[str] = set()

    def walk(node: dict[str, Any], prefix: str, seen: frozenset[str]) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(defs[name], prefix, seen | {name})
        for sub in node.get("anyOf", []) + node.get("allOf", []):
            walk(sub, prefix, seen)
        if "items" in node:
            walk(node["items"], prefix, seen)
        for key, sub in node.get("properties", {}).items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            walk(sub, path, seen)

    walk(schema, "", frozenset())
    return found
