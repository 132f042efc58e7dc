"""What the MCP server offers besides tools: resources for its files and versions, and the
``edit-image`` prompt.

    retouch://out/<path>.{png,jpg,json,md}   files under the output folder (plans, skill docs,
                                             masks, results, previews, provenance)
    retouch://out/<path>.{ora,psd}           an edit's layers as one layered file
    retouch://version/<id>.png               a history version's image, read through the store
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from pydantic import Field
from retouch.server.mcp import history as tool_history
from retouch.server.mcp.config import ServerConfig


def _reader(cfg: ServerConfig, ext: str) -> Callable[[str], str | bytes]:
    def read(path: str) -> str | bytes:
        from retouch.planner.contract.bounds import check_path_text
        from retouch.planner.contract.errors import InputError

        try:  # a name the OS cannot take (over 255 bytes, a NUL) is a clean error, not OSError
            check_path_text(f"{path}.{ext}", "resource")
            real = (cfg.out_dir / f"{path}.{ext}").resolve()
            found = cfg.out_dir in real.parents and real.is_file()
        except (InputError, OSError) as exc:
            raise ResourceNotFoundError(
                f"no file {path[:64]}... in the output folder: {exc}"
            ) from exc
        if not found:
            raise ResourceNotFoundError(f"no file {path}.{ext} in the output folder")
        try:
            data = real.read_bytes()
        except OSError as exc:
            raise ResourceError(f"cannot read {path}.{ext} ({exc.strerror})") from exc
        return data.decode("utf-8") if ext in ("json", "md") else data

    return read


def add_resources(app: MCPServer, cfg: ServerConfig) -> None:
    """retouch://out/<path>.<ext>: the files under the output folder, one template per type;
    retouch://version/<id>.png: a version's image from the history store."""
    for ext, mime in (
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("json", "application/json"),
        ("md", "text/markdown"),
        ("ora", "image/openraster"),
        ("psd", "image/vnd.adobe.photoshop"),
    ):
        app.resource(
            f"retouch://out/{{+path}}.{ext}",
            name=f"output-{ext}",
            mime_type=mime,
            description=f"A .{ext} file under the output folder: plans, skill docs, "
            "masks, results, previews, provenance.",
        )(_reader(cfg, ext))

    @app.resource(
        tool_history.VERSION_URI,
        name="version-image",
        mime_type="image/png",
        description="A history version's image (PNG as stored: mode, alpha and ICC profile "
        "kept), by its 12-hex id; run_edit returns it as version_uri.",
    )
    def version_image(id: str) -> bytes:  # noqa: A002 - the URI template's parameter name
        from retouch.planner.contract.errors import StoreError

        try:
            return tool_history.version_image(cfg, id)
        except StoreError as exc:
            raise ResourceNotFoundError(str(exc)) from exc


def add_prompt(app: MCPServer) -> None:
    @app.prompt(
        name="edit-image",
        title="Edit an image with retouch",
        description="Walks through plan -> mask -> edit -> check for one image edit.",
    )
    def edit_image(
        image: Annotated[str, Field(description="Path of the image to edit, under the roots.")],
        edit: Annotated[str, Field(description="The edit in plain words, e.g. 'remove the sign'.")],
    ) -> str:
        return (
            f"Edit the image {image!r}: {edit}.\n"
            "1. Look at the image and write `scene`: one sentence describing the whole image as it "
            "should look after the edit.\n"
            "2. Decide where: a mask path, a Segment Anything prompt (points {x, y, label} in "
            "pixels, label 1 on the object, 0 on background, or a box [x0, y0, x1, y1]), a canvas "
            "extension for outpainting, or nothing for a whole-image change.\n"
            f"3. Call plan_edit with image={image!r}, edit={edit!r}, scene and the region. Read "
            "the plan's rules, warnings and estimate; if plan.runnable is false, tell the user what "
            "plan.missing lists; if plan.degraded is not empty, say what will stand in.\n"
            "4. If plan.mask.source is sam-points or sam-box, call make_mask with the same image "
            "and prompt, look at the overlay, adjust the points if it is wrong.\n"
            "5. Call run_edit with the plan_id (and mask=<the mask path> from step 4) and "
            "session=<a name for this conversation>: the result becomes a version of the session. "
            "With the MCP Tasks extension it answers with a task: poll tasks/get every "
            "pollIntervalMs until completed, then read its result as run_edit's reply.\n"
            "6. Read run_edit's `degraded` first: each entry is something that ran instead of the "
            "plan (the weight-free fill for a model, GrabCut for Segment Anything...), with its "
            "fix. Then its `verdict`: failed -> rerun with overrides = the failed checks' fix "
            "changes (at most twice) or explain; degraded or clean-but-unverified -> look at the "
            "comparison image before saying it is done; verified -> the content check passed. "
            "check_edit re-measures any result.\n"
            "7. Report the result path and what actually ran: start with any substitution in "
            "`degraded`, then the model, seed and steps (provenance) and the verdict in its own "
            "words; never call an unverified or degraded result done without saying so.\n"
            "Later edits in this conversation start from image='@current' with the same session; "
            "history shows every version, revert (e.g. to '@current~1') goes back."
        )
