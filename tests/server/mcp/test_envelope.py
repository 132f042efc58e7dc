"""The weight-free cases (../shared/cases/weight-free.json) through a real in-memory MCP client, on
a machine with no weights and no SAM checkpoint: a face-region removal is refused by plan_edit and
run_edit, or said first when the classical fill is asked for; "remove the cat" without SAM 3 is not
runnable and the plan does not send the agent to run_edit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from mcp import Client
from PIL import Image
from retouch.executors.faces import faces_available
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig

pytestmark = pytest.mark.anyio
CASES = Path(__file__).resolve().parents[4] / "shared" / "cases" / "weight-free.json"
needs_faces = pytest.mark.skipif(not faces_available(), reason="needs dlib (retouch[faces])")


def case(case_id: str) -> dict:
    if not CASES.is_file():
        pytest.skip(f"{CASES} is not in this checkout")
    return next(c for c in json.loads(CASES.read_text())["cases"] if c["id"] == case_id)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)


@pytest.fixture
def cfg(tmp_path: Path) -> ServerConfig:
    return ServerConfig.create(out=tmp_path / "out", base=tmp_path)


def request(cfg: ServerConfig, c: dict) -> dict:
    """plan_edit's arguments for a case: its photo saved under the server's root, for a CPU."""
    name = f"{c['photo']}.png"
    if not (cfg.out_dir.parent / name).exists():
        Image.fromarray(np.asarray(getattr(skimage.data, c["photo"])())).save(
            cfg.out_dir.parent / name
        )
    args: dict = {"image": name, "edit": c["edit"], "preferences": {"hardware": "cpu"}}
    if "box" in c:
        args["sam"] = {"box": c["box"]}
    return args


async def call(client: Client, tool: str, args: dict) -> tuple[str, dict | None, bool]:
    result = await client.call_tool(tool, args)
    return result.content[0].text, result.structured_content, result.is_error


def first_sentence(text: str) -> str:
    return text.split(". ", 1)[0].split("\n", 1)[0]


@needs_faces
async def test_face_region_is_refused_by_plan_and_run(cfg: ServerConfig) -> None:
    c = case("face-region")
    async with Client(build_server(cfg)) as client:
        text, out, is_error = await call(client, "plan_edit", request(cfg, c))
        assert not is_error, text
        plan = out["plan"]
        assert plan["runnable"] is False and plan["executor"] == "classical"
        assert plan["missing"][0].startswith("model: the weight-free fill cannot rebuild a face")
        assert "envelope-face" in [r["id"] for r in plan["rules"]]
        assert text.startswith("Cannot run here: model: the weight-free fill")  # its first words
        assert "call run_edit" not in out["next_step"]
        run_text, _, run_error = await call(client, "run_edit", {"plan": out["plan_id"]})
    assert run_error and run_text.startswith("the weight-free fill cannot rebuild a face")
    assert f"this edit needs {plan['model']['family']} (" in run_text and "GB VRAM" in run_text


@needs_faces
async def test_face_region_filled_on_request_says_so_first(cfg: ServerConfig) -> None:
    """run_edit with executor classical runs the fill; the verdict's first words say it cannot
    rebuild a face and name the model the edit needs; degraded lists it as the executor."""
    c = case("face-region")
    async with Client(build_server(cfg)) as client:
        text, out, is_error = await call(
            client, "run_edit", {"request": request(cfg, c), "executor": "classical"}
        )
    assert not is_error, text
    assert first_sentence(text).startswith("Ran the weight-free fill (it cannot rebuild a face")
    entry = out["degraded"][0]
    assert entry["what"] in c["expect"]["degraded_what"]
    assert out["verdict"].startswith("Ran the weight-free fill (it cannot rebuild a face")
    assert not out["verdict"].startswith("clean")
    assert "show the user the result" not in out["next_step"]


async def test_words_without_sam3_are_not_runnable(cfg: ServerConfig) -> None:
    c = case("words-no-sam3")
    async with Client(build_server(cfg)) as client:
        text, out, is_error = await call(client, "plan_edit", request(cfg, c))
    assert not is_error, text
    plan = out["plan"]
    assert plan["runnable"] is c["expect"]["runnable"]
    assert any(c["expect"]["missing_mentions"] in m for m in plan["missing"])
    assert "clicks or a box" in plan["missing"][0]  # the ways without words
    assert "call run_edit" not in out["next_step"] and "call run_edit" not in text
    assert text.startswith("Cannot run here: SAM 3")


async def test_the_mast_inside_the_envelope_is_runnable_and_not_degraded(cfg: ServerConfig) -> None:
    c = case("mast")
    async with Client(build_server(cfg)) as client:
        text, out, is_error = await call(client, "plan_edit", request(cfg, c))
    assert not is_error, text
    assert out["plan"]["runnable"] is True
    assert not [d for d in out["plan"]["degraded"] if d["what"] == "executor"]
    assert not [r for r in out["plan"]["rules"] if r["id"].startswith("envelope-")]
