"""The edit history through the MCP tools (in-memory client sessions, the classical executor on a
real photo, a tmp data dir): run_edit records versions, history draws the tree, revert + edit
branches, version references work wherever an image goes, and bad references are one-line errors.
"""

from __future__ import annotations

import base64
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from PIL import Image
from retouch.server.history.hooks import RevertOutput
from retouch.server.history.store import Store
from retouch.server.history.tree import HistoryTree
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import (
    CheckEditOutput,
    MakeMaskOutput,
    PlanEditOutput,
    RunEditOutput,
)

pytestmark = pytest.mark.anyio
REMOVE = {"mask": "mask.png", "edit": "remove the object"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    """96x96 astronaut and a mask over its top-right corner."""
    astronaut.resize((96, 96)).save(tmp_path / "photo.png")
    mask = np.zeros((96, 96), dtype=np.uint8)
    mask[6:40, 56:90] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return tmp_path


@pytest.fixture
def cfg(work: Path, tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    """The working folder is the only root; the history store lies outside it."""
    return ServerConfig.create(out=work / "out", base=work, data_dir=tmp_path_factory.mktemp("d"))


async def ok(client: Client, tool: str, args: dict) -> dict:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def error(client: Client, tool: str, args: dict) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, result.structured_content
    text = result.content[0].text
    assert len(result.content) == 1 and "\n" not in text and "Traceback" not in text
    return text


async def edit(client: Client, image: str, session: str | None = "chat", **extra) -> RunEditOutput:
    """run_edit of REMOVE on ``image``; each result becomes current whatever its QA said (the
    chain is what these tests follow; test_run.py covers a failed result left off @current)."""
    args: dict = {"request": {"image": image, **REMOVE}, "keep_failed": True, **extra}
    if session is not None:
        args["session"] = session
    return RunEditOutput.model_validate(await ok(client, "run_edit", args))


async def history(client: Client, session: str = "chat") -> HistoryTree:
    return HistoryTree.model_validate(await ok(client, "history", {"session": session}))


def pixels(data: bytes | Path) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data) if isinstance(data, bytes) else data))


async def test_run_edit_with_a_session_records_a_chain_that_history_draws(
    cfg: ServerConfig, work: Path
) -> None:
    async with Client(build_server(cfg)) as client:
        first = await edit(client, "photo.png")
        second = await edit(client, "@current")
        result = await client.call_tool("history", {"session": "chat"})
        served = await client.read_resource(second.version_uri)
    # 1. the file became the root version, the first edit its child, the second the first's
    assert first.version and second.version and first.version != second.version
    root = Store(cfg.data_dir).get(first.parent)
    assert first.session == "chat" and root.parent is None and root.edit == "original (photo.png)"
    assert (second.session, second.parent) == ("chat", first.version)
    assert second.provenance.version == second.version
    assert second.version_uri == f"retouch://version/{second.version}.png"
    assert f"@{second.version}" in second.next_step
    # 2. the second run read the first version's image from the store (outside the roots)
    image_in = next(i for i in second.provenance.inputs if i.role == "image" and i.version)
    assert image_in.version == first.version
    assert Path(image_in.path).parent.parent == cfg.data_dir / "objects"
    assert np.array_equal(pixels(Path(image_in.path)), pixels(Path(first.result.path)))
    # 3. the version resource is the result's pixels; the store holds QA, mask and comparison
    blob = base64.b64decode(served.contents[0].blob)
    assert served.contents[0].mime_type == "image/png"
    assert np.array_equal(pixels(blob), pixels(Path(second.result.path)))
    stored = Store(cfg.data_dir).get(second.version)
    assert stored.request["image"] == f"@{first.version}" and stored.qa["passed"] in (True, False)
    assert stored.mask_sha256 and stored.comparison_sha256 and stored.plan["mode"]
    # 4. history: a chain first -> second, current second; the text is the drawn tree
    tree = HistoryTree.model_validate(result.structured_content)
    assert tree.roots == [root.id] and tree.current == second.version
    nodes = {n.id: n for n in tree.versions}
    assert nodes[root.id].children == [first.version]
    assert nodes[first.version].children == [second.version] and nodes[second.version].current
    drawn = result.content[0].text.splitlines()
    assert drawn[0].startswith("session chat: 3 version(s)")
    assert drawn[3].startswith("*") and second.version in drawn[3]


async def test_undo_after_one_edit_reaches_the_original_file(cfg: ServerConfig, work: Path) -> None:
    async with Client(build_server(cfg)) as client:
        first = await edit(client, "photo.png")
        back = RevertOutput.model_validate(
            await ok(client, "revert", {"session": "chat", "version": "@current~1"})
        )
        again = await edit(client, "photo.png")  # the same file again: the same root, a branch
        served = await client.read_resource(f"retouch://version/{back.current.id}.png")
    original = pixels(work / "photo.png")
    assert back.current.id == first.parent and back.current.parent is None
    assert np.array_equal(pixels(base64.b64decode(served.contents[0].blob)), original)
    assert again.parent == first.parent  # no second copy of the original


async def test_revert_then_edit_starts_a_branch_and_loses_nothing(
    cfg: ServerConfig, work: Path
) -> None:
    async with Client(build_server(cfg)) as client:
        first = await edit(client, "photo.png")
        second = await edit(client, "@current")
        before = (await client.read_resource(second.version_uri)).contents[0].blob
        back = RevertOutput.model_validate(
            await ok(client, "revert", {"session": "chat", "version": "@current~1"})
        )
        again = RevertOutput.model_validate(
            await ok(client, "revert", {"session": "chat", "version": first.version[:6]})
        )
        third = await edit(client, "@current")
        tree = await history(client)
        after = (await client.read_resource(second.version_uri)).contents[0].blob
    assert back.current.id == again.current.id == first.version and "@current" in back.next_step
    assert third.parent == first.version and third.version not in (first.version, second.version)
    nodes = {n.id: n for n in tree.versions}
    assert nodes[first.version].children == [second.version, third.version]  # a branch
    assert tree.current == third.version and not nodes[second.version].current
    assert before == after  # the abandoned branch is untouched
    assert len(Store(cfg.data_dir).history("chat")) == 4  # the original + three edits


async def test_plan_edit_on_a_version_pins_it_for_run_edit(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        first = await edit(client, "photo.png")
        planned = PlanEditOutput.model_validate(
            await ok(client, "plan_edit", {"image": "@current", "session": "chat", **REMOVE})
        )
        second = await edit(client, "@current")  # the session moves on past the planned version
        run = RunEditOutput.model_validate(await ok(client, "run_edit", {"plan": planned.plan_id}))
        tree = await history(client)
    # the plan names the version by its full id, not @current, and was made from its pixels
    assert planned.plan.request.image == f"@{first.version}"
    assert (planned.plan.facts.width, planned.plan.facts.height) == (96, 96)
    assert planned.provenance.inputs[0].version == first.version
    assert "session 'chat'" in planned.next_step
    # run_edit without a session records into the version's own session, from the pinned version
    assert (run.session, run.parent) == ("chat", first.version)
    nodes = {n.id: n for n in tree.versions}
    assert nodes[first.version].children == [second.version, run.version]


async def test_version_files_are_read_by_reference_never_by_path(cfg: ServerConfig) -> None:
    """The store is outside the roots: its files are refused as paths, served as references."""
    async with Client(build_server(cfg)) as client:
        made = await edit(client, "photo.png")
        stored = Store(cfg.data_dir).object_path(Store(cfg.data_dir).get(made.version).image_sha256)
        refused = await error(client, "plan_edit", {"image": str(stored), **REMOVE})
        by_ref = await ok(client, "plan_edit", {"image": f"@{made.version}", **REMOVE})
    assert "history store" in refused and stored.is_file()
    assert by_ref["provenance"]["inputs"][0]["path"] == str(stored)


async def test_make_mask_and_check_edit_take_versions(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        first = await edit(client, "photo.png")
        second = await edit(client, "@current")
        masked = MakeMaskOutput.model_validate(
            await ok(
                client,
                "make_mask",
                {
                    "image": "@current",
                    "session": "chat",
                    "sam": {"points": [{"x": 40, "y": 65}]},
                },  # the suit
            )
        )
        checked = CheckEditOutput.model_validate(
            await ok(
                client,
                "check_edit",
                {
                    "source": f"@{first.version}",
                    "result": "@current",
                    "session": "chat",
                    "mask": second.mask.path,
                },
            )
        )
    assert masked.image == f"@{second.version}" and masked.method == "grabcut"
    assert masked.provenance.inputs[0].version == second.version
    outside = {i.id: i for i in checked.qa.items}["outside-unchanged"]
    assert outside.status == "pass"  # the second edit kept every pixel outside its mask
    versions = {i.role: i.version for i in checked.provenance.inputs}
    assert versions == {"source": first.version, "result": second.version, "mask": None}


async def test_bad_version_references_are_one_line_tool_errors(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        mine = await edit(client, "photo.png")
        theirs = await edit(client, "photo.png", session="other")
        planned_theirs = PlanEditOutput.model_validate(
            await ok(client, "plan_edit", {"image": f"@{theirs.version}", **REMOVE})
        )
        plan = {"session": "chat", **REMOVE}
        assert "not a version reference" in await error(
            client, "plan_edit", {"image": "@missing", **plan}
        )
        assert "no version '@deadbeef' in session 'chat'" in await error(
            client, "plan_edit", {"image": "@deadbeef", **plan}
        )
        foreign = await error(client, "plan_edit", {"image": f"@{theirs.version}", **plan})
        assert "in session 'chat'" in foreign and "'other'" not in foreign
        assert "in session 'chat'" in await error(
            client, "run_edit", {"plan": planned_theirs.plan_id, "session": "chat"}
        )
        assert "in session 'chat'" in await error(
            client,
            "run_edit",
            {"request": {"image": f"@{theirs.version}", **REMOVE}, "session": "chat"},
        )
        assert "also pass session" in await error(
            client, "plan_edit", {"image": "@current", **REMOVE}
        )
        assert "no parent" in await error(
            client,
            "make_mask",
            {"image": "@current~2", "session": "chat", "sam": {"box": [1, 1, 9, 9]}},
        )
        assert "exactly one of image" in await error(
            client, "plan_edit", {"image": "@current", "image_base64": "AAAA", **plan}
        )
        assert "session name 'no spaces!' is not valid" in await error(
            client,
            "run_edit",
            {"request": {"image": "photo.png", **REMOVE}, "session": "no spaces!"},
        )
        assert "no session 'nobody'" in await error(client, "history", {"session": "nobody"})
        assert "no version '@abcdef'" in await error(
            client, "revert", {"session": "chat", "version": "@abcdef"}
        )
        with pytest.raises(MCPError):
            await client.read_resource("retouch://version/000000000000.png")
        tree = await history(client)
    # nothing was recorded by the refused calls
    assert [n.id for n in tree.versions] == [mine.parent, mine.version]  # the original, the edit


async def test_store_opens_on_first_use_in_the_env_data_dir(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETOUCH_DATA_DIR", str(work / "env-data"))
    cfg = ServerConfig.create(out=work / "out", base=work)
    async with Client(build_server(cfg)) as client:
        plain = await edit(client, "photo.png", session=None)
        assert plain.version is None and plain.provenance.version is None
        assert not (work / "env-data").exists()  # no session: the store is never opened
        recorded = await edit(client, "photo.png")
    assert [v.id for v in Store(work / "env-data").history("chat")] == [
        recorded.parent,  # the original file
        recorded.version,
    ]


async def test_serve_data_dir_over_stdio(work: Path) -> None:
    """`retouch serve --data-dir DIR` as a real process reads the history in DIR."""
    data = work / "elsewhere"
    version = Store(data).add_version(
        "chat", parent=None, edit="seeded", image=Image.new("RGB", (8, 8), (1, 2, 3))
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    env.pop("RETOUCH_DATA_DIR", None)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "retouch.server.cli", "serve", "--data-dir", str(data)],
        cwd=str(work),
        env=env,
    )
    async with Client(params) as client:
        tree = await history(client)
        read = await client.read_resource(f"retouch://version/{version.id}.png")
    assert [n.id for n in tree.versions] == [version.id] and tree.versions[0].edit == "seeded"
    assert pixels(base64.b64decode(read.contents[0].blob))[0, 0].tolist() == [1, 2, 3]


async def test_sam_encodes_a_version_once_for_several_masks(
    cfg: ServerConfig, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SAM's embedding cache is keyed by image content: make_mask twice on the same version (and
    once on the run's result file, the same pixels) runs the image encoder once."""
    import torch
    from retouch.executors.segment import sam as segment

    from tests.support import tiny_segment

    torch.manual_seed(0)
    ckpt = work / "sam_test_tiny.pth"
    torch.save(tiny_segment.build_test_tiny().state_dict(), ckpt)
    encoded: list[int] = []
    monkeypatch.setenv("RETOUCH_SAM_CHECKPOINT", str(ckpt))  # the server's SAM setting
    segmenter = segment.get_segmenter(ckpt, "auto")
    hook = segmenter.model.image_encoder.register_forward_hook(lambda *_: encoded.append(1))
    try:
        async with Client(build_server(cfg)) as client:
            made = await edit(client, "photo.png")
            for image, box in (
                ("@current", [4, 4, 90, 90]),
                (f"@{made.version}", [0, 0, 96, 96]),
                (made.result.path, [10, 10, 60, 60]),
            ):
                args = {"image": image, "session": "chat", "sam": {"box": box}}
                result = await client.call_tool("make_mask", args)
                if result.is_error:  # a random model may find nothing, after encoding
                    assert "selected nothing" in result.content[0].text
                else:
                    assert result.structured_content["method"] == "sam"
    finally:
        hook.remove()
        segment.clear_model_cache()
    assert len(encoded) == 1


async def test_check_edit_between_versions_uses_the_stored_plan(cfg: ServerConfig) -> None:
    """After an outpaint, check_edit @current~1 @current measures with the plan that ran (its
    extension, its mask), not the default checklist that would fail size-mode."""
    extend = {"image": "photo.png", "edit": "extend the canvas", "extend": {"right": 24}}
    async with Client(build_server(cfg)) as client:
        run = RunEditOutput.model_validate(
            await ok(
                client, "run_edit", {"request": extend, "session": "chat", "keep_failed": True}
            )
        )
        checked = CheckEditOutput.model_validate(
            await ok(
                client,
                "check_edit",
                {"source": "@current~1", "result": "@current", "session": "chat"},
            )
        )
    # the same checks, the same values as the run's own QA (the tiny photo's outpaint may fail
    # color-shift: what matters is that the stored plan was used, so size-mode passes)
    measured = [(i.id, i.status, i.value) for i in checked.qa.items]
    assert measured == [(i.id, i.status, i.value) for i in run.qa.items]
    sizes = {i.id: i for i in checked.qa.items}
    assert sizes["size-mode"].status == "pass" and "outside-unchanged" in sizes
    assert checked.provenance.executor["checklist"] == "stored plan"
