"""run_edit with ``layers`` through an in-memory client: the weight-free removal of a real photo
returns each layer file as a FileRef and a resource link (the PNGs bottom first, the composite,
the .ora and the .psd), the server serves the layered files, and the layers composite to the
result; a plan_id run takes the argument too, and without it nothing is layered."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import PlanEditOutput, RunEditOutput

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cfg(tmp_path: Path, astronaut: Image.Image) -> ServerConfig:
    astronaut.resize((128, 128)).save(tmp_path / "photo.png")
    mask = np.zeros((128, 128), dtype=np.uint8)
    mask[8:44, 84:120] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return ServerConfig.create(out=tmp_path / "out", base=tmp_path)


REQUEST = {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}


async def _run(client: Client, **args: object) -> tuple[RunEditOutput, dict[str, str]]:
    result = await client.call_tool("run_edit", {"executor": "classical", **args})
    assert not result.is_error, result.content[0].text
    links = {c.uri: c.description for c in result.content if c.type == "resource_link"}
    return RunEditOutput.model_validate(result.structured_content), links


async def test_run_edit_with_layers_links_each_layer_file(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        out, links = await _run(client, request=REQUEST, layers=True)
        assert out.layers is not None
        names = [Path(r.path).name for r in out.layers]
        assert names == [
            "01-background.png",
            "02-removed-object.png",
            "03-composite.png",
            "layers.ora",
            "layers.psd",
        ]
        assert [r.mime_type for r in out.layers][-2:] == [
            "image/openraster",
            "image/vnd.adobe.photoshop",
        ]
        for ref in out.layers:  # each linked, each served
            assert ref.uri in links and ref.uri.startswith("retouch://out/runs/")
            served = await client.read_resource(ref.uri)
            assert base64.b64decode(served.contents[0].blob) == Path(ref.path).read_bytes()
        assert links[out.layers[1].uri] == "layer 2 from the bottom: removed-object (RGBA)"
    result = np.asarray(Image.open(out.result.path).convert("RGBA"))
    assert np.array_equal(np.asarray(Image.open(out.layers[2].path)), result)
    obj = np.asarray(Image.open(out.layers[1].path))
    edit = np.asarray(Image.open(out.mask.path)) > 127  # type: ignore[union-attr]
    assert np.array_equal(obj[..., 3], np.where(edit, 255, 0))


async def test_a_plan_id_run_takes_the_argument_and_none_without_it(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        planned = await client.call_tool("plan_edit", REQUEST)
        plan_id = PlanEditOutput.model_validate(planned.structured_content).plan_id
        plain, links = await _run(client, plan=plan_id)
        assert plain.layers is None and not any(".ora" in uri for uri in links)
        assert not (Path(plain.result.path).parent / "layers").exists()
        layered, _ = await _run(client, plan=plan_id, layers=True)
        assert layered.layers is not None and len(layered.layers) == 5


class _LocalPool:
    """The pool's client seam (``cfg.pool.run_edit``) answered in process by the same step a
    replica runs (server.edits.sequence.attempt), so the files are written here as with Ray."""

    def __init__(self) -> None:
        self.plans: list[object] = []

    async def run_edit(self, plan, image, mask, control, executor, on_progress):  # type: ignore[no-untyped-def]
        from retouch.server.edits.job import EditJob, RunSettings
        from retouch.server.edits.sequence import attempt

        self.plans.append(plan)
        job = EditJob(plan, image, mask, control, settings=RunSettings(executor=executor))
        return attempt(plan, job)


async def test_the_pool_path_writes_the_layers_here(cfg: ServerConfig) -> None:
    cfg.pool = _LocalPool()  # type: ignore[assignment]
    async with Client(build_server(cfg)) as client:
        out, links = await _run(client, request=REQUEST, layers=True)
    assert cfg.pool.plans and cfg.pool.plans[0].layers  # type: ignore[attr-defined]
    assert out.layers is not None and all(r.uri in links for r in out.layers)
    assert [Path(r.path).name for r in out.layers][-2:] == ["layers.ora", "layers.psd"]
