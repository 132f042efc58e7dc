"""Every diffusers mode on tiny random pipelines loaded through retouch's loading path.

For the SD-family pipelines, the executor's raw output must equal calling the diffusers pipeline
directly with the same inputs and seed (no crop): retouch adds no hidden change. Results keep the
source's pixels outside the edit region byte for byte.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.images import masks
from retouch.executors.run import run_plan
from retouch.planner.contract.errors import ExecutorError, InputError

from tests.executors.exec_support import SIZE, box_mask, outside_equal, photo, tiny_dirs, tiny_plan

BOX = (20, 18, 40, 36)


def _direct(
    cls_name: str,
    folder: Path,
    load: dict | None = None,  # type: ignore[type-arg]
    **kwargs,
):  # type: ignore[no-untyped-def]
    """Call a freshly loaded diffusers pipeline the way a user would; first image."""
    import diffusers

    pipe = getattr(diffusers, cls_name).from_pretrained(
        folder, local_files_only=True, **(load or {})
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe(generator=torch.Generator("cpu").manual_seed(kwargs.pop("seed")), **kwargs).images[
        0
    ]


def _same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))


def test_inpaint_raw_equals_direct_call_and_keeps_outside(tmp_path: Path) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = tiny_plan(tmp_path, "remove the sign", mask=mask, crop=False)
    assert plan.mode == "inpaint" and plan.model.family == "sd-inpaint"
    out = run_plan(plan, model=str(tiny_dirs()["inpaint"]), executor="diffusers")
    direct = _direct(
        "StableDiffusionInpaintPipeline",
        tiny_dirs()["inpaint"],
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or None,
        image=photo(),
        mask_image=masks.to_pil(out.edit_mask),
        height=SIZE,
        width=SIZE,
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
        seed=plan.seed,
    )
    assert out.raw is not None and _same(out.raw, direct)
    assert out.image.size == (SIZE, SIZE) and out.image.mode == "RGB"
    # the mask was dilated by the plan, and only it changed
    assert out.edit_mask.sum() > mask.sum() and out.edit_mask[mask].all()
    assert outside_equal(out.image, photo(), out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(photo())[mask])
    p = out.provenance
    assert (p.executor, p.family, p.pipeline) == (
        "diffusers",
        "sd-inpaint",
        "StableDiffusionInpaintPipeline",
    )
    assert p.crop_boxes == [(0, 0, SIZE, SIZE)] and p.steps == 2 and p.dtype == "float32"
    assert p.mask_sha256 is not None and len(p.mask_sha256) == 64


def test_same_seed_same_result_other_seed_other_result(tmp_path: Path) -> None:
    plan = tiny_plan(tmp_path, "remove the sign", mask=box_mask((SIZE, SIZE), BOX), crop=False)
    model = str(tiny_dirs()["inpaint"])
    a = run_plan(plan, model=model, executor="diffusers")
    b = run_plan(plan, model=model, executor="diffusers")
    c = run_plan(plan.model_copy(update={"seed": 7}), model=model, executor="diffusers")
    assert _same(a.image, b.image) and _same(a.raw, b.raw)  # type: ignore[arg-type]
    assert not _same(a.raw, c.raw)  # type: ignore[arg-type]
    assert b.provenance.params["cached"] is True  # loaded once, reused


def test_outpaint_extends_canvas_and_keeps_source(tmp_path: Path) -> None:
    plan = tiny_plan(tmp_path, "extend the photo to the right", extend="0,0,16,8", crop=False)
    assert plan.mode == "outpaint"
    out = run_plan(plan, model=str(tiny_dirs()["inpaint"]), executor="diffusers")
    assert out.image.size == (SIZE + 16, SIZE + 8)
    assert out.raw is not None and out.raw.size == (SIZE + 16, SIZE + 8)
    src, res = np.asarray(photo()), np.asarray(out.image)
    keep = ~out.edit_mask[:SIZE, :SIZE]
    assert np.array_equal(res[:SIZE, :SIZE][keep], src[keep])
    assert keep[: SIZE - 8, : SIZE - 8].all()  # the mask reaches 8 px into the old image
    assert out.edit_mask[:, SIZE:].all() and out.edit_mask[SIZE:, :].all()
    assert out.provenance.params["prefill"] == "mirror-blur"


def test_sdedit_masked_is_composited_and_raw_is_img2img(tmp_path: Path) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = tiny_plan(tmp_path, "make the sign look like a watercolor", mask=mask, crop=False)
    assert plan.mode == "sdedit" and plan.strength is not None
    out = run_plan(plan, model=str(tiny_dirs()["img2img"]), executor="diffusers")
    direct = _direct(
        "StableDiffusionImg2ImgPipeline",
        tiny_dirs()["img2img"],
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or None,
        image=photo(),
        strength=plan.strength,
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
        seed=plan.seed,
    )
    assert out.raw is not None and _same(out.raw, direct)
    assert outside_equal(out.image, photo(), out.edit_mask)
    assert out.provenance.strength == plan.strength


def test_sdedit_whole_image(tmp_path: Path) -> None:
    plan = tiny_plan(tmp_path, "make it look like a watercolor painting")
    assert plan.mode == "sdedit" and plan.mask.source == "none"
    out = run_plan(plan, model=str(tiny_dirs()["img2img"]), executor="diffusers")
    assert out.edit_mask.all() and out.provenance.mask_sha256 is None
    # the SDXL plan runs on an SD model: half SDXL's native side, then back to the source size
    assert out.raw is not None and out.raw.size == (SIZE // 2, SIZE // 2)
    back = out.raw.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    assert _same(out.image, back)  # whole image: the result is the output, mapped back


def test_instruct_raw_equals_direct_call(tmp_path: Path) -> None:
    plan = tiny_plan(tmp_path, "make it sunset")
    assert plan.mode == "instruct" and plan.model.family == "instruct-pix2pix"
    out = run_plan(plan, model=str(tiny_dirs()["pix2pix"]), executor="diffusers")
    direct = _direct(
        "StableDiffusionInstructPix2PixPipeline",
        tiny_dirs()["pix2pix"],
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or None,
        image=photo(),
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
        image_guidance_scale=plan.guidance.image,
        seed=plan.seed,
    )
    assert out.raw is not None and _same(out.raw, direct) and _same(out.image, direct)
    assert out.provenance.guidance_image == plan.guidance.image


def test_controlnet_inpaint_raw_equals_direct_call(tmp_path: Path) -> None:
    import diffusers

    mask = box_mask((SIZE, SIZE), BOX)
    plan = tiny_plan(tmp_path, "fix the hand", mask=mask, crop=False)
    assert plan.controlnet is not None
    plan = plan.model_copy(
        update={
            "controlnet": plan.controlnet.model_copy(update={"id": str(tiny_dirs()["controlnet"])})
        }
    )
    pose = Image.fromarray(
        (np.random.default_rng(1).random((SIZE, SIZE, 3)) * 255).astype(np.uint8)
    )
    with pytest.raises(InputError, match="give its control image") as missing:
        run_plan(plan, model=str(tiny_dirs()["inpaint"]), executor="diffusers")
    assert [h.setting for h in missing.value.hints] == ["control"]
    with pytest.raises(InputError, match="control image is 32x32"):
        run_plan(
            plan,
            model=str(tiny_dirs()["inpaint"]),
            executor="diffusers",
            control=pose.resize((32, 32)),
        )
    out = run_plan(plan, model=str(tiny_dirs()["inpaint"]), executor="diffusers", control=pose)
    cn = diffusers.ControlNetModel.from_pretrained(tiny_dirs()["controlnet"])
    direct = _direct(
        "StableDiffusionControlNetInpaintPipeline",
        tiny_dirs()["inpaint"],
        load={"controlnet": cn},
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or None,
        image=photo(),
        mask_image=masks.to_pil(out.edit_mask),
        control_image=pose,
        height=SIZE,
        width=SIZE,
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
        controlnet_conditioning_scale=plan.controlnet.conditioning_scale,
        seed=plan.seed,
    )
    assert out.raw is not None and _same(out.raw, direct)
    assert outside_equal(out.image, photo(), out.edit_mask)
    assert out.provenance.pipeline == "StableDiffusionControlNetInpaintPipeline"


def test_repaint_fills_region_deterministically(tmp_path: Path) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = tiny_plan(tmp_path, "remove the sign", mask=mask, crop=False, families=["ddpm"])
    assert plan.mode == "repaint"
    steps: list[tuple[int, int]] = []
    model = str(tiny_dirs()["ddpm"])
    a = run_plan(
        plan, model=model, executor="diffusers", progress=lambda s, t: steps.append((s, t))
    )
    b = run_plan(plan, model=model, executor="diffusers")
    assert _same(a.image, b.image) and a.image.size == (SIZE, SIZE)
    assert outside_equal(a.image, photo(), a.edit_mask)
    assert not np.array_equal(np.asarray(a.image)[mask], np.asarray(photo())[mask])
    assert steps == [(1, 2), (2, 2)]  # 2 steps, jump_length capped at the steps
    assert a.provenance.pipeline == "RePaintPipeline" and a.provenance.guidance_text is None


def test_progress_counts_steps_and_cancel_stops(tmp_path: Path) -> None:
    plan = tiny_plan(tmp_path, "remove the sign", mask=box_mask((SIZE, SIZE), BOX), crop=False)
    model = str(tiny_dirs()["inpaint"])
    seen: list[tuple[int, int]] = []
    run_plan(plan, model=model, executor="diffusers", progress=lambda s, t: seen.append((s, t)))
    total = seen[-1][1]
    assert seen == [(i, total) for i in range(1, total + 1)] and total >= 2
    cancel = threading.Event()
    calls: list[int] = []

    def stop_after_first(step: int, total: int) -> None:
        calls.append(step)
        cancel.set()

    with pytest.raises(ExecutorError) as err:
        run_plan(plan, model=model, executor="diffusers", progress=stop_after_first, cancel=cancel)
    assert str(err.value) == "cancelled" and calls == [1]
    with pytest.raises(ExecutorError, match="^cancelled$"):
        run_plan(plan, model=model, executor="diffusers", cancel=cancel)  # set before the start


def test_run_plan_from_a_worker_thread(tmp_path: Path) -> None:
    plan = tiny_plan(tmp_path, "remove the sign", mask=box_mask((SIZE, SIZE), BOX), crop=False)
    model = str(tiny_dirs()["inpaint"])
    main = run_plan(plan, model=model, executor="diffusers")
    box: dict[str, object] = {}
    t = threading.Thread(
        target=lambda: box.update(out=run_plan(plan, model=model, executor="diffusers"))
    )
    t.start()
    t.join()
    assert _same(box["out"].image, main.image)  # type: ignore[attr-defined]
