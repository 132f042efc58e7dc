"""What `retouch serve` loads before it answers ``initialize``: the MCP SDK, pydantic and the
tools' schemas, not the libraries a tool needs only when it runs (issue 25: a fast front door,
initialize within 0.1 s of a bare ``import mcp.server.mcpserver``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NEVER = ("torch", "diffusers", "cv2", "scipy", "dlib", "huggingface_hub.hf_api", "jinja2",
         "retouch.planner.plan", "retouch.executors.run", "retouch.planner.language.intent")  # fmt: skip
"""Loaded by no tool before it is called (planner.intent: its language rooms compile their
regexes on import, ~0.1 s)."""
IMAGE_LIBRARIES = ("numpy", "PIL")
"""Loaded when a tool first handles an image (imports inside the functions that need them, names
for annotations under TYPE_CHECKING): ~0.05 s of start-up otherwise."""


def _loaded_at_start(tmp_path: Path, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a fresh interpreter has loaded once `retouch serve`'s command module is
    imported and the server is built (what happens before stdio is read)."""
    code = (
        "import sys\n"
        "import retouch.server.cli.serve\n"
        "from retouch.server.mcp.app import build_server\n"
        "from retouch.server.mcp.config import ServerConfig\n"
        f"build_server(ServerConfig.create(base={str(tmp_path)!r}))\n"
        f"print(','.join(m for m in {names!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.strip().split(",") if m]


def test_serving_loads_no_model_library_and_no_planning(tmp_path: Path) -> None:
    assert _loaded_at_start(tmp_path, NEVER) == []


def test_serving_loads_no_pillow(tmp_path: Path) -> None:
    assert _loaded_at_start(tmp_path, ("PIL",)) == []


def test_serving_loads_no_numpy_or_pillow(tmp_path: Path) -> None:
    assert _loaded_at_start(tmp_path, IMAGE_LIBRARIES) == []


def test_schemas_made_in_one_pass_equal_those_made_one_by_one() -> None:
    from retouch.server.mcp.app import TOOLS
    from retouch.server.mcp.outline import full_schemas

    models = [s.input_model for s in TOOLS] + [s.output_model for s in TOOLS]
    together = full_schemas(models)
    assert len(together) == len(models) == 2 * len(TOOLS)
    for model, schema in zip(models, together, strict=True):
        alone = model.model_json_schema(by_alias=True)
        assert schema == alone, model.__name__


def test_published_schemas_are_those_of_the_tools_argument_models(tmp_path: Path) -> None:
    """The arguments a tool publishes are its argument model's (the SDK validates with it),
    though the schemas are made from the input models in one pass."""
    from retouch.server.mcp.app import build_tools
    from retouch.server.mcp.config import ServerConfig
    from retouch.server.mcp.outline import input_schema

    tools = build_tools(ServerConfig.create(base=tmp_path))
    # each argument model's validator is built when the tool is first called, not at start-up
    assert [t.name for t in tools if t.fn_metadata.arg_model.__pydantic_complete__] == []
    for tool in tools:
        args = tool.fn_metadata.arg_model
        assert tool.parameters == input_schema(args), tool.name
        assert "description" not in tool.parameters, tool.name
        with pytest.raises(ValueError, match="extra"):  # still closed once built
            args.model_validate({"no_such_argument": 1})
