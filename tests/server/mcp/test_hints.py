"""The MCP server renders every hint setting as a tool argument that exists (checked against the
tools' input schemas from tools/list) or as a server setting, never as a flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client
from retouch.planner.contract.errors import ModelMissingError
from retouch.planner.contract.hints import SETTINGS, Hint, hint
from retouch.planner.contract.readiness import Degradation
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.hints import (
    ARGUMENTS,
    OVERRIDES,
    SERVER,
    argument,
    tool_degraded,
    tool_error,
    tool_words,
)

from tests.server.mcp.tool_schemas import NAMED, schema_paths

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def paths(tmp_path: Path) -> dict[str, set[str]]:
    cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path)
    async with Client(build_server(cfg)) as client:
        return {t.name: schema_paths(t.input_schema) for t in (await client.list_tools()).tools}


def test_every_setting_has_one_rendering() -> None:
    for setting in SETTINGS:
        homes = [setting in ARGUMENTS, setting in OVERRIDES, setting in SERVER]
        assert sum(homes) == 1, setting


async def test_every_argument_named_exists_in_that_tools_schema(paths: dict) -> None:
    for setting in SETTINGS:
        for tool in [None, *paths]:
            for h in (Hint(setting=setting), Hint(setting=setting, value="3")):  # type: ignore[arg-type]
                said = argument(h, tool)
                assert "--" not in said, said
                named = NAMED.findall(said)
                assert named or setting in SERVER, (setting, said)
                for owner, name in named:
                    assert owner or tool, f"{said!r} names no tool"
                    assert name in paths[owner or tool], (setting, tool, said)


async def test_the_mapping_matches_the_schemas(paths: dict) -> None:
    for setting, owners in ARGUMENTS.items():
        for tool, path in owners.items():
            assert path in paths[tool], (setting, tool, path)
    assert "overrides" in paths["run_edit"]


def test_overrides_are_plan_changes_run_edit_takes() -> None:
    said = argument(hint("steps", 40), "run_edit")
    assert said.startswith("`overrides` [")
    change = json.loads(said.removeprefix("`overrides` "))[0]
    assert change == {"field": "steps", "op": "set", "value": 40}
    assert argument(hint("seed"), "plan_edit").startswith("run_edit's `overrides` [")


def test_drops_values_and_labels() -> None:
    assert argument(hint("mask", drop=True), "run_edit") == "leave out `mask`"
    assert argument(hint("mask"), "make_mask") == "plan_edit's `mask`"
    assert argument(hint("hardware", "cpu"), "plan_edit") == '`preferences.hardware` "cpu"'
    assert argument(hint("points", "1"), "make_mask") == "`sam.points` with label 1"
    assert argument(hint("text"), "plan_edit") == "`sam.text`"
    assert argument(hint("text"), "make_mask") == "`text`"
    assert argument(hint("allow_download")) == "RETOUCH_ALLOW_DOWNLOAD=1 where the server runs"
    assert argument(hint("plan"), "run_edit") == "plan_edit again"


def test_errors_and_degraded_entries_render_their_hints() -> None:
    err = ModelMissingError("model x is missing; allow downloads", [hint("allow_download")])
    assert tool_error(err, "run_edit") == (
        "model x is missing; allow downloads (RETOUCH_ALLOW_DOWNLOAD=1 where the server runs)"
    )
    assert tool_error(ValueError("plain")) == "plain"
    assert tool_words("plain") == "plain"
    d = Degradation(
        what="mask-source", planned="SAM", used="GrabCut", why="no SAM", fix="give a mask file",
        hints=[hint("mask")],
    )  # fmt: skip
    (rendered,) = tool_degraded([d], "run_edit")
    assert rendered.fix == "give a mask file (`mask`)" and rendered.hints == []
    assert d.fix == "give a mask file"  # the entry itself is not changed
