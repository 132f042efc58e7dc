"""The edit history in the MCP tools: version references as images, the ``history`` and ``revert``
tools, and the ``retouch://version/<id>.png`` resource.

    image="@current~1", session="chat"  ->  Source(path=<the store's PNG>, version=<that Version>)
    run_edit(..., session="chat")        ->  the result recorded as a new version (tool_edit.py)

The store (``cfg.store``, server/history/store.py) lies outside the roots on purpose: a version's image is
read through the store by its reference, never through a path an agent gives, so version
references do not widen what the roots allow. A plan made from a version names it by its full id
(``@3f2a9c1d0b2e``), not ``@current``, so the plan still means the same image after the session
moves on.

Sessions are private to the principal that first named them (server/mcp/auth.py): over HTTP with a
token file a caller resolves versions only within its own sessions, ``history``, ``revert`` and
``retouch://version/...`` refuse another's, and no error names another principal's session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from retouch.planner.contract.errors import InputError, StoreError
from retouch.server.history.hooks import (
    HistoryInput,
    RevertInput,
    RevertOutput,
    history_tool,
    resolve_source,
    revert_tool,
    source_path,
)
from retouch.server.history.tree import (
    HistoryTree,
    Version,
    check_session,
    format_tree,
    is_version_ref,
    parse_ref,
)
from retouch.server.mcp.auth import principal
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.toolkit import Hints, ToolSpec, reply

if TYPE_CHECKING:
    from PIL import Image

VERSION_URI = "retouch://version/{id}.png"
_FULL_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class Source:
    """The image a tool reads: a file (under the roots, or a base64 upload) or a stored version."""

    path: Path  # the file read: the confined path, or the store's immutable PNG of the version
    version: Version | None = None

    @property
    def ref(self) -> str:
        """What a request names: ``@<full id>`` for a version, else the file's path."""
        return f"@{self.version.id}" if self.version else str(self.path)

    @property
    def version_id(self) -> str | None:
        return self.version.id if self.version else None


def find_version(cfg: ServerConfig, ref: str, session: str | None, what: str = "image") -> Version:
    """The version ``ref`` names; with ``session`` it must belong to that session. StoreError (one
    line, from the store) for a missing, foreign or ambiguous reference."""
    if session is None and parse_ref(ref).is_current:
        raise InputError(
            f"{what} {ref} names a session's current version; also pass session (the name "
            "of this conversation's session)"
        )
    return cfg.store.resolve(ref, session, principal())


def image_source(
    cfg: ServerConfig,
    image: str | None,
    b64: str | None,
    session: str | None,
    what: str = "image",
) -> Source:
    """Resolve a tool's image argument: ``@VERSION`` through the store, else a confined path or a
    base64 upload (``cfg.image_file``). Checks the pixel limit either way; decodes nothing."""
    if session is not None:
        check_session(session)
        if (owner := principal()) is not None:  # a session is its first user's (auth.py)
            cfg.store.check_owner(session, owner, claim=True)
    if image is None or not is_version_ref(image):
        return Source(cfg.image_file(image, b64, what))
    if b64 is not None:
        raise InputError(f"give exactly one of {what} (a path or @VERSION) and {what}_base64")
    version = find_version(cfg, image, session, what)
    path = source_path(f"@{version.id}", cfg.store, version.session)
    cfg.check_pixels(path, what)
    return Source(path, version)


def load_source(cfg: ServerConfig, src: Source, what: str = "image") -> Image.Image:
    """Decode a Source: a file through ``cfg.load_image``, a version through the store (which
    checks the bytes against their sha256)."""
    if src.version is None:
        return cfg.load_image(src.path, what)
    image, _ = resolve_source(src.ref, cfg.store, src.version.session)
    return image


def run_session(session: str | None, src: Source) -> tuple[str | None, str | None]:
    """(session to record a run in, parent version id): the given session, else the source
    version's own; (None, None) for a file source and no session (nothing is recorded)."""
    if src.version is None:
        return session, None
    return session or src.version.session, src.version.id


# ------------------------------------------------------------------------------------- the tools


def history(cfg: ServerConfig, args: HistoryInput) -> HistoryTree:
    """The ``history`` tool: a session's versions as a flat tree (StoreError for no session)."""
    cfg.store.check_owner(args.session, principal())
    return history_tool(cfg.store, args)


def revert(cfg: ServerConfig, args: RevertInput) -> RevertOutput:
    """The ``revert`` tool: make an earlier version current; nothing is deleted."""
    cfg.store.check_owner(args.session, principal())
    return revert_tool(cfg.store, args)


def version_image(cfg: ServerConfig, version_id: str) -> bytes:
    """The PNG bytes of version ``version_id`` (its full 12-hex id), for the resource. Raises
    StoreError for an id that is malformed or names no version."""
    if not _FULL_ID.fullmatch(version_id):
        raise StoreError(
            f"{version_id!r} is not a version id; the URI is retouch://version/<12 hex>.png"
        )
    store = cfg.store
    return store.image_png(store.get(version_id, principal()))  # a CMYK one: shown as RGB


# ------------------------------------------------------------------------------------- the tools


async def _history_tool(cfg: ServerConfig, args: HistoryInput, ctx: Context) -> CallToolResult:
    tree = await anyio.to_thread.run_sync(history, cfg, args)
    return reply(tree, format_tree(tree))


async def _revert_tool(cfg: ServerConfig, args: RevertInput, ctx: Context) -> CallToolResult:
    out = await anyio.to_thread.run_sync(revert, cfg, args)
    summary = (
        f"Session {out.session!r}: current is now @{out.current.id} ({out.current.edit}). "
        f"{out.next_step}."
    )
    return reply(out, summary)


HISTORY = ToolSpec(
    "history",
    "Show a session's versions",
    "A session's versions as a tree: each one's id, parent, time, edit and children (two "
    "= a branch), and which is current (where image '@current' starts). Writes nothing.",
    HistoryInput,
    HistoryTree,
    _history_tool,
    Hints(read_only=True, idempotent=True),
)
REVERT = ToolSpec(
    "revert",
    "Go back to an earlier version",
    "Make an earlier version current (undo: version '@current~1'); editing it starts a "
    "branch. Nothing is deleted: every version stays addressable as @ID.",
    RevertInput,
    RevertOutput,
    _revert_tool,
    # not idempotent: a relative version (@current~1) goes further back on every call
    Hints(read_only=False, idempotent=False),
)
