"""Faces through a real in-memory MCP client with the real dlib models (the faces extra): words
for a face make a mask without SAM 3, plan_edit plans a face-part mask, and a face edit's QA
carries the identity check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.executors.faces import detect_faces, faces_available
from retouch.executors.faces.regions import part_mask
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import CheckEditOutput, MakeMaskOutput, PlanEditOutput

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(
        not faces_available(), reason="needs the faces extra: pip install 'retouch[faces]'"
    ),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cfg(tmp_path: Path, astronaut: Image.Image, monkeypatch: pytest.MonkeyPatch) -> ServerConfig:
    monkeypatch.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)  # no SAM of any kind
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    astronaut.save(tmp_path / "astronaut.png")
    return ServerConfig.create(out=tmp_path / "out", base=tmp_path)


async def test_make_mask_her_face_is_a_face_mask_without_sam3(
    cfg: ServerConfig, astronaut: Image.Image
) -> None:
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool("make_mask", {"image": "astronaut.png", "text": "her face"})
    assert not result.is_error, result.content[0].text
    out = MakeMaskOutput.model_validate(result.structured_content)
    rgb = np.asarray(astronaut)
    want = part_mask(rgb, detect_faces(rgb)[0], "face")
    assert out.method == "face" and len(out.instances) == 1 and out.chosen == [1]
    assert np.array_equal(np.asarray(Image.open(out.mask.path)) == 255, want)
    assert "face models found 1 face" in result.content[0].text


async def test_plan_edit_remove_her_glasses_plans_a_face_part_mask(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool(
            "plan_edit", {"image": "astronaut.png", "edit": "remove her glasses"}
        )
    assert not result.is_error, result.content[0].text
    plan = PlanEditOutput.model_validate(result.structured_content).plan
    assert (plan.mask.source, plan.mask.part, plan.mask.sam_model) == ("face", "glasses", None)
    assert "identity" in [q.id for q in plan.qa]


async def test_a_face_edits_qa_carries_identity(cfg: ServerConfig, astronaut: Image.Image) -> None:
    base = cfg.roots.base
    async with Client(build_server(cfg)) as client:
        planned = await client.call_tool(
            "plan_edit", {"image": "astronaut.png", "edit": "make her eyes brighter"}
        )
        plan_id = PlanEditOutput.model_validate(planned.structured_content).plan_id
        masked = await client.call_tool("make_mask", {"image": "astronaut.png", "text": "her eyes"})
        mask_path = MakeMaskOutput.model_validate(masked.structured_content).mask.path
        mask = np.asarray(Image.open(mask_path)) == 255
        rgb = np.asarray(astronaut)
        brighter = np.where(mask[..., None], np.clip(rgb.astype(int) + 25, 0, 255), rgb)
        Image.fromarray(brighter.astype(np.uint8)).save(base / "result.png")
        result = await client.call_tool(
            "check_edit",
            {"source": "astronaut.png", "result": "result.png", "mask": mask_path, "plan": plan_id},
        )
    assert not result.is_error, result.content[0].text
    qa = CheckEditOutput.model_validate(result.structured_content).qa
    identity = next(i for i in qa.items if i.id == "identity")
    assert identity.status == "pass" and identity.value < 0.3
    assert "identity kept" in identity.detail
