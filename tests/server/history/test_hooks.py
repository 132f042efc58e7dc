"""server/history/hooks.py end to end: plan, run (the weight-free classical fill), check, record;
then edit @current, undo, and edit an older version into a branch."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from retouch.planner.contract.errors import InputError, StoreError
from retouch.planner.contract.schema import EditRequest
from retouch.server.history.hooks import (
    HistoryInput,
    RevertInput,
    history_tool,
    record_edit,
    resolve_source,
    revert_tool,
    source_path,
)
from retouch.server.history.store import Store


@pytest.fixture
def photo(tmp_path: Path, coffee: Image.Image) -> Path:
    p = tmp_path / "coffee.png"
    coffee.resize((64, 48)).save(p)
    return p


def _edit(
    store: Store,
    session: str,
    source: str,
    tmp_path: Path,
    box: tuple[int, ...],
    comparison_as_bytes: bool = False,
):  # type: ignore[no-untyped-def]
    """What `retouch edit SOURCE "remove the spot" --mask M --session S` does with the hooks."""
    from retouch.executors.qa.check import check
    from retouch.executors.run import run_plan
    from retouch.planner import analyze, make_plan
    from retouch.server.requests import build_request

    image, parent = resolve_source(source, store, session)
    mask = np.zeros((image.height, image.width), dtype=np.uint8)
    mask[box[1] : box[3], box[0] : box[2]] = 255
    mask_path = tmp_path / f"mask-{box[0]}.png"
    Image.fromarray(mask, "L").save(mask_path)
    request = build_request(
        str(source_path(source, store, session)), "remove the spot", mask=str(mask_path)
    )
    plan = make_plan(request, analyze(request))
    out = run_plan(plan, image=image, executor="classical")
    report = check(image, out.image, out.edit_mask, plan)
    comparison: Image.Image | bytes = Image.fromarray(
        np.hstack([np.asarray(image.convert("RGB")), np.asarray(out.image.convert("RGB"))])
    )
    if comparison_as_bytes:
        buf = io.BytesIO()
        comparison.save(buf, format="JPEG")
        comparison = buf.getvalue()
    version = record_edit(store, session, parent, request, plan, out, comparison, report)
    return version, out


def test_edit_record_undo_branch(tmp_path: Path, photo: Path) -> None:
    store = Store(tmp_path / "data")
    v1, out1 = _edit(store, "chat", str(photo), tmp_path, (10, 10, 20, 20))
    assert v1.parent is None and v1.edit == "remove the spot"
    assert v1.plan is not None and v1.plan["mode"] == "inpaint"
    assert v1.qa is not None and "passed" in v1.qa
    assert v1.provenance is not None and v1.provenance["executor"] == "classical"
    assert np.array_equal(np.asarray(store.load_image(v1)), np.asarray(out1.image))
    assert np.array_equal(store.load_mask(v1), out1.edit_mask)
    assert store.load_comparison(v1).size == (128, 48)
    # the next edit starts from @current: its source is exactly v1's pixels
    image, parent = resolve_source("@current", store, "chat")
    assert parent == v1.id and np.array_equal(np.asarray(image), np.asarray(out1.image))
    assert source_path("@current", store, "chat") == store.object_path(v1.image_sha256)
    v2, _ = _edit(store, "chat", "@current", tmp_path, (30, 20, 40, 30), comparison_as_bytes=True)
    assert v2.parent == v1.id and store.current("chat").id == v2.id
    assert v2.request is not None and v2.request["image"] == str(store.object_path(v1.image_sha256))
    # undo through the MCP tool, then edit an older version: a branch
    reverted = revert_tool(store, RevertInput(session="chat", version="@current~1"))
    assert reverted.current.id == v1.id
    v3, _ = _edit(store, "chat", "@current", tmp_path, (40, 5, 50, 15))
    tree = history_tool(store, HistoryInput(session="chat"))
    nodes = {n.id: n for n in tree.versions}
    assert nodes[v1.id].children == [v2.id, v3.id] and tree.current == v3.id
    assert store.verify() == []


def test_sources_that_are_refused(tmp_path: Path, photo: Path) -> None:
    store = Store(tmp_path / "data")
    (other, _) = _edit(store, "other", str(photo), tmp_path, (10, 10, 20, 20))
    with pytest.raises(StoreError, match="no version .* in session 'chat'"):
        resolve_source("@" + other.id, store, "chat")
    with pytest.raises(StoreError, match="no versions yet"):
        resolve_source("@current", store, "chat")
    with pytest.raises(InputError, match="not found"):
        resolve_source(str(tmp_path / "missing.png"), store, "chat")
    with pytest.raises(InputError, match="session name"):
        resolve_source(str(photo), store, "bad session")
    request = EditRequest(image=str(photo), edit="remove the spot")
    out = SimpleNamespace(image=Image.new("RGB", (4, 4)), edit_mask=None, provenance=None)
    with pytest.raises(InputError, match="comparison image cannot be decoded"):
        record_edit(store, "chat", None, request, None, out, b"not an image")
    with pytest.raises(InputError, match="needs the EditRequest"):
        record_edit(store, "chat", None, None, None, out)
    assert store.current("chat") is None
    assert record_edit(store, "chat", None, request, None, out).edit == "remove the spot"
