"""Issue 30's last three pipelines, executor by executor: Qwen-Image-Layered, JoyAI-Image-Edit Plus and
the Z-Image ControlNet inpaint. Tiny random builds (tests/support/tiny_families_30.py), saved once,
loaded back through retouch's loading path (``load_pipeline``, ``local_files_only``) while sockets
refuse to connect; each executor's output equals a direct diffusers call with the same inputs and
seed, reports its steps and stops when cancelled. The layers come back as ``Layer``s that
``write_layers`` accepts: their composite is the result."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.diffusion import loading
from retouch.executors.diffusion.calls import ModelCall
from retouch.executors.diffusion.joyai import JoyAIEditPlusExecutor, joyai_size
from retouch.executors.diffusion.loading import ModelRef
from retouch.executors.diffusion.pipelines import PipelineSpec
from retouch.executors.diffusion.qwen_layered import (
    QwenLayeredExecutor,
    canvas_layers,
    layered_size,
    over,
)
from retouch.executors.diffusion.steps import StepReporter
from retouch.executors.diffusion.zimage import ZImageControlNetExecutor
from retouch.executors.images import layers as layerfiles
from retouch.planner.contract.errors import ExecutorError

from tests.executors import tiny_new_families
from tests.executors.exec_support import box_mask, direct_call, go_offline, photo, same_image
from tests.support import tiny_families_30 as tiny

pytestmark = pytest.mark.slow
LANCZOS = Image.Resampling.LANCZOS


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("families30")
    return {
        "layered": tiny.build_tiny_qwen_layered(root / "layered"),
        "plus": tiny.build_tiny_joyai_plus(root / "plus"),
        "z-image": tiny_new_families.build_tiny_zimage_inpaint(root / "z-image"),
        "z-controlnet": tiny.build_tiny_zimage_controlnet(root / "z-controlnet"),
    }


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


def _load(pipeline: str, folder: Path, family: str, controlnet: Path | None = None) -> Any:
    spec = PipelineSpec(pipeline, "unused:Unused")
    ref = ModelRef(family, str(folder), folder, "folder")  # type: ignore[arg-type]
    pipe, _ = loading.load_pipeline(spec, ref, device="cpu", dtype="float32", controlnet=controlnet)
    return pipe


def _call(image: Image.Image, **kw: Any) -> ModelCall:
    base: dict[str, Any] = {
        "image": image,
        "mask": None,
        "control": None,
        "prompt": "a cup on a table",
        "negative": None,
        "steps": 2,
        "guidance_text": 4.0,
        "guidance_image": None,
        "strength": None,
        "conditioning_scale": None,
        "seed": 3,
    }
    return ModelCall(**{**base, **kw})


# ------------------------------------------------------------------------ Qwen-Image-Layered


def test_layered_size_is_the_pipelines() -> None:
    from diffusers.pipelines.qwenimage.pipeline_qwenimage_layered import calculate_dimensions

    for w, h in [(64, 64), (96, 64), (64, 96), (1920, 1080), (451, 300)]:
        for res in (640, 1024):
            cw, ch = calculate_dimensions(res * res, w / h)
            assert layered_size((w, h), res) == (cw // 16 * 16, ch // 16 * 16)
    with pytest.raises(ValueError, match="resolution"):
        layered_size((64, 64), 512)


def test_layered_raw_equals_direct_call_and_layers_write(
    dirs: dict[str, Path], tmp_path: Path
) -> None:
    pipe = _load("QwenImageLayeredPipeline", dirs["layered"], "qwen-image-layered")
    runner = QwenLayeredExecutor(pipe, n_layers=2)
    size = runner.work_size((96, 64), native=64)
    assert size == layered_size((96, 64), 640) and runner.resolution == 640
    tile = photo(96).resize(size, LANCZOS)
    steps: list[tuple[int, int]] = []
    reporter = StepReporter(lambda i, n: steps.append((i, n)), None)
    out = runner(_call(tile, reporter=reporter))
    import diffusers

    fresh = diffusers.QwenImageLayeredPipeline.from_pretrained(
        dirs["layered"], local_files_only=True
    )
    fresh.set_progress_bar_config(disable=True)
    generator = torch.Generator("cpu").manual_seed(3)
    direct = fresh(
        image=tile.convert("RGBA"),
        prompt="",  # the model captions the source: the plan's words are an instruction
        negative_prompt=" ",
        true_cfg_scale=4.0,
        layers=2,
        num_inference_steps=2,
        resolution=640,
        cfg_normalize=False,
        use_en_prompt=True,
        generator=generator,
    ).images[0]
    assert len(runner.layers) == 2 and all(x.mode == "RGBA" for x in runner.layers)
    assert all(same_image(a, b.convert("RGBA")) for a, b in zip(runner.layers, direct, strict=True))
    assert same_image(out, over(direct, tile)) and out.mode == "RGB" and out.size == size
    assert steps == [(1, 2), (2, 2)]
    # at the canvas size under the source: the result is their composite, the writer agrees
    canvas = np.asarray(photo(96).resize((96, 64), LANCZOS))
    named, result = canvas_layers(runner.layers, canvas)
    assert [x.name for x in named] == ["source", "layer-1", "layer-2"]
    assert all(x.image.size == (96, 64) and x.image.mode == "RGBA" for x in named)
    written = layerfiles.write_layers(tmp_path, named, Image.fromarray(result))
    names = [p.name for p in written]
    assert "04-composite.png" in names and "layers.ora" in names


def test_layered_refuses_a_tile_off_its_bucket(dirs: dict[str, Path]) -> None:
    runner = QwenLayeredExecutor(_load("QwenImageLayeredPipeline", dirs["layered"], "x"))
    with pytest.raises(ExecutorError, match="must be"):
        runner(_call(photo(64)))


# ------------------------------------------------------------------------ JoyAI-Image-Edit Plus


def test_joyai_plus_with_a_reference_equals_direct_call(dirs: dict[str, Path]) -> None:
    pipe = _load("JoyImageEditPlusPipeline", dirs["plus"], "joyai-image-edit-plus")
    runner = JoyAIEditPlusExecutor(pipe)
    bucket = runner.work_size((96, 64), native=64)
    assert bucket == joyai_size((96, 64))
    tile = photo(96).resize(bucket, LANCZOS)
    reference = photo(80).resize((80, 64), LANCZOS)
    steps: list[tuple[int, int]] = []
    out = runner(
        _call(
            tile,
            steps=1,
            reference=reference,
            reporter=StepReporter(lambda i, n: steps.append((i, n)), None),
        )
    )
    direct = direct_call(
        "JoyImageEditPlusPipeline",
        dirs["plus"],
        seed=3,
        images=[tile, reference],
        prompt="a cup on a table",
        height=bucket[1],
        width=bucket[0],
        num_inference_steps=1,
        guidance_scale=4.0,
        max_sequence_length=4096,
    )
    assert direct.size == bucket and same_image(out, direct) and steps == [(1, 1)]
    alone = runner(_call(tile, steps=1))  # no reference: the tile alone, another result
    assert alone.size == bucket and not same_image(alone, out)


def test_joyai_plus_refuses_a_tile_off_its_bucket_and_cancels(dirs: dict[str, Path]) -> None:
    runner = JoyAIEditPlusExecutor(_load("JoyImageEditPlusPipeline", dirs["plus"], "x"))
    with pytest.raises(ExecutorError, match="bucket"):
        runner(_call(photo(64), steps=1))
    stop = threading.Event()
    stop.set()
    tile = photo(64).resize(joyai_size((64, 64)), LANCZOS)
    with pytest.raises(ExecutorError, match="cancel"):
        runner(_call(tile, steps=1, reporter=StepReporter(None, stop)))


# ------------------------------------------------------------------------ Z-Image ControlNet


def _pose(size: int = 64) -> Image.Image:
    pose = np.zeros((size, size, 3), dtype=np.uint8)
    pose[10:54, 30:34] = (255, 0, 0)  # a "limb"
    pose[20:24, 14:50] = (0, 255, 0)
    return Image.fromarray(pose)


def test_zimage_controlnet_fill_equals_direct_call(dirs: dict[str, Path]) -> None:
    cn = dirs["z-controlnet"]
    pipe = _load("ZImageControlNetInpaintPipeline", dirs["z-image"], "z-image", controlnet=cn)
    assert type(pipe.controlnet).__name__ == "ZImageControlNetModel"
    runner = ZImageControlNetExecutor(pipe)
    mask = Image.fromarray(np.where(box_mask((64, 64), (20, 18, 40, 36)), 255, 0).astype(np.uint8))
    call = _call(photo(), mask=mask, control=_pose(), guidance_text=0.0, conditioning_scale=0.5)
    out = runner(call)
    import diffusers

    controlnet = diffusers.ZImageControlNetModel.from_pretrained(cn, local_files_only=True)
    fresh = diffusers.ZImageControlNetInpaintPipeline.from_pretrained(
        dirs["z-image"], controlnet=controlnet, local_files_only=True
    )
    fresh.set_progress_bar_config(disable=True)
    direct = fresh(
        generator=torch.Generator("cpu").manual_seed(3),
        prompt="a cup on a table",
        image=photo(),
        mask_image=mask,
        control_image=_pose(),
        controlnet_conditioning_scale=0.5,
        height=64,
        width=64,
        num_inference_steps=2,
        guidance_scale=0.0,
        max_sequence_length=512,
    ).images[0]
    assert same_image(out, direct) and out.size == (64, 64)
    other = runner(_call(photo(), mask=mask, control=_pose(), guidance_text=0.0))  # scale 0.75
    assert not same_image(other, out)


def test_zimage_controlnet_needs_its_control_image(dirs: dict[str, Path]) -> None:
    pipe = _load(
        "ZImageControlNetInpaintPipeline",
        dirs["z-image"],
        "z-image",
        controlnet=dirs["z-controlnet"],
    )
    mask = Image.fromarray(np.where(box_mask((64, 64), (20, 18, 40, 36)), 255, 0).astype(np.uint8))
    with pytest.raises(Exception, match="control image"):
        ZImageControlNetExecutor(pipe)(_call(photo(), mask=mask, guidance_text=0.0))


# ------------------------------------------------------------------------ through run_plan


def test_split_into_layers_runs_qwen_layered_and_returns_its_layers(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    from tests.executors.exec_support import run_with, tiny_plan

    plan = tiny_plan(tmp_path, "split into layers", hardware="gpu-80gb")
    assert (plan.model.family, plan.model.pipeline) == (
        "qwen-image-layered",
        "QwenImageLayeredPipeline",
    )
    assert plan.layers and any(h.id == "layers-qwen-layered" for h in plan.rules)
    steps: list[tuple[int, int]] = []
    out = run_with(plan, dirs["layered"], progress=lambda i, n: steps.append((i, n)))
    assert out.provenance.family == "qwen-image-layered" and steps[-1] == (2, 2)
    assert out.image.size == (64, 64) and out.image.mode == "RGB"
    assert out.layers is not None and [x.name for x in out.layers][:2] == ["source", "layer-1"]
    assert len(out.layers) == 1 + 4  # the source under the model's 4 layers
    merged = layerfiles.composite(out.layers).convert("RGB")
    assert same_image(out.image, merged)  # the result is the layers' composite
    assert layerfiles.write_layers(tmp_path / "run", out.layers, out.image)
    size = layered_size((64, 64), 640)
    assert out.raw is not None and out.raw.size == size


def test_joyai_plus_moves_with_a_reference_through_run_plan(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    from tests.executors.exec_support import run_with, tiny_plan, write

    reference = photo(80).resize((80, 64), LANCZOS)
    ref_path = write(tmp_path, "reference.png", reference)
    plan = tiny_plan(
        tmp_path,
        "move the cup to the left",
        hardware="gpu-80gb",
        reference=str(ref_path),
        steps=1,
    )
    assert (plan.model.family, plan.mode) == ("joyai-image-edit-plus", "instruct")
    assert any(h.id == "move-rotate-view-reference-joyai-plus" for h in plan.rules)
    out = run_with(plan, dirs["plus"])
    bucket = joyai_size((64, 64))
    direct = direct_call(
        "JoyImageEditPlusPipeline",
        dirs["plus"],
        seed=plan.seed,
        images=[photo().resize(bucket, LANCZOS), reference],
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or None,
        height=bucket[1],
        width=bucket[0],
        num_inference_steps=1,
        guidance_scale=plan.guidance.text,
        max_sequence_length=4096,
    )
    assert same_image(out.raw, direct)
    assert same_image(out.image, direct.resize((64, 64), LANCZOS))  # exact source size
    assert out.provenance.params["reference_size"] == "80x64"


def test_zimage_controlnet_fill_through_run_plan_keeps_outside(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    from tests.executors.exec_support import outside_equal, run_with, tiny_plan

    image = photo(128)
    mask = box_mask((128, 128), (70, 40, 90, 62))
    plan = tiny_plan(
        tmp_path,
        "fix the hand",
        image=image,
        mask=mask,
        crop=True,
        priority="latency",
        licence="open",
        hardware="gpu-80gb",
    )
    assert plan.model.family == "z-image" and plan.controlnet is not None
    assert plan.controlnet.id == "hlky/Z-Image-Turbo-Fun-Controlnet-Union-2.1"
    assert any(h.id == "latency-open-controlnet-zimage" for h in plan.rules)
    local = plan.controlnet.model_copy(update={"id": str(dirs["z-controlnet"])})
    plan = plan.model_copy(update={"controlnet": local})
    out = run_with(plan, dirs["z-image"], control=_pose(128))
    assert out.provenance.pipeline == "ZImageControlNetInpaintPipeline"
    (box,) = out.provenance.crop_boxes
    assert box[2] - box[0] < 128  # crop-and-stitch: the model ran on the mask's box
    assert out.image.size == (128, 128) and outside_equal(out.image, image, out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(image)[mask])
