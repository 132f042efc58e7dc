"""Fidelity through both fronts (issue 25): `retouch edit` through the CLI runner and MCP
`run_edit` through an in-memory client, for a 16-bit RGB PNG, 16-bit grey, CMYK JPEG and TIFF,
a palette PNG, an EXIF-rotated JPEG and an RGBA sticker extended on its transparent sides. The
result file must hold the source's mode, bit depth and alpha, upright, with the source's values
exactly outside the edit (tests/executors/images/fidelity_cases.py), and QA's size-mode must
have judged what was written. Weight-free: the classical executor."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import numpy as np
import pytest
from mcp import Client
from retouch.server.cli.app import get_app
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import RunEditOutput
from typer.testing import CliRunner

from tests.executors.images.fidelity_cases import CASES, Case, assert_faithful, make


def size_mode(qa: dict) -> dict:
    return next(i for i in qa["items"] if i["id"] == "size-mode")


@pytest.mark.parametrize("name", CASES)
def test_cli_edit_keeps_the_source_faithful(name: str, tmp_path: Path) -> None:
    case = make(name, tmp_path / "in")
    out = tmp_path / "out" / f"result{case.out_suffix}"
    args = ["edit", str(case.source), case.edit, "--executor", "classical", "--out", str(out)]
    args += ["--mask", str(case.mask)] if case.mask else []
    args += ["--extend", ",".join(map(str, case.extend))] if case.extend else []
    got = CliRunner().invoke(get_app(), args)
    assert got.exit_code in (0, 1), got.output  # 1: a QA verdict, the result is written
    assert_faithful(case, out)
    item = size_mode(json.loads((out.parent / "qa.json").read_text()))
    assert item["status"] == "pass", item
    assert f"{case.mode} {case.depth}-bit" in item["detail"]


async def _run_edit(case: Case, work: Path) -> RunEditOutput:
    cfg = ServerConfig.create(out=work / "out", base=work)
    request: dict = {"image": str(case.source), "edit": case.edit}
    if case.mask:
        request["mask"] = str(case.mask)
    if case.extend:
        request["extend"] = dict(zip(("left", "top", "right", "bottom"), case.extend, strict=True))
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool("run_edit", {"request": request, "executor": "classical"})
    assert not result.is_error, result.content[0].text
    return RunEditOutput.model_validate(result.structured_content)


@pytest.mark.parametrize("name", CASES)
def test_mcp_run_edit_keeps_the_source_faithful(name: str, tmp_path: Path) -> None:
    case = make(name, tmp_path / "in")
    out = anyio.run(_run_edit, case, tmp_path)
    path = Path(out.result.path)
    assert path.suffix == case.out_suffix  # a CMYK result is a TIFF, not an RGB PNG
    assert_faithful(case, path)
    item = next(i for i in out.qa.items if i.id == "size-mode")
    assert item.status == "pass" and f"{case.mode} {case.depth}-bit" in item.detail, item


def test_cli_qa_judges_the_result_as_written(tmp_path: Path) -> None:
    case = make("rgb16", tmp_path / "in")
    out = tmp_path / "out" / "result.png"
    args = ["edit", str(case.source), case.edit, "--mask", str(case.mask), "--out", str(out)]
    got = CliRunner().invoke(get_app(), [*args, "--executor", "classical"])
    assert got.exit_code in (0, 1), got.output
    item = size_mode(json.loads((out.parent / "qa.json").read_text()))
    assert "RGB;16 16-bit (as written)" in item["detail"], item


def test_mcp_qa_judges_the_result_as_written(tmp_path: Path) -> None:
    out = anyio.run(_run_edit, make("rgb16", tmp_path / "in"), tmp_path)
    item = next(i for i in out.qa.items if i.id == "size-mode")
    assert "RGB;16 16-bit (as written)" in item.detail, item


def test_history_keeps_16bit_colour(tmp_path: Path) -> None:
    from retouch.planner.contract.imageio import deep_pixels, open_image
    from retouch.server.history.store import Store, encode_png

    case = make("rgb16", tmp_path / "in")
    image = open_image(case.source)
    assert encode_png(image) == encode_png(open_image(case.source))  # content-addressed: stable
    store = Store(tmp_path / "data")
    back = store.load_image(store.add_version("s", parent=None, edit="e", image=image))
    assert np.array_equal(deep_pixels(back), deep_pixels(image))
    assert back.info.get("icc_profile") == image.info["icc_profile"]


def test_cli_batch_keeps_every_source_faithful(tmp_path: Path) -> None:
    import shutil

    cases = [make(n, tmp_path / n) for n in CASES if n != "rgba-extend"]  # masked removals
    masks = tmp_path / "masks"
    masks.mkdir()
    for case in cases:
        assert case.mask is not None
        shutil.copy(case.mask, masks / f"{case.source.stem}.png")  # two cmyk.* share one mask
    args = ["batch", *(str(c.source) for c in cases), "remove the object"]
    args += ["--mask-dir", str(masks), "--executor", "classical", "--out", str(tmp_path / "out")]
    got = CliRunner().invoke(get_app(), args)
    assert got.exit_code in (0, 1), got.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    folders = {Path(i["image"]).resolve(): Path(i["folder"]) for i in summary["images"]}
    for case in cases:
        assert_faithful(case, folders[case.source.resolve()] / f"result{case.out_suffix}")
