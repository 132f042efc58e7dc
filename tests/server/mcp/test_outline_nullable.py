"""outline._nullable: a nullable field published as {"type": [T, "null"]} accepts exactly what the
anyOf it replaces accepts (checked with jsonschema on values of every JSON type), and anyOfs it
cannot merge exactly are left alone."""

from __future__ import annotations

import jsonschema
import pytest
from retouch.server.mcp.outline import _nullable

VALUES = [None, "", "x" * 300, "all", 0, 1, 7, 1001, -3, 2.5, True, [], [1, 2, 3, 4], {}, {"a": 1}]
MERGED = [
    {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"},
    {"anyOf": [{"maxLength": 200, "type": "string"}, {"type": "null"}]},
    {"anyOf": [{"type": "null"}, {"minimum": 1, "maximum": 1000, "type": "integer"}]},
    {"anyOf": [{"enum": ["auto", "all"], "type": "string"}, {"type": "null"}], "default": None},
    {"anyOf": [{"const": "all", "type": "string"}, {"type": "null"}]},
    {"anyOf": [{"items": {"type": "number"}, "maxItems": 4, "type": "array"}, {"type": "null"}]},
    {"anyOf": [{"type": "number"}, {"type": "integer"}, {"type": "string"}, {"type": "null"}]},
]
KEPT = [
    {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]},  # a reference: no type to merge
    {"anyOf": [{"type": "object", "description": "d"}, {"type": "null"}], "description": "e"},
    {"anyOf": [{"type": "integer"}, {"const": "all", "type": "string"}, {"type": "null"}]},
    {"anyOf": [{"type": "string"}, {"type": "null"}], "type": "string"},
]


@pytest.mark.parametrize("schema", MERGED)
def test_a_merged_schema_accepts_exactly_what_the_anyof_accepts(schema: dict) -> None:
    merged = _nullable(schema)
    assert "anyOf" not in merged and "null" in merged["type"]
    assert len(str(merged)) < len(str(schema))
    for value in VALUES:
        before = jsonschema.Draft202012Validator(schema).is_valid(value)
        assert jsonschema.Draft202012Validator(merged).is_valid(value) == before, value
    assert {k: v for k, v in merged.items() if k in ("description", "default")} == {
        k: v for k, v in schema.items() if k in ("description", "default")
    }


@pytest.mark.parametrize("schema", KEPT)
def test_what_cannot_be_merged_exactly_is_left_alone(schema: dict) -> None:
    assert _nullable(schema) == schema
