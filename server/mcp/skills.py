"""The MCP Skills extension (``io.modelcontextprotocol/skills``, SEP-2640) serving the skills.

The skills ship as package data (``server/skills/<name>/``; the checkout's ``skills/`` links to it),
found through ``importlib.resources`` so an installed wheel serves them as the checkout does. A
server with no skill to serve refuses to start.

Each skill folder (``skills/<name>/SKILL.md`` plus its other files) is published as resources
``skill://<name>/<file-path>``, read with the ordinary ``resources/read``. Two extension methods
describe them:

- ``skills/list`` -> ``{skills: [Skill], ttlMs, cacheScope}``
- ``skills/get {uri}`` -> ``{skill: Skill, ttlMs, cacheScope}``; an unknown URI is error -32602.

A ``Skill`` entry carries the SKILL.md frontmatter verbatim (parsed YAML) and a complete manifest:
every file with ``digest`` = ``sha256:<64 hex>`` of its raw bytes and ``size`` in bytes. Files are
read from disk on every call, so the manifest and the served bytes always agree.

The extension is advertised under ``capabilities.extensions`` in both eras. The SDK drops that field
from a 2025-11-25 ``initialize`` result (the legacy schema has no ``extensions``), but clients such
as the MCP Inspector read it there on legacy connections too, so ``legacy_advertisement`` (a server
middleware) adds it back to the handshake result.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp.server.extension import Extension, MethodBinding, ResourceBinding
from mcp.server.mcpserver.resources import Resource
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PaginatedRequestParams, RequestParams
from pydantic import BaseModel, ConfigDict, Field

SKILLS_EXTENSION = "io.modelcontextprotocol/skills"
SKILL_FILE = "SKILL.md"
LIST_TTL_MS = 60_000  # a freshness hint only; digests are what a host verifies


def default_skills_dir() -> Path:
    """The packaged skills folder (``server/skills``), wherever the package is installed."""
    from importlib.resources import files

    return Path(str(files("retouch.server") / "skills"))


async def legacy_advertisement(ctx: Any, call_next: Any) -> Any:
    """Server middleware: declare the extension in a handshake-era ``initialize`` result too."""
    result = await call_next(ctx)
    if ctx.method == "initialize" and isinstance(result, dict):
        caps = result.setdefault("capabilities", {})
        caps.setdefault("extensions", {}).setdefault(SKILLS_EXTENSION, {})
    return result


class SkillResource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uri: str = Field(description="Resource URI of the file.")
    digest: str = Field(description="sha256:<64 lowercase hex> of the file's raw bytes.")
    size: int = Field(description="Length of the file's raw bytes.")


class Skill(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uri: str = Field(description="Resource URI of the skill's SKILL.md.")
    frontmatter: dict[str, Any] = Field(description="SKILL.md YAML frontmatter, verbatim.")
    resources: list[SkillResource] = Field(
        description="Every file of the skill, SKILL.md included."
    )


class GetSkillParams(RequestParams):
    uri: str = Field(description="URI of the skill's SKILL.md.")


def split_frontmatter(text: str) -> str | None:
    """The YAML between a leading ``---`` line and the next ``---`` line; None if there is none."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip(" \t") != "---":
        return None
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip("\r\n").rstrip(" \t") == "---":
            return "".join(lines[1:i])
    return None


def read_frontmatter(skill_md: Path) -> dict[str, Any]:
    """Parse SKILL.md's frontmatter; ValueError names the file if it is missing or not a mapping."""
    import yaml

    block = split_frontmatter(skill_md.read_text(encoding="utf-8"))
    if block is None:
        raise ValueError(f"{skill_md} has no YAML frontmatter; start it with a --- block")
    data = yaml.safe_load(block)
    if not isinstance(data, dict) or not data.get("name") or not data.get("description"):
        raise ValueError(f"{skill_md} frontmatter needs at least name and description")
    return data


def _mime(path: Path) -> str:
    if path.suffix == ".md":
        return "text/markdown"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class SkillFile(Resource):
    """One file of a skill, served as text (UTF-8) or bytes exactly as it is on disk."""

    path: Path = Field(exclude=True, description="The file on disk.")

    async def read(self) -> str | bytes:
        data = self.path.read_bytes()
        if self.mime_type.startswith("text/"):
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data
        return data


class SkillsExtension(Extension):
    """Serves every ``<root>/<name>/SKILL.md`` folder as a skill ``skill://<name>/SKILL.md``."""

    identifier = SKILLS_EXTENSION

    def __init__(self, root: Path | None = None) -> None:
        self.root = root = root if root is not None else default_skills_dir()
        self.folders = (
            sorted(p.parent for p in root.glob(f"*/{SKILL_FILE}")) if root.is_dir() else []
        )
        if not self.folders:
            from retouch.planner.contract.errors import ModelMissingError

            raise ModelMissingError(
                f"no skills to serve: {root} has no <name>/{SKILL_FILE}; reinstall retouch "
                "(the wheel ships server/skills) or check the installation"
            )
        for folder in self.folders:  # fail at start-up, not on the first skills/list
            name = read_frontmatter(folder / SKILL_FILE)["name"]
            if name != folder.name:
                raise ValueError(f"skill folder {folder} declares name {name!r}; they must match")

    def _files(self, folder: Path) -> list[Path]:
        files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
        return sorted(files, key=lambda p: (p.name != SKILL_FILE or p.parent != folder, str(p)))

    @staticmethod
    def uri(folder: Path, file: Path) -> str:
        return f"skill://{folder.name}/{file.relative_to(folder).as_posix()}"

    def entry(self, folder: Path) -> Skill:
        """The skill's entry, digests computed from the bytes on disk now."""
        manifest = []
        for f in self._files(folder):
            data = f.read_bytes()
            manifest.append(
                SkillResource(
                    uri=self.uri(folder, f),
                    size=len(data),
                    digest="sha256:" + hashlib.sha256(data).hexdigest(),
                )
            )
        return Skill(
            uri=self.uri(folder, folder / SKILL_FILE),
            frontmatter=read_frontmatter(folder / SKILL_FILE),
            resources=manifest,
        )

    def settings(self) -> dict[str, Any]:
        return {}

    def resources(self) -> Sequence[ResourceBinding]:
        out = []
        for folder in self.folders:
            front = read_frontmatter(folder / SKILL_FILE)
            for f in self._files(folder):
                is_entry = f == folder / SKILL_FILE
                out.append(
                    ResourceBinding(
                        SkillFile(
                            uri=self.uri(folder, f),
                            path=f,
                            mime_type=_mime(f),
                            name=front["name"]
                            if is_entry
                            else f"{front['name']}/{f.relative_to(folder)}",
                            description=front["description"] if is_entry else None,
                        )
                    )
                )
        return out

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
        )

    async def _list(self, ctx: Any, params: PaginatedRequestParams) -> dict[str, Any]:
        skills = [self.entry(f).model_dump(mode="json") for f in self.folders]
        return {"skills": skills, "ttlMs": LIST_TTL_MS, "cacheScope": "public"}

    async def _get(self, ctx: Any, params: GetSkillParams) -> dict[str, Any]:
        for folder in self.folders:
            if self.uri(folder, folder / SKILL_FILE) == params.uri:
                return {
                    "skill": self.entry(folder).model_dump(mode="json"),
                    "ttlMs": LIST_TTL_MS,
                    "cacheScope": "public",
                }
        known = ", ".join(self.uri(f, f / SKILL_FILE) for f in self.folders) or "none"
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"{params.uri} is not a skill this server serves (serves: {known})",
        )
