"""The edit-history store's records, version references and the version tree: its pure half.

Nothing here touches SQLite or the disk; ``server/history/store.py`` reads rows and calls these.

Version reference grammar (case-insensitive; a leading ``@`` is optional everywhere)::

    ref     := base [ "~" N ]          N >= 0 steps back through parents ("go back one" = current~1)
    base    := "current"               the session's current version (needs a session)
             | HEX{4,32}               a full version id or a unique prefix of one (at least 4 chars)

Examples: ``@3f2a9c1d0b2e``, ``3f2a``, ``@current``, ``current~1``, ``3f2a~2``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.errors import InputError, StoreError

ID_LENGTH = 12  # hex characters in a version id (48 random bits)
MIN_PREFIX = 4
_REF = re.compile(r"^@?(?P<base>current|[0-9a-f]{4,32})(?:~(?P<back>\d{1,6}))?$")  # MIN_PREFIX
_SESSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class VersionRef(BaseModel):
    """A parsed version reference (see the module docstring for the grammar)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str = Field(description='"current" or a lower-case hex id / id prefix.')
    back: int = Field(default=0, ge=0, description="How many parents to walk back from base.")

    @property
    def is_current(self) -> bool:
        return self.base == "current"


def parse_ref(ref: str) -> VersionRef:
    """Parse ``@ID``, ``ID``, an id prefix, ``current`` or any of them with ``~N``.

    Raises StoreError naming the accepted forms when ``ref`` matches none of them.
    """
    m = _REF.fullmatch(ref.strip().lower()) if isinstance(ref, str) else None
    if m is None:
        raise StoreError(
            f"{ref!r} is not a version reference; write @ID (an id or its first {MIN_PREFIX}+ "
            "characters), @current, or either with ~N to go N versions back"
        )
    return VersionRef(base=m["base"], back=int(m["back"] or 0))


def is_version_ref(text: str) -> bool:
    """True when ``text`` is written as a version reference (starts with ``@``), not a file path."""
    return text.startswith("@")


def check_session(name: str) -> str:
    """Validate a session name: 1-128 characters, letters, digits and ``._:-``, not starting with
    punctuation. Returns it unchanged; raises InputError otherwise."""
    if not isinstance(name, str) or not _SESSION.fullmatch(name):
        raise InputError(
            f"session name {name!r} is not valid; use 1-128 letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )
    return name


# ------------------------------------------------------------------------------------ records


class Version(BaseModel):
    """One recorded result. Immutable once written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Version id, 12 hex characters; refer to it as @ID.")
    session: str = Field(description="The session (conversation) it belongs to.")
    parent: str | None = Field(
        description="The version it was edited from; null when edited from a file."
    )
    created: str = Field(description="When it was recorded, ISO 8601 UTC.")
    edit: str = Field(description="The edit in words.")
    image_sha256: str = Field(
        description="sha256 of the result image's file in the store (PNG; TIFF for CMYK)."
    )
    mask_sha256: str | None = Field(
        default=None, description="sha256 of the edit mask's PNG (L, 255 = edited), if any."
    )
    comparison_sha256: str | None = Field(
        default=None, description="sha256 of the before/after comparison PNG, if any."
    )
    request: dict | None = Field(default=None, description="The EditRequest, as JSON.")
    plan: dict | None = Field(default=None, description="The EditPlan, as JSON.")
    qa: dict | None = Field(default=None, description="The QA report, as JSON.")
    provenance: dict | None = Field(
        default=None, description="How the result was made (executor, model, seed...), as JSON."
    )


class SessionInfo(BaseModel):
    """A session and where it stands."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Session name.")
    current: str | None = Field(description="Id of its current version.")
    versions: int = Field(ge=0, description="Number of versions.")
    updated: str = Field(description="Last time a version was added or reverted to, ISO 8601 UTC.")


class GcReport(BaseModel):
    """What ``Store.gc`` removed."""

    model_config = ConfigDict(extra="forbid")

    versions_removed: list[str] = Field(description="Ids of the pruned versions (keep_days only).")
    files_removed: int = Field(ge=0, description="Unreferenced object files deleted.")
    temp_files_removed: int = Field(
        ge=0, description="Stale temp files (from killed writes) deleted."
    )
    bytes_freed: int = Field(ge=0, description="Bytes of files deleted.")
    files_kept: int = Field(ge=0, description="Object files still referenced.")


# ------------------------------------------------------------------------------------------ the tree


class VersionNode(BaseModel):
    """One version in a session's tree: where it came from and what was made from it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Version id (12 hex characters); refer to it as @ID.")
    parent: str | None = Field(description="The version this one was edited from; null for a root.")
    created: str = Field(description="When it was recorded, ISO 8601 UTC.")
    edit: str = Field(description="The edit in words, as requested.")
    current: bool = Field(description="True for the session's current version.")
    children: list[str] = Field(
        default_factory=list,
        description="Ids of the versions edited from this one, oldest first; "
        "more than one means the history branches here.",
    )


class HistoryTree(BaseModel):
    """A session's versions as a tree, flat (each node lists its children's ids) so that a long
    conversation does not nest hundreds of levels deep."""

    model_config = ConfigDict(extra="forbid")

    session: str = Field(description="The session (one per conversation).")
    current: str | None = Field(description="Id of the current version; the next edit starts here.")
    roots: list[str] = Field(description="Ids of the versions edited from a file, oldest first.")
    versions: list[VersionNode] = Field(description="Every version, oldest first.")


def build_tree(session: str, rows: Iterable, current: str | None) -> HistoryTree:
    """Tree from versions in creation order (anything with id, parent, created, edit attributes).

    A version whose parent is not among ``rows`` counts as a root, so a pruned history still draws.
    """
    nodes: dict[str, VersionNode] = {}
    for v in rows:
        nodes[v.id] = VersionNode(
            id=v.id, parent=v.parent, created=v.created, edit=v.edit, current=v.id == current
        )
    roots = []
    for node in nodes.values():
        if node.parent in nodes:
            nodes[node.parent].children.append(node.id)
        else:
            roots.append(node.id)
    return HistoryTree(session=session, current=current, roots=roots, versions=list(nodes.values()))


def format_tree(tree: HistoryTree) -> str:
    """The tree as text, one version per line, depth-first. A first child continues its parent's
    column; a later child (a branch) is indented one step and says where it branched from; ``*``
    marks the current version::

        session chat: 4 version(s), current @9f8e7d6c5b4a
          a1b2c3d4e5f6  2026-01-02 10:00:00Z  remove the sign
          0b1c2d3e4f5a  2026-01-02 10:01:10Z  make the sky warmer
          77aa00112233  2026-01-02 10:02:30Z  warmer still
        *   9f8e7d6c5b4a  2026-01-02 10:03:42Z  make the sky cooler  (branch from @a1b2c3d4e5f6)
    """
    by_id = {n.id: n for n in tree.versions}
    lines = [
        f"session {tree.session}: {len(tree.versions)} version(s), current "
        f"{'@' + tree.current if tree.current else 'none'}"
    ]
    # iterative depth-first walk: a session may hold thousands of versions in one chain
    stack: list[tuple[str, int, bool]] = [(r, 0, False) for r in reversed(tree.roots)]
    while stack:
        node_id, depth, branch = stack.pop()
        node = by_id[node_id]
        when = node.created.replace("T", " ")[:19] + "Z"
        note = f"  (branch from @{node.parent})" if branch else ""
        lines.append(
            f"{'*' if node.current else ' '} {'  ' * depth}{node.id}  {when}  "
            f"{_one_line(node.edit)}{note}"
        )
        for i, child in reversed(list(enumerate(node.children))):
            stack.append((child, depth + (i > 0), i > 0))
    return "\n".join(lines)


def _one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
