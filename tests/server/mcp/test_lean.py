"""The lean interface, measured on real tool calls through an in-memory client (issue 18):
tools/list <= 20,000 characters, plan_edit's text <= 4,000, history/revert <= 1,500 per version,
results with images <= 1 MB, a comparison >= 512 px tall with a zoomed row for a small region,
masks as base64, and the plan's full schema as a resource."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.planner.contract.schema import EditPlan
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import PlanEditOutput, RunEditOutput

pytestmark = pytest.mark.anyio
TOOLS_LIST_MAX = 20_000
PLAN_TEXT_MAX = 4_000
PER_VERSION_MAX = 1_500
RESULT_MAX = 1_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    """photo.png (512x512), a small mask (2% of it), and big.png: 2400x1800 of noise (JPEG-hostile)
    around a red block, with a small mask too."""
    astronaut.save(tmp_path / "photo.png")
    mask = np.zeros((512, 512), np.uint8)
    mask[40:120, 380:460] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (1800, 2400, 3), dtype=np.uint8)
    noise[140:260, 1950:2150] = (230, 20, 20)  # an object for GrabCut to find
    Image.fromarray(noise).save(tmp_path / "big.png")
    big = np.zeros((1800, 2400), np.uint8)
    big[100:300, 1900:2200] = 255
    Image.fromarray(big, "L").save(tmp_path / "big-mask.png")
    return tmp_path


@pytest.fixture
def cfg(work: Path, tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    data = tmp_path_factory.mktemp("data")
    return ServerConfig.create(out=work / "out", base=work, data_dir=str(data))


def text_of(result) -> str:  # type: ignore[no-untyped-def]
    return "".join(c.text for c in result.content if c.type == "text")


async def ok(client: Client, tool: str, args: dict):  # type: ignore[no-untyped-def]
    """A successful call; the client has already checked structuredContent against the published
    output schema (mcp.Client validates every result)."""
    result = await client.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    return result


async def test_tools_list_fits_in_20k_characters(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        listed = await client.list_tools()
    size = len(listed.model_dump_json(by_alias=True, exclude_none=True))
    assert size <= TOOLS_LIST_MAX, f"tools/list is {size} characters"
    for tool in listed.tools:  # every schema is self-contained: a client resolves no remote $ref
        for schema in (tool.input_schema, tool.output_schema):
            refs = [p.split('"')[0] for p in json.dumps(schema).split('"$ref": "')[1:]]
            assert all(r.startswith("#/$defs/") for r in refs), (tool.name, refs)


async def test_the_plan_is_described_once_as_a_resource(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        plan = listed["plan_edit"].output_schema["properties"]["plan"]
        assert "retouch://schema/plan.json" in plan["description"]
        assert set(plan["properties"]) == {"runnable", "missing", "degraded"}
        read = await client.read_resource("retouch://schema/plan.json")
    assert json.loads(read.contents[0].text) == EditPlan.model_json_schema(by_alias=True)


@pytest.mark.parametrize(
    ("edit", "extra"),
    [
        ("remove the object", {"mask": "mask.png"}),
        ("replace the sky with a sunset", {}),
        ("extend the canvas by 256 px on the left", {}),
        ("make it look like winter", {}),
        ("remove the object", {"sam": {"box": [380, 40, 460, 120]}}),
    ],
)
async def test_plan_edit_text_is_short_and_keeps_the_decisions(
    cfg: ServerConfig, edit: str, extra: dict
) -> None:
    async with Client(build_server(cfg)) as client:
        result = await ok(client, "plan_edit", {"image": "photo.png", "edit": edit, **extra})
    text = text_of(result)
    out = PlanEditOutput.model_validate(result.structured_content)
    assert len(text) <= PLAN_TEXT_MAX, f"{len(text)} characters"
    assert out.plan_id in text and out.plan.mode in text
    assert all(r.id in text for r in out.plan.rules)  # every rule, with its reason when it fits
    assert out.plan_file.uri in text  # the checklist by reference
    linked = {c.uri for c in result.content if c.type == "resource_link"}
    assert out.plan_file.uri in linked


async def test_history_and_revert_stay_under_1500_characters_per_version(
    cfg: ServerConfig,
) -> None:
    async with Client(build_server(cfg)) as client:
        planned = await ok(
            client, "plan_edit", {"image": "photo.png", "mask": "mask.png", "edit": "remove it"}
        )
        pid = planned.structured_content["plan_id"]
        for _ in range(3):
            await ok(client, "run_edit", {"plan": pid, "session": "chat"})
        history = await ok(client, "history", {"session": "chat"})
        revert = await ok(client, "revert", {"session": "chat", "version": "@current~1"})
    versions = len(history.structured_content["versions"])
    assert versions == 4  # the original and three edits
    assert len(history.model_dump_json()) <= PER_VERSION_MAX * versions
    assert len(revert.model_dump_json()) <= PER_VERSION_MAX


async def test_results_with_images_fit_in_1_mb_and_link_the_full_size(
    cfg: ServerConfig, work: Path
) -> None:
    async with Client(build_server(cfg)) as client:
        masked = await ok(
            client, "make_mask", {"image": "big.png", "sam": {"box": [1900, 100, 2200, 300]}}
        )
        planned = await ok(
            client, "plan_edit", {"image": "big.png", "mask": "big-mask.png", "edit": "remove it"}
        )
        run = await ok(client, "run_edit", {"plan": planned.structured_content["plan_id"]})
    for result in (masked, run):
        size = len(result.model_dump_json(by_alias=True, exclude_none=True))
        assert size <= RESULT_MAX, f"{size} characters"
    out = RunEditOutput.model_validate(run.structured_content)
    assert Image.open(out.result.path).size == (2400, 1800)  # full size behind the link
    assert out.result.uri in {c.uri for c in run.content if c.type == "resource_link"}


async def test_comparison_is_512_px_tall_and_zooms_on_a_small_region(
    cfg: ServerConfig, work: Path
) -> None:
    full = np.zeros((512, 512), np.uint8)
    full[100:420, 100:420] = 255  # 39% of the image
    Image.fromarray(full, "L").save(work / "large-mask.png")
    async with Client(build_server(cfg)) as client:
        sizes = []
        for mask in ("mask.png", "large-mask.png"):
            planned = await ok(
                client, "plan_edit", {"image": "photo.png", "mask": mask, "edit": "remove it"}
            )
            # the large mask takes in the astronaut's face: the fill runs only when asked for
            args = {"plan": planned.structured_content["plan_id"], "executor": "classical"}
            run = await ok(client, "run_edit", args)
            out = RunEditOutput.model_validate(run.structured_content)
            shown = [c for c in run.content if c.type == "image"]
            inline = Image.open(io.BytesIO(base64.b64decode(shown[-1].data)))
            assert inline.size == Image.open(out.comparison.path).size
            sizes.append(inline.size)
    # a 2% region: source | result, and under it the two zoomed on the region
    assert sizes[0][1] >= 2 * 512
    # a region covering most of the image: one row, 512 px tall
    assert sizes[1][1] == 512


async def test_masks_can_be_passed_as_base64(cfg: ServerConfig, work: Path) -> None:
    mask_b64 = base64.b64encode((work / "mask.png").read_bytes()).decode()
    async with Client(build_server(cfg)) as client:
        planned = await ok(
            client,
            "plan_edit",
            {"image": "photo.png", "mask_base64": mask_b64, "edit": "remove the object"},
        )
        out = PlanEditOutput.model_validate(planned.structured_content)
        assert out.plan.mask.source == "given" and "/inputs/" in out.plan.request.mask
        run = await ok(client, "run_edit", {"plan": out.plan_id, "mask_base64": mask_b64})
        assert RunEditOutput.model_validate(run.structured_content).mask is not None
        both = await client.call_tool(
            "plan_edit",
            {"image": "photo.png", "mask": "mask.png", "mask_base64": mask_b64, "edit": "x"},
        )
        too_big = await client.call_tool(
            "plan_edit", {"image": "photo.png", "mask_base64": "A" * (5 << 20), "edit": "x"}
        )
    assert both.is_error and "exactly one of mask" in text_of(both)
    assert too_big.is_error and "3 MiB" in text_of(too_big)
