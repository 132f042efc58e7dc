"""Optional arguments are published as their one non-null type (outline._without_null): every
value the published input schema accepts the full model's schema accepts too (checked with
jsonschema on values of every JSON type), leaving the argument out stays valid, and what is
required, has a non-null default or is not a plain "X or null" is left as it was."""

from __future__ import annotations

import jsonschema
import pytest
from retouch.server.mcp.app import TOOLS
from retouch.server.mcp.outline import _without_null, input_schema

VALUES = [None, "", "x" * 300, "all", 0, 1, 7, 1001, -3, 2.5, True, [], [1, 2, 3, 4], {}, {"a": 1}]


def test_an_optional_null_default_argument_loses_only_its_null_branch() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"maxLength": 200, "type": "string"}, {"type": "null"}], "description": "d"},
            "b": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}], "description": "e"},
            "c": {"anyOf": [{"type": "integer"}, {"type": "null"}]},  # required: kept
            "d": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 3},  # not null
            "e": {"anyOf": [{"type": "integer"}, {"const": "all", "type": "string"}, {"type": "null"}]},
        },
        "required": ["c"],
        "$defs": {"X": {"type": "object", "properties": {"y": {"anyOf": [{"type": "number"}, {"type": "null"}]}}}},
    }  # fmt: skip
    out = _without_null(schema)
    props = out["properties"]
    assert props["a"] == {"maxLength": 200, "type": "string", "description": "d"}
    assert props["b"] == {"$ref": "#/$defs/X", "description": "e"}
    assert props["c"] == schema["properties"]["c"] and props["d"] == schema["properties"]["d"]
    assert props["e"] == schema["properties"]["e"]
    assert out["$defs"]["X"]["properties"]["y"] == {"type": "number"}  # nested models too


@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_the_published_input_accepts_nothing_the_full_model_refuses(spec) -> None:  # type: ignore[no-untyped-def]
    full = spec.input_model.model_json_schema(by_alias=True)
    published = input_schema(spec.input_model)
    for name, prop in published["properties"].items():
        whole = full["properties"][name]
        if name in published.get("required", ()) or "$ref" in prop or "$ref" in str(whole):
            continue  # referenced definitions are outlined separately
        one = {"$defs": published.get("$defs", {}), **prop}
        every = {"$defs": full.get("$defs", {}), **whole}
        for value in VALUES:
            if jsonschema.Draft202012Validator(one).is_valid(value):
                assert jsonschema.Draft202012Validator(every).is_valid(value), (name, value)
    for name in set(full["properties"]) - set(full.get("required", ())):
        assert name not in published.get("required", ())  # leaving it out stays valid
