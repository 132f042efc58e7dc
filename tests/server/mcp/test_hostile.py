"""Hostile and odd input through a real client session (issue 15): clean tool errors, never an
internal error, nothing left behind, nothing written or read outside the roots."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.server.history.tree import check_session
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(work / "photo.png")
    m = np.zeros((48, 64), dtype=np.uint8)
    m[10:30, 10:30] = 255
    Image.fromarray(m, "L").save(work / "mask.png")
    return work


def config(work: Path, data: str = "data") -> ServerConfig:
    return ServerConfig.create(out=work / "out", base=work, data_dir=work / data)


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def bomb_png() -> str:
    """A 1x1 PNG whose header claims 100000x100000 pixels, base64."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    raw = bytearray(buf.getvalue())
    raw[16:24] = struct.pack(">II", 100_000, 100_000)
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(raw[12:29])) & 0xFFFFFFFF)
    return base64.b64encode(bytes(raw)).decode()


def png64(arr: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


async def call(cfg: ServerConfig, name: str, args: dict) -> tuple[bool, str]:
    async with Client(build_server(cfg)) as client:
        r = await client.call_tool(name, args)
        return r.is_error, r.content[0].text


async def test_odd_images_run_or_fail_cleanly(work: Path) -> None:
    Image.fromarray(np.full((1, 256, 3), 120, dtype=np.uint8)).save(work / "strip.png")
    strip = np.zeros((1, 256), dtype=np.uint8)
    strip[:, 100:140] = 255
    Image.fromarray(strip, "L").save(work / "strip-mask.png")
    Image.new("CMYK", (64, 48), (10, 20, 30, 0)).save(work / "cmyk.jpg")
    cfg = config(work)
    for image, mask in (("strip.png", "strip-mask.png"), ("cmyk.jpg", "mask.png")):
        request = {"image": image, "mask": mask, "edit": "remove the object"}
        err, text = await call(cfg, "run_edit", {"request": request, "executor": "classical"})
        assert not err, text
    comparisons = [Image.open(p).size for p in (work / "out" / "runs").rglob("comparison.png")]
    assert len(comparisons) == 2 and all(w <= 8 * h + 16 for w, h in comparisons)
    err, text = await call(cfg, "plan_edit", {"image_base64": bomb_png(), "edit": "remove it"})
    assert err and "more pixels than this server opens" in text


async def test_a_failed_call_leaves_no_upload_and_no_run_files(work: Path) -> None:
    cfg = config(work)
    upload = png64(np.full((48, 64, 3), 90, dtype=np.uint8))
    err, text = await call(
        cfg, "plan_edit", {"image_base64": upload, "mask": "missing.png", "edit": "remove it"}
    )
    assert err and "not found" in text
    assert files(work / "out") == set()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"sam": {}}, "sam is empty"),
        ({"sam": {"points": []}}, "sam is empty"),
        ({"extend": {}}, "adds no canvas"),
        ({"image": "x" * 300 + ".png"}, "255-byte"),
        ({"image": "a/" * 3000 + "x.png"}, "4096-byte"),
        ({"preferences": {"seed": 10**30}}, "out of range 0..4294967295"),
        ({"image": "~.png"}, "not found"),
        ({"image": "~nosuchuser/x.png"}, "not found"),
        ({"sam": {"box": [0, 0, "nan", 10]}}, "out of range"),
    ],
)
async def test_plan_edit_refuses_what_the_cli_refuses(work: Path, args: dict, words: str) -> None:
    err, text = await call(
        config(work), "plan_edit", {"image": "photo.png", "edit": "remove it", **args}
    )
    assert err and words in text and "internal error" not in text


async def test_overrides_out_of_range_are_refused_before_any_work(work: Path) -> None:
    request = {"image": "photo.png", "mask": "mask.png", "edit": "remove it"}
    for field, value, words in (
        ("mask.dilate_px", 100_000, "out of range"),
        ("steps", 10**9, "out of range"),
        ("seed", -1, "out of range"),
        ("model.id", "x" * 300, "255-byte"),  # found by the fuzz suite: ENAMETOOLONG
    ):
        change = {"field": field, "op": "set", "value": value}
        err, text = await call(
            config(work), "run_edit", {"request": request, "overrides": [change]}
        )
        assert err and words in text, text


async def test_a_symlink_planted_in_the_output_folder_leads_nowhere(work: Path) -> None:
    elsewhere = work / "elsewhere"  # inside the root, outside the output folder
    elsewhere.mkdir()
    (work / "out").mkdir()
    for sub in ("plans", "runs", "inputs"):
        (work / "out" / sub).symlink_to(elsewhere, target_is_directory=True)
    cfg = config(work)
    err, text = await call(cfg, "plan_edit", {"image": "photo.png", "edit": "remove it"})
    assert err and "outside the folders" in text
    request = {"image": "photo.png", "mask": "mask.png", "edit": "remove it"}
    err, text = await call(cfg, "run_edit", {"request": request, "executor": "classical"})
    assert err and "outside the folders" in text
    upload = png64(np.full((48, 64, 3), 90, dtype=np.uint8))
    err, text = await call(cfg, "plan_edit", {"image_base64": upload, "edit": "remove it"})
    assert err and "outside the folders" in text
    assert list(elsewhere.iterdir()) == []  # not even a folder was created through the links


async def test_the_store_is_refused_by_path_even_inside_a_root(work: Path) -> None:
    cfg = config(work)
    cfg.store.add_version(
        "chat", parent=None, edit="x", image=Image.new("RGB", (8, 8)), request={"edit": "x"}
    )
    (obj,) = (work / "data" / "objects").rglob("*.png")
    for image in (str(obj), "data/history.sqlite3"):
        err, text = await call(cfg, "plan_edit", {"image": image, "edit": "remove it"})
        assert err and "history store" in text
    request = {"image": "photo.png", "mask": "mask.png", "edit": "remove it"}
    err, text = await call(
        cfg, "run_edit", {"request": request, "executor": "classical", "output": "data/x.png"}
    )
    assert err and "history store" in text and not (work / "data" / "x.png").exists()


async def test_a_file_uri_is_refused_not_made_into_folders(work: Path) -> None:
    request = {"image": "photo.png", "mask": "mask.png", "edit": "remove it"}
    err, text = await call(
        config(work),
        "run_edit",
        {"request": request, "executor": "classical", "output": "file:///etc/passwd"},
    )
    assert err and "is a URI" in text and not (work / "file:").exists()


def test_a_session_name_ending_in_a_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid"):
        check_session("chat\n")
