"""A reference image through the MCP tools (issue 17): plan_edit's ``guidance`` and run_edit's
``request.guidance``, confined to the roots like every image, a history version too; recorded in
the plan and the tool's provenance; run end to end on a tiny random FLUX.2 klein."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mcp import Client
from PIL import Image
from retouch.executors.diffusion.reference import read_reference
from retouch.planner import EditRequest, analyze, make_plan
from retouch.planner.contract.errors import InputError
from retouch.server.cli.hints import error_line
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.hints import tool_error
from retouch.server.mcp.schemas import PlanEditInput, PlanEditOutput, RunEditOutput

from tests.executors import tiny_edit_families as tiny
from tests.executors.exec_support import photo

pytestmark = pytest.mark.anyio
EDIT = "put this logo on the shirt"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    photo().save(tmp_path / "photo.png")
    photo(96).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "logo.png")
    return tmp_path


@pytest.fixture(scope="module")
def klein(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return tiny.build_tiny_klein(tmp_path_factory.mktemp("klein") / "klein")


@pytest.fixture
def cfg(work: Path, klein: Path, tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    data = tmp_path_factory.mktemp("data")
    return ServerConfig.create(
        roots=[str(work), str(klein)], out=work / "out", base=work, data_dir=str(data)
    )


def text_of(result) -> str:  # type: ignore[no-untyped-def]
    return "".join(c.text for c in result.content if c.type == "text")


async def test_the_schema_takes_guidance_and_refuses_anything_else(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        schema = tools["plan_edit"].input_schema
        assert schema["$defs"]["EditGuidance"]["required"] == ["image"]
        assert "guidance" in schema["properties"]
        bad = await client.call_tool(
            "plan_edit", {"image": "photo.png", "edit": EDIT, "guidance": {"image": "logo.png", "weight": 1}}
        )  # fmt: skip
        assert bad.is_error and "weight" in text_of(bad)
    assert PlanEditInput(edit=EDIT, guidance={"image": "logo.png"}).guidance is not None


async def test_plan_edit_confines_and_records_the_reference(cfg: ServerConfig, work: Path) -> None:
    async with Client(build_server(cfg)) as client:
        args = {"image": "photo.png", "edit": EDIT, "guidance": {"image": "logo.png"},
                "preferences": {"hardware": "gpu-80gb", "priority": "quality"}}  # fmt: skip
        result = await client.call_tool("plan_edit", args)
        assert not result.is_error, text_of(result)
        out = PlanEditOutput.model_validate(result.structured_content)
        assert out.plan.request.guidance is not None
        assert out.plan.request.guidance.image == str(work / "logo.png")
        assert out.plan.model.family == "qwen-image-edit"
        assert "reference" in {i.role for i in out.provenance.inputs}
        for ref, words in [("/etc/hostname", "outside"), ("nope.png", "not found")]:
            bad = await client.call_tool("plan_edit", {**args, "guidance": {"image": ref}})
            assert bad.is_error and words in text_of(bad).lower(), text_of(bad)


async def test_run_edit_runs_the_reference_on_klein_and_takes_a_version(
    cfg: ServerConfig, klein: Path, work: Path
) -> None:
    request = {"image": "photo.png", "edit": EDIT, "guidance": {"image": "logo.png"},
               "preferences": {"priority": "latency", "hardware": "gpu-24gb", "steps": 2}}  # fmt: skip
    model = [{"field": "model.id", "op": "set", "value": str(klein)}]
    async with Client(build_server(cfg)) as client:
        # a tiny random model's result fails QA: keep_failed makes it current all the same
        args = {"request": request, "overrides": model, "session": "chat", "keep_failed": True}
        result = await client.call_tool("run_edit", args)
        assert not result.is_error, text_of(result)
        out = RunEditOutput.model_validate(result.structured_content)
        executor = out.provenance.executor or {}
        assert (executor["family"], executor["pipeline"]) == ("flux2-klein", "Flux2KleinPipeline")
        assert executor["params"]["reference"] == "given"  # read by the tool, confined
        assert executor["params"]["reference_size"] == "96x96"
        assert "reference" in {i.role for i in out.provenance.inputs}
        assert Image.open(out.result.path).size == (64, 64)
        # the session's current version (that result) as the reference of the next plan
        again = {"image": "photo.png", "edit": EDIT, "session": "chat",
                 "guidance": {"image": "@current"}}  # fmt: skip
        planned = await client.call_tool("plan_edit", again)
        assert not planned.is_error, text_of(planned)
        plan = PlanEditOutput.model_validate(planned.structured_content).plan
        assert plan.request.guidance is not None
        assert plan.request.guidance.image == f"@{out.version}"


def test_a_reference_for_a_plan_without_one_names_plan_edits_guidance(tmp_path: Path) -> None:
    """The refusal names the setting as data: guidance.image through MCP, --reference in the CLI."""
    photo().save(tmp_path / "photo.png")
    request = EditRequest(image=str(tmp_path / "photo.png"), edit="make it brighter")
    plan = make_plan(request, analyze(request))
    with pytest.raises(InputError) as caught:
        read_reference(plan, photo())
    assert "--" not in str(caught.value)
    assert tool_error(caught.value, "run_edit").endswith("(plan_edit's `guidance.image`)")
    assert error_line(caught.value).endswith("(--reference IMG)")
