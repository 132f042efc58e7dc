"""Path confinement and limits: refused paths, missing files, wrong masks, oversized images."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.planner.contract.errors import InputError
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.roots import Roots

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """work/ (the root) with photo.png; secret/ beside it, outside the root."""
    work, secret = tmp_path / "work", tmp_path / "secret"
    work.mkdir()
    secret.mkdir()
    img = Image.fromarray(np.full((32, 48, 3), 120, dtype=np.uint8))
    img.save(work / "photo.png")
    img.save(secret / "private.png")
    return {"work": work, "secret": secret}


# ------------------------------------------------------------------------------------- Roots


def test_relative_and_absolute_paths_inside_a_root_resolve(layout: dict[str, Path]) -> None:
    roots = Roots([layout["work"]], base=layout["work"])
    assert roots.resolve_input("photo.png") == layout["work"] / "photo.png"
    assert roots.resolve_input(str(layout["work"] / "photo.png")) == layout["work"] / "photo.png"


@pytest.mark.parametrize(
    "path", ["../secret/private.png", "sub/../../secret/private.png", "sub/../photo.png"]
)
def test_dotdot_is_refused_even_when_it_would_stay_inside(
    layout: dict[str, Path], path: str
) -> None:
    with pytest.raises(InputError, match="contains '..'"):
        Roots([layout["work"]], base=layout["work"]).resolve_input(path)


def test_absolute_paths_elsewhere_are_refused(layout: dict[str, Path]) -> None:
    roots = Roots([layout["work"]], base=layout["work"])
    with pytest.raises(InputError, match="outside the folders this server may use"):
        roots.resolve_input(str(layout["secret"] / "private.png"))
    with pytest.raises(InputError, match="outside"):
        roots.resolve_input("/etc/passwd")


def test_symlinks_out_of_a_root_are_refused_and_inside_ones_followed(
    layout: dict[str, Path],
) -> None:
    work = layout["work"]
    (work / "escape.png").symlink_to(layout["secret"] / "private.png")
    (work / "linkdir").symlink_to(layout["secret"], target_is_directory=True)
    (work / "alias.png").symlink_to(work / "photo.png")
    roots = Roots([work], base=work)
    for path in ("escape.png", "linkdir/private.png"):
        with pytest.raises(InputError, match=r"resolves to .*secret"):
            roots.resolve_input(path)
    assert roots.resolve_input("alias.png") == work / "photo.png"
    with pytest.raises(InputError, match="outside"):
        roots.resolve_output("linkdir/new.png")
    with pytest.raises(InputError, match="outside"):
        roots.resolve_output("escape.png")


def test_a_root_that_is_a_symlink_is_compared_by_its_real_path(
    layout: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "via-link").symlink_to(layout["work"], target_is_directory=True)
    roots = Roots([tmp_path / "via-link"], base=tmp_path)
    assert (
        roots.resolve_input(str(tmp_path / "via-link" / "photo.png"))
        == layout["work"] / "photo.png"
    )


def test_missing_files_nul_bytes_and_folders_are_clear_errors(layout: dict[str, Path]) -> None:
    roots = Roots([layout["work"]], base=layout["work"])
    with pytest.raises(InputError, match="not found: nope.png"):
        roots.resolve_input("nope.png")
    with pytest.raises(InputError, match="NUL"):
        roots.resolve_input("photo\x00.png")
    with pytest.raises(InputError, match="not a file"):
        roots.resolve_input(".")
    with pytest.raises(InputError, match="not an existing folder"):
        Roots([layout["work"] / "nope"])


# ------------------------------------------------------------------------------------- tools


async def tool_error(cfg: ServerConfig, name: str, args: dict) -> str:
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool(name, args)
    assert result.is_error, result.structured_content
    text = result.content[0].text
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.fixture
def cfg(layout: dict[str, Path]) -> ServerConfig:
    return ServerConfig.create(out=layout["work"] / "out", base=layout["work"])


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("plan_edit", {"image": "../secret/private.png", "edit": "x"}),
        ("plan_edit", {"image": "SECRET", "edit": "x"}),
        ("plan_edit", {"image": "photo.png", "edit": "x", "mask": "SECRET"}),
        ("make_mask", {"image": "SECRET", "sam": {"box": [0, 0, 10, 10]}}),
        (
            "make_mask",
            {"image": "photo.png", "sam": {"box": [0, 0, 10, 10]}, "output": "/tmp/m.png"},
        ),
        ("check_edit", {"source": "photo.png", "result": "SECRET"}),
        ("run_edit", {"plan": "SECRET"}),
        ("run_edit", {"request": {"image": "SECRET", "edit": "x"}}),
        ("render_skill_doc", {"plan": "SECRET"}),
    ],
)
async def test_every_tool_refuses_paths_outside_the_roots(
    cfg: ServerConfig, layout: dict[str, Path], tool: str, args: dict
) -> None:
    secret = str(layout["secret"] / "private.png")
    args = json.loads(json.dumps(args).replace("SECRET", secret))
    text = await tool_error(cfg, tool, args)
    assert "outside the folders" in text or "contains '..'" in text


async def test_a_plan_that_points_outside_the_roots_is_refused(
    cfg: ServerConfig, layout: dict[str, Path]
) -> None:
    async with Client(build_server(cfg)) as client:
        planned = await client.call_tool(
            "plan_edit", {"image": "photo.png", "edit": "make it sunset"}
        )
    plan = planned.structured_content["plan"]
    plan["request"]["image"] = str(layout["secret"] / "private.png")
    (layout["work"] / "evil.json").write_text(json.dumps(plan))
    assert "outside the folders" in await tool_error(cfg, "run_edit", {"plan": "evil.json"})


async def test_missing_files_are_tool_errors(cfg: ServerConfig) -> None:
    assert "not found: nope.png" in await tool_error(
        cfg, "plan_edit", {"image": "nope.png", "edit": "x"}
    )
    assert "not found" in await tool_error(
        cfg, "check_edit", {"source": "photo.png", "result": "gone.png"}
    )


async def test_a_mask_of_the_wrong_size_is_a_tool_error(
    cfg: ServerConfig, layout: dict[str, Path]
) -> None:
    Image.fromarray(np.full((10, 10), 255, dtype=np.uint8), "L").save(layout["work"] / "small.png")
    text = await tool_error(
        cfg, "plan_edit", {"image": "photo.png", "edit": "remove the thing", "mask": "small.png"}
    )
    assert "mask is 10x10, image is 48x32" in text
    text = await tool_error(
        cfg, "check_edit", {"source": "photo.png", "result": "photo.png", "mask": "small.png"}
    )
    assert "mask is 10x10" in text
    async with Client(build_server(cfg)) as client:
        planned = await client.call_tool("plan_edit", {"image": "photo.png", "edit": "sunset"})
    text = await tool_error(
        cfg, "run_edit", {"plan": planned.structured_content["plan_id"], "mask": "small.png"}
    )
    assert "mask is 10x10, image is 48x32" in text


async def test_oversized_images_are_refused_before_decoding(layout: dict[str, Path]) -> None:
    cfg = ServerConfig.create(out=layout["work"] / "out", base=layout["work"], max_pixels=1000)
    text = await tool_error(cfg, "plan_edit", {"image": "photo.png", "edit": "x"})
    assert "48x32 = 1536 pixels, over this server's 1000-pixel limit" in text
    small = ServerConfig.create(out=layout["work"] / "out", base=layout["work"], max_file_bytes=100)
    text = await tool_error(small, "plan_edit", {"image": "photo.png", "edit": "x"})
    assert (
        f"is {(layout['work'] / 'photo.png').stat().st_size} bytes, over this server's 100 bytes"
        in text
    )


async def test_existing_files_are_never_overwritten(cfg: ServerConfig) -> None:
    text = await tool_error(
        cfg,
        "make_mask",
        {"image": "photo.png", "sam": {"box": [0, 0, 20, 20]}, "output": "photo.png"},
    )
    assert "already exists" in text
    assert (cfg.roots.base / "photo.png").stat().st_size > 0


async def test_overrides_naming_unknown_fields_are_tool_errors(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        planned = await client.call_tool("plan_edit", {"image": "photo.png", "edit": "sunset"})
    pid = planned.structured_content["plan_id"]
    text = await tool_error(
        cfg,
        "run_edit",
        {"plan": pid, "overrides": [{"field": "guidance.nope", "op": "set", "value": 1}]},
    )
    assert "'guidance.nope' is not a plan field" in text and "guidance.text" in text
    text = await tool_error(
        cfg,
        "run_edit",
        {"plan": pid, "overrides": [{"field": "steps", "op": "set", "value": "many"}]},
    )
    assert "overrides make an invalid plan" in text


def test_roots_default_to_the_working_directory_and_the_output_folder(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        cfg = ServerConfig.create(out="elsewhere/out")
    finally:
        os.chdir(cwd)
    assert cfg.roots.dirs == [tmp_path.resolve(), (tmp_path / "elsewhere" / "out").resolve()]
