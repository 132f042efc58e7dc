"""run_edit end to end through an in-memory client: the weight-free classical fill on a real
photo, and a tiny random SD-inpaint model (built in-process, loaded through retouch's real loading
path) for progress per denoising step and cancellation between steps."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import anyio
import numpy as np
import pytest
from mcp import Client
from PIL import Image, ImageCms
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import PlanEditOutput, RunEditOutput

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    """128x128 RGBA astronaut (alpha ramp, sRGB ICC profile) and a mask over its top-right."""
    rgba = astronaut.resize((128, 128)).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.linspace(40, 255, 128, dtype=np.uint8), (128, 1))))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgba.save(tmp_path / "photo.png", icc_profile=icc)
    mask = np.zeros((128, 128), dtype=np.uint8)
    mask[4:60, 84:124] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return tmp_path


@pytest.fixture
def cfg(work: Path) -> ServerConfig:
    return ServerConfig.create(out=work / "out", base=work)


async def plan(client: Client, **extra: object) -> PlanEditOutput:
    result = await client.call_tool(
        "plan_edit",
        {"image": "photo.png", "mask": "mask.png", "edit": "remove the object", **extra},
    )
    assert not result.is_error, result.content[0].text
    return PlanEditOutput.model_validate(result.structured_content)


async def test_classical_removal_keeps_alpha_icc_and_every_pixel_outside(
    cfg: ServerConfig, work: Path
) -> None:
    async with Client(build_server(cfg)) as client:
        planned = await plan(client, scene="an astronaut in front of a grey backdrop")
        result = await client.call_tool(
            "run_edit", {"plan": planned.plan_id, "output": "final.png"}
        )
        assert not result.is_error, result.content[0].text
        out = RunEditOutput.model_validate(result.structured_content)
        linked = {c.uri for c in result.content if c.type == "resource_link"}
        assert {out.result.uri, out.comparison.uri, out.plan_file.uri, out.mask.uri} <= linked
        served = await client.read_resource(out.result.uri)
    # 1. the result file: the source's mode, alpha and ICC profile; outside the mask untouched
    source = Image.open(work / "photo.png")
    made = Image.open(out.result.path)
    assert made.mode == "RGBA" and made.size == (128, 128)
    assert made.info.get("icc_profile") == source.info["icc_profile"]
    src, res = np.asarray(source), np.asarray(made)
    edit = np.asarray(Image.open(out.mask.path)) == 255
    assert edit.any() and np.array_equal(src[~edit], res[~edit])
    assert not np.array_equal(src[edit], res[edit])
    assert Path(out.output).read_bytes() == Path(out.result.path).read_bytes()
    assert base64.b64decode(served.contents[0].blob) == Path(out.result.path).read_bytes()
    # 2. inline images: a small preview and a small comparison
    images = [c for c in result.content if c.type == "image"]
    assert len(images) == 2
    for block in images:
        assert len(base64.b64decode(block.data)) < 300_000
    preview = Image.open(io.BytesIO(base64.b64decode(images[0].data)))
    assert preview.size == (128, 128) and preview.mode == "RGBA"
    # 3. QA and provenance
    assert {i.id: i.status for i in out.qa.items}["outside-unchanged"] == "pass"
    executor = out.provenance.executor
    assert executor["executor"] == "classical" and executor["seed"] == planned.plan.seed
    assert executor["mask_sha256"] == hashlib.sha256(Path(out.mask.path).read_bytes()).hexdigest()
    roles = {i.role for i in out.provenance.inputs}
    assert roles == {"plan", "image", "mask"}
    assert (Path(out.result.path).parent / "provenance.json").is_file()


async def test_overrides_change_the_run_and_are_recorded(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        planned = await plan(client)
        changes = [
            {"field": "mask.dilate_px", "op": "set", "value": 0},
            {"field": "mask.feather_px", "op": "set", "value": 0},
            {"field": "seed", "op": "add", "value": 5},
        ]
        result = await client.call_tool("run_edit", {"plan": planned.plan_id, "overrides": changes})
    out = RunEditOutput.model_validate(result.structured_content)
    assert [c.model_dump() for c in out.applied] == changes
    assert out.provenance.executor["params"]["dilate_px"] == 0
    assert out.provenance.executor["seed"] == planned.plan.seed + 5
    ran = Path(out.plan_file.path).read_text()
    assert '"dilate_px": 0' in ran and Path(out.plan_file.path) != Path(planned.plan_file.path)
    # with no dilation the edit mask is exactly the given mask
    given = np.asarray(Image.open(cfg.roots.base / "mask.png")) == 255
    assert np.array_equal(np.asarray(Image.open(out.mask.path)) == 255, given)


async def test_run_edit_plans_a_request_on_the_spot(cfg: ServerConfig, work: Path) -> None:
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool(
            "run_edit",
            {"request": {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}},
        )
    out = RunEditOutput.model_validate(result.structured_content)
    assert Path(out.result.path).is_file() and out.provenance.executor["executor"] == "classical"


async def test_a_generative_edit_without_weights_says_how_to_get_them(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        planned = await plan(client, edit="replace the sky with a sunset")
        result = await client.call_tool("run_edit", {"plan": planned.plan_id})
    assert result.is_error
    text = result.content[0].text
    assert planned.plan.model.id in text and "\n" not in text


# ------------------------------------------------------------------------------------- tiny model


@pytest.fixture(scope="module")
def tiny_inpaint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    from tests.support.tiny_models import save_sd

    torch.set_num_threads(1)
    return save_sd(tmp_path_factory.mktemp("tiny") / "sd-inpaint", "inpaint")


def tiny_overrides(model: Path, steps: int) -> list[dict]:
    return [
        {"field": "model.id", "op": "set", "value": str(model)},
        {"field": "steps", "op": "set", "value": steps},
        {"field": "crop.enabled", "op": "set", "value": False},
    ]


@pytest.fixture
def tiny_cfg(cfg: ServerConfig, tiny_inpaint: Path) -> ServerConfig:
    """The tiny model must lie under a root: its folder is added as one."""
    return ServerConfig.create(
        roots=[str(cfg.roots.base), str(tiny_inpaint)], out=cfg.out_dir, base=cfg.roots.base
    )


@pytest.mark.slow
async def test_progress_per_step_only_when_asked_and_cancel_between_steps(
    tiny_cfg: ServerConfig, tiny_inpaint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retouch.executors.diffusion import steps

    done: list[int] = []
    real_step = steps.StepReporter.step

    def counting_step(self, per_call: int) -> None:  # type: ignore[no-untyped-def]
        done.append(per_call)
        real_step(self, per_call)

    monkeypatch.setattr(steps.StepReporter, "step", counting_step)
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(build_server(tiny_cfg)) as client:
        planned = await plan(
            client, edit="replace the sky with a sunset", scene="an astronaut under a sunset sky"
        )
        # 1. with a progress callback (a progress token on the wire): one notification per step
        #    (PNDM runs one warm-up step more than asked: the count is what the pipeline ran)
        args = {"plan": planned.plan_id, "overrides": tiny_overrides(tiny_inpaint, 3)}
        result = await client.call_tool("run_edit", args, progress_callback=on_progress)
        assert not result.is_error, result.content[0].text
        out = RunEditOutput.model_validate(result.structured_content)
        assert out.provenance.executor["executor"] == "diffusers"
        assert out.provenance.executor["model_id"] == str(tiny_inpaint)
        n = len(done)
        assert n >= 3 and [(p, t) for p, t, _ in seen] == [(i, n) for i in range(1, n + 1)]
        assert seen[0][2] == f"denoising step 1/{n}"
        # 2. without one: the same run sends nothing
        seen.clear()
        done.clear()
        result = await client.call_tool("run_edit", args)
        assert not result.is_error and seen == [] and len(done) == n
        again = RunEditOutput.model_validate(result.structured_content).provenance.executor
        assert out.provenance.executor["params"]["cached"] is False
        assert again["params"]["cached"] is True  # loaded once per process, kept warm
        # 3. cancelling the request stops the run between steps
        done.clear()

        async def cancel_at_two(progress: float, total: float | None, message: str | None) -> None:
            if progress >= 2:
                scope.cancel()

        long = {"plan": planned.plan_id, "overrides": tiny_overrides(tiny_inpaint, 40)}
        with anyio.CancelScope() as scope:
            await client.call_tool("run_edit", long, progress_callback=cancel_at_two)
        assert scope.cancelled_caught
        await tiny_cfg.worker.run(lambda cancel, progress: None)  # waits for the cancelled job
        assert 2 <= len(done) < 10
        runs = sorted((tiny_cfg.out_dir / "runs").iterdir())
        assert len(runs) == 2  # the cancelled run wrote nothing


def test_inline_images_stay_small_even_for_large_noisy_images() -> None:
    from retouch.server.mcp import outputs

    rng = np.random.default_rng(0)
    for mode in ("RGB", "RGBA"):
        noise = Image.fromarray(rng.integers(0, 256, (1500, 2000, len(mode)), dtype=np.uint8), mode)
        data, mime = outputs.preview(noise)
        assert len(data) <= outputs.PREVIEW_MAX_BYTES
        assert mime == ("image/png" if mode == "RGBA" else "image/jpeg")
        assert max(Image.open(io.BytesIO(data)).size) <= outputs.PREVIEW_PX
        compare = outputs.comparison(noise, noise, None)
        assert len(compare) <= outputs.COMPARE_MAX_BYTES
        assert Image.open(io.BytesIO(compare)).size[1] >= 512
