"""What ``retouch edit --session`` and the MCP tools call to read from and record into the history.

    source = "@current~1"                       # or a file path
    image, parent = resolve_source(source, store, session)
    request = build_request(str(source_path(source, store, session)), ...)   # planner reads a file
    ... plan, out = run_plan(plan, image=image), report = check(image, out.image, ...)
    version = record_edit(store, session, parent, request, plan, out, comparison, report)

A source written ``@...`` is a version reference (server/history/tree.py); anything else is a path.
Editing a version that is not the session's current one starts a branch; nothing is overwritten.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import open_image
from retouch.server.history.files import encode_object
from retouch.server.history.store import Store, Version
from retouch.server.history.tree import HistoryTree, check_session, is_version_ref

if TYPE_CHECKING:  # Pillow loads when an image is recorded, not at a front's start
    from PIL import Image


def resolve_source(ref_or_path: str, store: Store, session: str) -> tuple[Image.Image, str | None]:
    """The source image of an edit and the version it comes from.

    ``@ID`` / ``@current`` / ``@current~N``: that version of ``session`` (StoreError if it is
    missing or another session's) -> (its image, its id). A path -> (the file's image, None): the
    edit will be a new root of the session's tree.
    """
    check_session(session)
    if is_version_ref(ref_or_path):
        version = store.resolve(ref_or_path, session)
        return store.load_image(version), version.id
    return open_image(ref_or_path), None


def source_path(ref_or_path: str, store: Store, session: str) -> Path:
    """A file holding the source, for code that reads images from paths (the planner's facts):
    for a version, its stored file (PNG or TIFF, immutable, named by its sha256); else the path."""
    if is_version_ref(ref_or_path):
        check_session(session)
        return store.object_path(store.resolve(ref_or_path, session).image_sha256)
    return Path(ref_or_path)


def record_edit(
    store: Store,
    session: str,
    parent: str | None,
    request: BaseModel | None,
    plan: BaseModel | None,
    output: Any,
    comparison: Image.Image | bytes | None = None,
    qa_report: BaseModel | None = None,
    source: Image.Image | None = None,
    make_current: bool = True,
) -> Version:
    """Record an executor's result as a new version of the session, its current one unless
    ``make_current`` is False (a result whose QA failed: ``@current`` goes back to ``parent``).

    ``output`` is executors.run.RunOutput (``.image`` PIL, ``.edit_mask`` bool (H, W) or None,
    ``.provenance`` pydantic). ``comparison`` is a PIL image or encoded image bytes (JPEG/PNG;
    stored as PNG). The edit text comes from ``request.edit``, else ``plan.request.edit``.
    ``source``: the image edited; when the edit started from a file (``parent`` None) it is
    recorded first as the session's root version, so undo (``@current~1``) reaches the original.
    """
    edit = getattr(request, "edit", None) or getattr(getattr(plan, "request", None), "edit", None)
    if not edit:
        raise InputError(
            "record_edit needs the EditRequest (or a plan holding one) for the edit text"
        )
    if isinstance(comparison, bytes | bytearray):
        from PIL import Image

        try:
            with Image.open(io.BytesIO(comparison)) as im:
                im.load()
                comparison = im.copy()
        except OSError as exc:
            raise InputError(f"the comparison image cannot be decoded ({exc})") from exc
    if parent is None and source is not None:
        parent = record_original(store, session, source, getattr(plan, "request", request)).id
    version = store.add_version(
        session,
        parent=parent,
        edit=edit,
        image=output.image,
        mask=getattr(output, "edit_mask", None),
        comparison=comparison,
        request=request,
        plan=plan,
        qa=qa_report,
        provenance=getattr(output, "provenance", None),
    )
    if not make_current and parent is not None:
        store.revert(session, f"@{parent}")
    return version


# ------------------------------------------------------------------------- the MCP tools' models


class HistoryInput(BaseModel):
    """Arguments of the ``history`` tool."""

    model_config = ConfigDict(extra="forbid")

    session: str = Field(description="The session (one per conversation) whose versions to list.")


class RevertInput(BaseModel):
    """Arguments of the ``revert`` tool."""

    model_config = ConfigDict(extra="forbid")

    session: str = Field(description="The session to move.")
    version: str = Field(
        description="The version to make current: @ID, an id prefix, or "
        "@current~N (N versions back; @current~1 = undo the last edit)."
    )


class RevertOutput(BaseModel):
    """Result of the ``revert`` tool."""

    model_config = ConfigDict(extra="forbid")

    session: str = Field(description="The session.")
    current: Version = Field(description="The version that is now current.")
    next_step: str = Field(description="What to do next, in one sentence.")


def history_tool(store: Store, args: HistoryInput) -> HistoryTree:
    """The ``history`` tool: the session's versions as a tree."""
    return store.tree(args.session)


def revert_tool(store: Store, args: RevertInput) -> RevertOutput:
    """The ``revert`` tool: make an earlier version current (nothing is deleted)."""
    version = store.revert(args.session, args.version)
    return RevertOutput(
        session=args.session,
        current=version,
        next_step=f"the next run_edit with image '@current' edits @{version.id}; "
        "an edit from it starts a new branch if it already has children",
    )


def record_original(store: Store, session: str, image: Image.Image, request: Any) -> Version:
    """The session's root version holding ``image`` as it was before any edit: an existing root
    with the same pixels is reused (editing the same file again branches from it)."""
    sha = hashlib.sha256(encode_object(image)).hexdigest()  # the store's own bytes
    if any(s.name == session for s in store.sessions()):
        for version in store.history(session):
            if version.parent is None and version.image_sha256 == sha:
                return version
    name = Path(str(getattr(request, "image", "") or "")).name or "the source file"
    return store.add_version(session, parent=None, edit=f"original ({name})", image=image)
