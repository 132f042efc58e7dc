"""SDXL inpaint/img2img, Flux.1 Fill and Flux.1 Kontext through ``run_plan``, and latent reuse.

The tiny random pipelines of ``tiny_families`` are saved once per session and loaded back through
retouch's registry and loading path (``model=`` the folder). Without crop the executor's raw output
must equal calling the diffusers pipeline directly with the same inputs and seed; with or without
crop, every pixel outside the edit region is the source's, byte for byte. Latent reuse must give
the bytes of an uncached run and say in the provenance that it was used.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.diffusion import latents, loading
from retouch.executors.diffusion.kontext import PREFERRED_RESOLUTIONS, kontext_size
from retouch.executors.run import RunOutput, run_plan
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import EditPlan
from retouch.planner.render import render

from tests.executors import tiny_families
from tests.executors.exec_support import box_mask, outside_equal, photo, tiny_dirs, tiny_plan

SIZE = 64
BOX = (20, 18, 40, 36)
PIPELINE = {
    "sdxl-inpaint": "StableDiffusionXLInpaintPipeline",
    "flux-fill": "FluxFillPipeline",
    "flux-kontext": "FluxKontextPipeline",
    "sdxl": "StableDiffusionXLImg2ImgPipeline",
}
MASKED = ("sdxl-inpaint", "flux-fill")


def _save_tiny_sdxl_img2img(folder: Path) -> Path:
    """The tiny SDXL components with a 4-channel UNet, saved as an SDXL img2img pipeline."""
    import diffusers

    components = tiny_families.tiny_sdxl_inpaint_components()
    torch.manual_seed(0)
    unet = diffusers.UNet2DConditionModel.from_config(
        {**components["unet"].config, "in_channels": 4}
    )
    diffusers.StableDiffusionXLImg2ImgPipeline(**{**components, "unet": unet}).save_pretrained(
        folder
    )
    return folder


@pytest.fixture(scope="session")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Saved tiny pipelines: sdxl-inpaint, flux-fill, flux-kontext, sdxl (img2img)."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("families")
    out = {family: build(root / family) for family, build in tiny_families.TINY_BUILDERS.items()}
    out["sdxl"] = _save_tiny_sdxl_img2img(root / "sdxl")
    return out


@pytest.fixture(autouse=True)
def _latent_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(latents.CACHE_ENV, raising=False)
    latents.clear()


def _plan(tmp: Path, edit: str, family: str, **kw: Any) -> EditPlan:
    tmp.mkdir(parents=True, exist_ok=True)
    plan = tiny_plan(tmp, edit, families=[family], hardware="gpu-80gb", **kw)
    assert plan.model.family == family
    return plan


def _run(plan: EditPlan, dirs: dict[str, Path], **kw: Any) -> RunOutput:
    return run_plan(plan, model=str(dirs[plan.model.family]), executor="diffusers", **kw)


def _direct(family: str, folder: Path, *, seed: int, **kwargs: Any) -> Image.Image:
    """A freshly loaded diffusers pipeline called as a user would; its first image."""
    import diffusers

    extra = {"add_watermarker": False} if family.startswith("sdxl") else {}
    pipe = getattr(diffusers, PIPELINE[family]).from_pretrained(
        folder, local_files_only=True, **extra
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe(generator=torch.Generator("cpu").manual_seed(seed), **kwargs).images[0]


def _same(a: Image.Image | None, b: Image.Image | None) -> bool:
    return (
        a is not None
        and b is not None
        and a.size == b.size
        and a.mode == b.mode
        and np.array_equal(np.asarray(a), np.asarray(b))
    )


# ------------------------------------------------------------------------------------ inpaint


@pytest.mark.parametrize("family", MASKED)
def test_inpaint_raw_equals_direct_call_and_keeps_outside(
    tmp_path: Path, dirs: dict[str, Path], family: str
) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = _plan(tmp_path, "remove the sign", family, mask=mask, crop=False)
    out = _run(plan, dirs)
    kwargs: dict[str, Any] = {
        "prompt": plan.prompt.positive,
        "image": photo(),
        "mask_image": Image.fromarray(np.where(out.edit_mask, 255, 0).astype(np.uint8)),
        "height": SIZE,
        "width": SIZE,
        "strength": 1.0,
        "num_inference_steps": 2,
        "guidance_scale": plan.guidance.text,
    }
    if family == "sdxl-inpaint":
        kwargs["negative_prompt"] = plan.prompt.negative
    direct = _direct(family, dirs[family], seed=plan.seed, **kwargs)
    assert _same(out.raw, direct)
    assert out.image.size == (SIZE, SIZE) and out.image.mode == "RGB"
    assert outside_equal(out.image, photo(), out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(photo())[mask])
    p = out.provenance
    assert (p.family, p.pipeline, p.dtype) == (family, PIPELINE[family], "float32")
    assert p.guidance_text == plan.guidance.text
    assert p.params["guidance_kind"] == ("cfg" if family == "sdxl-inpaint" else "distilled")
    if family == "flux-fill":  # distilled guidance: no negative prompt reaches the model
        assert p.params["negative_prompt"] is None and plan.guidance.kind == "distilled"
    else:
        assert p.params["negative_prompt"] == plan.prompt.negative != ""


@pytest.mark.parametrize("family", MASKED)
def test_crop_and_stitch_runs_on_the_box_and_keeps_outside(
    tmp_path: Path, dirs: dict[str, Path], family: str
) -> None:
    image = photo(128)
    mask = box_mask((128, 128), (70, 40, 90, 62))
    plan = _plan(tmp_path, "remove the sign", family, image=image, mask=mask, crop=True)
    out = _run(plan, dirs)
    p = out.provenance
    (box,) = p.crop_boxes
    x0, y0, x1, y1 = box
    assert p.params["crop"] is True and (x1 - x0, y1 - y0) != (128, 128)
    assert out.edit_mask[y0:y1, x0:x1].sum() == out.edit_mask.sum()  # the box holds the region
    multiple = 16 if family == "flux-fill" else 8
    assert (x1 - x0) % multiple == 0 and (y1 - y0) % multiple == 0
    work = tuple(int(v) for v in str(p.params["work_sizes"]).split("x"))
    assert max(work) == SIZE and work[0] % multiple == 0 and work[1] % multiple == 0
    assert out.raw is not None and out.raw.size == work
    assert out.image.size == (128, 128)
    assert outside_equal(out.image, image, out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(image)[mask])


@pytest.mark.parametrize("family", MASKED)
def test_outpaint_extends_canvas_and_keeps_source(
    tmp_path: Path, dirs: dict[str, Path], family: str
) -> None:
    plan = _plan(tmp_path, "extend the photo to the right", family, extend="0,0,16,8", crop=False)
    assert plan.mode == "outpaint"
    out = _run(plan, dirs)
    assert out.image.size == (SIZE + 16, SIZE + 8)
    keep = ~out.edit_mask[:SIZE, :SIZE]
    assert keep.sum() > SIZE * SIZE // 2
    assert np.array_equal(np.asarray(out.image)[:SIZE, :SIZE][keep], np.asarray(photo())[keep])
    if family == "flux-fill":  # 80 x 72 is off the 16 grid: padded to 80 x 80 and cut back
        assert out.provenance.params["work_sizes"] == "80x80" and out.raw is not None
        assert out.raw.size == (80, 80)


def test_flux_fill_pads_sides_off_the_16_grid_and_maps_back(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    image = photo(128).crop((0, 0, 72, 56))
    mask = box_mask((72, 56), (30, 20, 44, 34))
    plan = _plan(tmp_path, "remove the sign", "flux-fill", image=image, mask=mask, crop=False)
    out = _run(plan, dirs)
    assert out.provenance.params["work_sizes"] == "80x64"
    assert out.raw is not None and out.raw.size == (80, 64)
    assert out.image.size == (72, 56)
    assert outside_equal(out.image, image, out.edit_mask)


@pytest.mark.parametrize("family", [*MASKED, "flux-kontext"])
def test_same_seed_same_bytes_other_seed_other_bytes(
    tmp_path: Path, dirs: dict[str, Path], family: str
) -> None:
    if family == "flux-kontext":
        plan = _plan(tmp_path, "make him wear sunglasses", family)
    else:
        plan = _plan(tmp_path, "remove the sign", family, mask=box_mask((SIZE, SIZE), BOX))
    a, b = _run(plan, dirs), _run(plan, dirs)
    c = _run(plan.model_copy(update={"seed": 7}), dirs)
    assert _same(a.image, b.image) and _same(a.raw, b.raw)
    assert not _same(a.raw, c.raw)


# ------------------------------------------------------------------------------------ kontext


def test_kontext_runs_at_a_trained_size_and_maps_back_to_the_source(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    rgb = photo(128).resize((50, 38), Image.Resampling.LANCZOS)
    alpha = Image.fromarray(np.tile(np.linspace(0, 255, 50, dtype=np.uint8), (38, 1)))
    source = rgb.copy()
    source.putalpha(alpha)
    plan = _plan(tmp_path, "make him wear sunglasses", "flux-kontext", image=source)
    assert plan.mode == "instruct" and plan.mask.source == "none"
    out = _run(plan, dirs)
    work = kontext_size((50, 38), SIZE)  # 1184 x 880 (the nearest aspect) scaled to 64
    assert work == (80, 48) and out.provenance.params["work_sizes"] == "80x48"
    seen = np.asarray(rgb).copy()
    seen[np.asarray(alpha) == 0] = 0  # colour under alpha 0 is never shown to a model
    direct = _direct(
        "flux-kontext",
        dirs["flux-kontext"],
        seed=plan.seed,
        prompt=plan.prompt.positive,
        image=Image.fromarray(seen).resize(work, Image.Resampling.LANCZOS),
        height=work[1],
        width=work[0],
        max_area=work[0] * work[1],
        _auto_resize=False,
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
    )
    assert _same(out.raw, direct)
    # the source's exact size and mode; alpha untouched; colour = the output mapped back
    assert out.image.size == (50, 38) and out.image.mode == "RGBA"
    res = np.asarray(out.image)
    assert np.array_equal(res[..., 3], np.asarray(alpha))
    back = np.asarray(direct.resize((50, 38), Image.Resampling.LANCZOS)).copy()
    hidden = np.asarray(alpha) == 0  # pixels under alpha 0 are never rewritten
    back[hidden] = np.asarray(rgb)[hidden]
    assert np.array_equal(res[..., :3], back)
    p = out.provenance
    assert (p.family, p.pipeline, p.mask_sha256) == ("flux-kontext", PIPELINE["flux-kontext"], None)
    assert p.guidance_text == plan.guidance.text and p.guidance_image is None


def test_kontext_size_is_diffusers_choice_at_native_resolution() -> None:
    from diffusers.pipelines.flux.pipeline_flux_kontext import PREFERRED_KONTEXT_RESOLUTIONS

    assert list(PREFERRED_RESOLUTIONS) == list(PREFERRED_KONTEXT_RESOLUTIONS)
    for size in [(640, 480), (480, 640), (1000, 1000), (3000, 1000), (512, 768), (1920, 1080)]:
        ratio = size[0] / size[1]
        want = min((abs(ratio - w / h), w, h) for w, h in PREFERRED_KONTEXT_RESOLUTIONS)[1:]
        assert kontext_size(size) == want
    assert kontext_size((640, 480), 512) == (592, 448)  # 1184 x 880 halved, on the 16 grid
    with pytest.raises(ValueError, match="empty"):
        kontext_size((0, 10))


# ------------------------------------------------------------------------------------ sdxl img2img


def test_sdxl_sdedit_raw_equals_direct_call(tmp_path: Path, dirs: dict[str, Path]) -> None:
    plan = _plan(tmp_path, "make it look like a watercolor painting", "sdxl")
    assert plan.mode == "sdedit" and plan.strength is not None
    out = _run(plan, dirs)
    direct = _direct(
        "sdxl",
        dirs["sdxl"],
        seed=plan.seed,
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or None,
        image=photo(),
        strength=plan.strength,
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
    )
    assert _same(out.raw, direct) and out.provenance.pipeline == PIPELINE["sdxl"]


# ------------------------------------------------------------------------------------ loading


def test_detect_family_and_wrong_family_folders(tmp_path: Path, dirs: dict[str, Path]) -> None:
    got = {f: loading.detect_family(dirs[f]) for f in dirs}
    assert got == {f: f for f in dirs}
    mask = box_mask((SIZE, SIZE), BOX)
    inpaint = _plan(tmp_path / "a", "remove the sign", "flux-fill", mask=mask)
    with pytest.raises(InputError, match="holds a Flux.1 Kontext model; an inpaint edit needs"):
        run_plan(inpaint, model=str(dirs["flux-kontext"]), executor="diffusers")
    instruct = _plan(tmp_path / "b", "make him wear sunglasses", "flux-kontext")
    with pytest.raises(InputError, match="holds a Flux.1 Fill model; an instruct edit needs"):
        run_plan(instruct, model=str(dirs["flux-fill"]), executor="diffusers")
    # a text-to-image Flux (same transformer as Kontext) is named, not guessed
    t2i = tmp_path / "flux-t2i"
    shutil.copytree(dirs["flux-kontext"], t2i)
    index = json.loads((t2i / "model_index.json").read_text())
    (t2i / "model_index.json").write_text(json.dumps({**index, "_class_name": "FluxPipeline"}))
    assert loading.detect_family(t2i) is None
    with pytest.raises(InputError, match="holds a FluxPipeline model, which retouch does not run"):
        run_plan(instruct, model=str(t2i), executor="diffusers")
    # a Fill transformer saved under another pipeline class is still Fill (in > out channels)
    fill = tmp_path / "fill-renamed"
    shutil.copytree(dirs["flux-fill"], fill)
    index = json.loads((fill / "model_index.json").read_text())
    (fill / "model_index.json").write_text(json.dumps({**index, "_class_name": "FluxPipeline"}))
    assert loading.detect_family(fill) == "flux-fill"


def test_plan_and_skill_doc_say_what_the_scale_means(tmp_path: Path) -> None:
    fill = _plan(tmp_path / "a", "remove the sign", "flux-fill", mask=box_mask((SIZE, SIZE), BOX))
    kontext = _plan(tmp_path / "b", "make him wear sunglasses", "flux-kontext")
    sdxl = _plan(
        tmp_path / "c", "remove the sign", "sdxl-inpaint", mask=box_mask((SIZE, SIZE), BOX)
    )
    for plan, kind in ((fill, "distilled"), (kontext, "distilled"), (sdxl, "cfg")):
        assert plan.guidance.kind == kind
        doc = render(plan)
        assert f"**Guidance ({kind}):**" in doc and plan.guidance.meaning in doc
    assert "not CFG" in fill.guidance.meaning and "no negative prompt" in fill.guidance.meaning
    assert fill.prompt.negative == "" and kontext.prompt.negative == ""
    assert "negative prompt applies" in sdxl.guidance.meaning


# ------------------------------------------------------------------------------------ latent reuse


def _edit_twice(tmp: Path, dirs: dict[str, Path], family: str) -> tuple[RunOutput, RunOutput]:
    """Edit one region, then the same region again on the result (another seed)."""
    mask = box_mask((SIZE, SIZE), BOX)
    folder = str(tiny_dirs()["inpaint"] if family == "sd-inpaint" else dirs[family])
    first = _plan(tmp / "1", "remove the sign", family, mask=mask, crop=False)
    one = run_plan(first, model=folder, executor="diffusers")
    second = _plan(tmp / "2", "remove the sign", family, image=one.image, mask=mask, crop=False)
    second = second.model_copy(update={"seed": 5})
    return one, run_plan(second, model=folder, executor="diffusers")


@pytest.mark.parametrize("family", ["sd-inpaint", "sdxl-inpaint", "flux-fill"])
def test_second_edit_of_the_result_reuses_latents_with_identical_bytes(
    tmp_path: Path, dirs: dict[str, Path], family: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(latents.CACHE_ENV, "0")
    _, off = _edit_twice(tmp_path / "off", dirs, family)
    monkeypatch.setenv(latents.CACHE_ENV, "8")
    latents.clear()
    one, on = _edit_twice(tmp_path / "on", dirs, family)
    # the masked source the first edit encoded is the second edit's masked result
    encodes = 2 if family == "flux-fill" else 1  # Fill also encodes the unmasked image
    assert one.provenance.params["vae_encode_hits"] == 0
    assert (on.provenance.params["vae_encodes"], on.provenance.params["vae_encode_hits"]) == (
        encodes,
        1,
    )
    assert on.provenance.params["latent_reuse"] is True
    assert off.provenance.params["latent_reuse"] is False
    assert off.provenance.params["vae_encode_hits"] == 0
    assert _same(on.raw, off.raw) and _same(on.image, off.image)
    assert latents.size() <= 8


def test_strength_sweep_reuses_the_source_encoding(
    tmp_path: Path, dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = [
        tiny_plan(tmp_path, "make it look like a watercolor painting").model_copy(
            update={"strength": s}
        )
        for s in (0.5, 1.0)  # 1 and 2 of the 2 steps
    ]
    model = str(tiny_dirs()["img2img"])
    monkeypatch.setenv(latents.CACHE_ENV, "0")
    off = [run_plan(p, model=model, executor="diffusers") for p in plans]
    monkeypatch.delenv(latents.CACHE_ENV)
    on = [run_plan(p, model=model, executor="diffusers") for p in plans]
    assert [o.provenance.params["vae_encode_hits"] for o in on] == [0, 1]
    assert all(
        _same(a.raw, b.raw) and _same(a.image, b.image) for a, b in zip(on, off, strict=True)
    )
    assert not _same(on[0].raw, on[1].raw)


def test_latent_cache_key_bound_and_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    from diffusers import AutoencoderKL

    x = torch.tensor([[-0.0, 0.5], [1.0, -1.0]])
    assert latents.content_key(x) == latents.content_key(torch.tensor([[0.0, 0.5], [1.0, -1.0]]))
    assert latents.content_key(x) != latents.content_key(torch.tensor([[0.0, 0.5], [1.0, -0.99]]))
    assert latents.content_key(x) != latents.content_key(x.to(torch.float64))  # other bytes
    bf16 = [torch.tensor(v, dtype=torch.bfloat16) for v in ([-0.0, 1.0], [0.0, 1.0], [0.0, 2.0])]
    keys = [latents.content_key(t) for t in bf16]  # Flux's dtype on CUDA, hashed as bytes
    assert keys[0] == keys[1] != keys[2]
    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=(8,), norm_num_groups=4, latent_channels=4)
    assert latents.install(vae) and latents.install(vae) and latents.installed(vae)
    monkeypatch.setenv(latents.CACHE_ENV, "2")
    images = [torch.full((1, 3, 8, 8), v) for v in (0.1, 0.2, 0.3)]
    with latents.counting() as tally:
        first = vae.encode(images[0]).latent_dist
        again = vae.encode(images[0]).latent_dist
        for img in images[1:]:
            vae.encode(img)
        evicted = vae.encode(images[0], return_dict=False)[0]
    assert (tally.encodes, tally.hits, latents.size()) == (5, 1, 2)
    assert torch.equal(first.parameters, again.parameters) and again is not first
    gen = [torch.Generator().manual_seed(3) for _ in range(2)]
    assert torch.equal(first.sample(gen[0]), evicted.sample(gen[1]))
    monkeypatch.setenv(latents.CACHE_ENV, "0")
    latents.clear()
    with latents.counting() as tally:
        vae.encode(images[0])
        vae.encode(images[0])
    assert (tally.encodes, tally.hits, latents.size()) == (2, 0, 0)
