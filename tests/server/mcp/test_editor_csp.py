"""The editor page's Content-Security-Policy (issue 31): a meta tag that allows exactly the page's
one inline script (by its SHA-256) and nothing from elsewhere, and the same promise to the host as
``_meta.ui.csp`` on the ui:// resource (MCP Apps: empty domain lists, no origin reachable)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.ui.editor import EDITOR_URI, editor_html

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_meta_csp_allows_only_the_pages_own_script() -> None:
    html = editor_html()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    rules = dict(r.strip().split(" ", 1) for r in policy.split(";"))
    script = html.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert rules["script-src"] == f"'sha256-{digest}'"  # no 'unsafe-inline', no other script
    assert rules["default-src"] == rules["connect-src"] == rules["base-uri"] == "'none'"
    assert rules["img-src"] == "data: blob:"
    assert html.index("Content-Security-Policy") < html.index("<script>")


async def test_the_resource_declares_its_csp_to_the_host(tmp_path: Path) -> None:
    cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path)
    apps = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]
    async with Client(build_server(cfg), extensions=apps) as client:
        listed = await client.list_resources()
        page = await client.read_resource(EDITOR_URI)
    metas = [r.meta for r in listed.resources if str(r.uri) == EDITOR_URI]
    metas.append(page.contents[0].meta)
    empty = {"connectDomains": [], "resourceDomains": [], "frameDomains": [], "baseUriDomains": []}
    assert any(m and m.get("ui", {}).get("csp") == empty for m in metas), metas
