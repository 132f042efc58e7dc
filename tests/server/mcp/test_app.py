"""The editor app (MCP Apps, io.modelcontextprotocol/ui) through in-memory client sessions: what a
client with Apps and one without see, the page as a resource, and the app-only tools."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from PIL import Image
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import CommitMaskOutput, RunEditOutput
from retouch.server.mcp.ui.editor import EDITOR_URI, editor_html

pytestmark = pytest.mark.anyio
APPS = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cfg(tmp_path: Path, astronaut: Image.Image) -> ServerConfig:
    astronaut.resize((256, 192)).save(tmp_path / "photo.png")
    return ServerConfig.create(out=tmp_path / "out", base=tmp_path)


def painted(size: tuple[int, int], box: tuple[int, int, int, int]) -> str:
    """Base64 PNG the size of the image, white inside ``box`` (XYXY): what the page sends."""
    arr = np.zeros((size[1], size[0]), np.uint8)
    arr[box[1] : box[3], box[0] : box[2]] = 255
    buf = io.BytesIO()
    Image.fromarray(arr, "L").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


async def test_a_client_with_apps_sees_the_editor_and_its_tools(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg), extensions=APPS) as client:
        listed = await client.list_tools()
        page = await client.read_resource(EDITOR_URI)
    tools = {t.name: t for t in listed.tools}
    assert tools["make_mask"].meta["ui"] == {"resourceUri": EDITOR_URI}
    assert tools["run_edit"].meta["ui"] == {"resourceUri": EDITOR_URI}
    assert tools["commit_mask"].meta["ui"]["visibility"] == ["app"]
    assert tools["view_image"].meta["ui"]["visibility"] == ["app"]
    assert len(listed.model_dump_json(by_alias=True, exclude_none=True)) <= 20_000
    assert page.contents[0].mime_type == APP_MIME_TYPE
    assert page.contents[0].text == editor_html()


async def test_a_client_without_apps_gets_the_tools_as_before(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        listed = await client.list_tools()
    names = [t.name for t in listed.tools]
    assert "commit_mask" not in names and "view_image" not in names
    assert all(not (t.meta or {}).get("ui") for t in listed.tools)


def test_the_page_is_self_contained() -> None:
    """No network at run time: nothing loaded from elsewhere, no fetch, one document."""
    html = editor_html()
    for needle in ("http://", "https://", "<link", 'src="', "fetch(", "import ", "@import"):
        assert needle not in html, needle
    assert html.count("<script") == 1 and 'data-theme="dark"' in html


async def test_commit_mask_stores_the_painted_mask_for_plan_and_run(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg), extensions=APPS) as client:
        shown = await client.call_tool("view_image", {"image": "photo.png"})
        committed = await client.call_tool(
            "commit_mask",
            {"image": "photo.png", "mask_base64": painted((256, 192), (180, 20, 230, 70))},
        )
        assert not committed.is_error, committed.content[0].text
        out = CommitMaskOutput.model_validate(committed.structured_content)
        run = await client.call_tool(
            "run_edit",
            {"request": {"image": "photo.png", "edit": "remove the object", "mask": out.mask.path},
             "executor": "classical"},
        )  # fmt: skip
        wrong = await client.call_tool(
            "commit_mask", {"image": "photo.png", "mask_base64": painted((64, 64), (1, 1, 9, 9))}
        )
        empty = await client.call_tool(
            "commit_mask", {"image": "photo.png", "mask_base64": painted((256, 192), (0, 0, 0, 0))}
        )
    assert shown.structured_content == {
        "image": str(cfg.out_dir.parent / "photo.png"),
        "width": 256,
        "height": 192,
    }
    assert out.bbox == (180, 20, 230, 70) and Path(out.mask.path).parent.name == "masks"
    assert abs(out.area - 50 * 50 / (256 * 192)) < 1e-6
    assert not run.is_error, run.content[0].text
    assert RunEditOutput.model_validate(run.structured_content).verdict
    assert wrong.is_error and "64x64, the image is 256x192" in wrong.content[0].text
    assert empty.is_error and "empty" in empty.content[0].text
