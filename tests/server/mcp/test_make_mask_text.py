"""make_mask with words through a real in-memory MCP client: SAM 3 from a tiny random folder, the
instances listed and numbered, instance=N, and the errors an agent can act on."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.executors.segment.dispatch import segment
from retouch.planner.contract.schema import SamPrompt
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import MakeMaskOutput

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("offline")]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image, sam3_dir: Path, sam3_blind_dir: Path) -> Path:
    astronaut.resize((96, 72)).save(tmp_path / "photo.png")
    shutil.copytree(sam3_dir, tmp_path / "sam3")
    shutil.copytree(sam3_blind_dir, tmp_path / "blind")
    return tmp_path


@pytest.fixture
def cfg(work: Path) -> ServerConfig:
    return ServerConfig.create(out=work / "out", base=work)


async def call(cfg: ServerConfig, args: dict):  # type: ignore[no-untyped-def]
    """make_mask on photo.png; ``checkpoint`` (a folder in the work dir) is the server's setting,
    $RETOUCH_SAM_CHECKPOINT, as `retouch serve` reads it."""
    args = dict(args)
    ckpt = args.pop("checkpoint", None)
    with pytest.MonkeyPatch.context() as mp:
        if ckpt is None:
            mp.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)
        else:
            mp.setenv("RETOUCH_SAM_CHECKPOINT", str(cfg.out_dir.parent / ckpt))
        async with Client(build_server(cfg)) as client:
            return await client.call_tool("make_mask", {"image": "photo.png", **args})


async def test_text_mask_lists_and_numbers_every_instance(cfg: ServerConfig, work: Path) -> None:
    result = await call(cfg, {"text": "the dog on the left", "checkpoint": "sam3"})
    assert not result.is_error, result.content[0].text
    out = MakeMaskOutput.model_validate(result.structured_content)
    want = segment(Image.open(work / "photo.png"), SamPrompt(text="the dog"),
                   checkpoint=str(work / "sam3"), pick="left")  # fmt: skip
    assert np.array_equal(np.asarray(Image.open(out.mask.path)) == 255, want.mask)
    assert [i.id for i in out.instances] == [i.id for i in want.instances]
    assert out.chosen == want.chosen and len(out.instances) >= 2
    assert "#1" in result.content[0].text and "instance=N" in result.content[0].text
    overlay = next(c for c in result.content if c.type == "image")
    assert Image.open(io.BytesIO(base64.b64decode(overlay.data))).size == (96, 72)
    other = await call(cfg, {"text": "the dog", "instance": 2, "checkpoint": "sam3"})
    assert MakeMaskOutput.model_validate(other.structured_content).chosen == [2]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"text": "the dog", "checkpoint": "blind"}, "found no 'the dog'"),
        ({"text": "the dog"}, "facebook/sam3"),
        ({"text": "the dog", "instance": 9, "checkpoint": "sam3"}, "out of range"),
        ({"text": "the dog", "sam": {"box": [1, 1, 20, 20]}}, "not both"),
        ({"text": "  ", "checkpoint": "sam3"}, "names no object"),
        ({"sam": {}}, "no prompt"),
    ],
)
async def test_errors_say_what_to_do(cfg: ServerConfig, args: dict, words: str) -> None:
    result = await call(cfg, args)
    assert result.is_error and words in result.content[0].text
    if "found no" in words:
        assert "--point" in result.content[0].text or "click" in result.content[0].text


async def test_list_models_reports_the_segmenters(cfg: ServerConfig, work: Path) -> None:
    from retouch.server.mcp.schemas import ListModelsOutput

    async with Client(build_server(cfg)) as client:
        got = await client.call_tool("list_models", {"dirs": ["."]})
        out = ListModelsOutput.model_validate(got.structured_content)
        (work / "sam3").rename(work / "elsewhere")
        none = ListModelsOutput.model_validate(
            (await client.call_tool("list_models", {"dirs": ["blind"]})).structured_content
        )
    words = [s for s in out.sam_checkpoints if s.prompts == "words"]
    assert {s.path for s in words} == {str(work / "sam3"), str(work / "blind")}
    assert all(s.sam_type == "sam3" for s in words) and "SAM 3 at" in out.text_masks
    assert "SAM 3 at" in none.text_masks
    bare = ServerConfig.create(out=work / "out2", base=work / "out")
    async with Client(build_server(bare)) as client:
        empty = ListModelsOutput.model_validate(
            (await client.call_tool("list_models", {})).structured_content
        )
    assert "cannot take words" in empty.text_masks and "SAM License" in empty.text_masks
