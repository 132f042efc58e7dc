"""The skills extension (io.modelcontextprotocol/skills): skills/list, skills/get, digests, and the
official MCP Inspector's checks against `retouch serve` when node and npm are available."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import Request
from pydantic import TypeAdapter
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.skills import SKILLS_EXTENSION, SkillsExtension, split_frontmatter

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[3]
SKILL_DIR = REPO / "server" / "skills" / "retouch-editing"
CHECK = Path("/work/shared/tools/mcp-inspector-check")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cfg(tmp_path: Path) -> ServerConfig:
    return ServerConfig.create(out=tmp_path / "out", base=tmp_path)


async def ask(client: Client, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    request = Request[dict[str, Any] | None, str](method=method, params=params)
    return await client.session.send_request(request, TypeAdapter(dict[str, Any]))


async def test_skills_list_describes_every_file_with_digest_and_size(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        assert SKILLS_EXTENSION in client.server_capabilities.extensions
        listed = await ask(client, "skills/list")
        assert listed["ttlMs"] > 0 and listed["cacheScope"] == "public"
        (skill,) = listed["skills"]
        assert skill["uri"] == "skill://retouch-editing/SKILL.md"
        files = sorted(p for p in SKILL_DIR.rglob("*") if p.is_file())
        manifest = {r["uri"]: r for r in skill["resources"]}
        assert set(manifest) == {
            f"skill://retouch-editing/{p.relative_to(SKILL_DIR).as_posix()}" for p in files
        }
        for path in files:
            entry = manifest[f"skill://retouch-editing/{path.relative_to(SKILL_DIR).as_posix()}"]
            data = path.read_bytes()
            assert entry["size"] == len(data)
            assert entry["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
            read = (await client.read_resource(entry["uri"])).contents[0]
            served = (
                read.text.encode()
                if getattr(read, "text", None) is not None
                else base64.b64decode(read.blob)
            )
            assert served == data  # the bytes a host verifies against the digest
        text = (SKILL_DIR / "SKILL.md").read_text()
        assert skill["frontmatter"] == yaml.safe_load(split_frontmatter(text))
        got = await ask(client, "skills/get", {"uri": skill["uri"]})
        assert got["skill"] == skill
        with pytest.raises(MCPError) as err:
            await ask(client, "skills/get", {"uri": "skill://nope/SKILL.md"})
        assert err.value.error.code == -32602


async def test_a_changed_file_changes_its_digest(tmp_path: Path) -> None:
    root = tmp_path / "skills"
    shutil.copytree(SKILL_DIR, root / "retouch-editing")
    ext = SkillsExtension(root)
    before = {r.uri: r.digest for r in ext.entry(ext.folders[0]).resources}
    (root / "retouch-editing" / "references" / "plan-fields.md").write_text("changed\n")
    after = {r.uri: r.digest for r in ext.entry(ext.folders[0]).resources}
    changed = [uri for uri in before if before[uri] != after[uri]]
    assert changed == ["skill://retouch-editing/references/plan-fields.md"]


def test_a_skill_folder_must_match_its_name(tmp_path: Path) -> None:
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "SKILL.md").write_text("---\nname: other\ndescription: d\n---\nbody\n")
    with pytest.raises(ValueError, match="declares name 'other'"):
        SkillsExtension(tmp_path)


def test_frontmatter_split_matches_the_agent_skills_layout() -> None:
    assert split_frontmatter("---\nname: a\n---\nbody") == "name: a\n"
    assert split_frontmatter("no frontmatter") is None
    assert split_frontmatter("---\nname: a\nnever closed") is None


def _inspector_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    env.pop("RETOUCH_MCP_TOKEN", None)
    return env


@pytest.mark.node
@pytest.mark.slow
def test_mcp_inspector_strict_tools_and_verified_skills(tmp_path: Path) -> None:
    """tools/list --strict (schema portability) and skills/list --verify (SEP-2640) both exit 0."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("needs node and npm")
    if not CHECK.is_file():
        pytest.skip(f"{CHECK} is not on this machine")
    if not (Path(sys.executable).parent / "retouch").exists():
        pytest.skip("the retouch console script is not installed in this environment")
    proc = subprocess.run(
        [str(CHECK)],
        cwd=tmp_path,
        env=_inspector_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode == 2 and "could not install the Inspector" in proc.stderr:
        pytest.skip("the MCP Inspector could not be installed (no npm registry access)")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok   tools/list --strict" in proc.stdout
    assert "ok   skills/list --verify" in proc.stdout
