"""Finding and loading models: local folders and the local HF cache only, clear errors otherwise,
the auto executor's fallback to the classical fill, device/dtype choice, the pipeline cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from retouch.executors.diffusion import loading
from retouch.executors.diffusion.pipelines import PIPELINES
from retouch.executors.run import run_plan
from retouch.planner.catalog.registry import REGISTRY
from retouch.planner.contract.errors import ExecutorError, InputError, ModelMissingError

from tests.executors.exec_support import SIZE, box_mask, outside_equal, photo, tiny_dirs, tiny_plan

BOX = (20, 18, 40, 36)
SD_INPAINT_ID = "stable-diffusion-v1-5/stable-diffusion-inpainting"


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache for this test (nothing of the user's leaks in)."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.delenv(loading.DOWNLOAD_ENV, raising=False)
    return cache


def cache_model(cache: Path, repo_id: str, folder: Path) -> Path:
    """Lay ``folder`` out in the HF cache as ``repo_id``'s snapshot, as a download would."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    shutil.copytree(folder, repo / "snapshots" / "0123abcd")
    return repo


def _plan(tmp_path: Path, edit: str = "remove the sign", **kw):  # type: ignore[no-untyped-def]
    return tiny_plan(tmp_path, edit, mask=box_mask((SIZE, SIZE), BOX), crop=False, **kw)


def test_missing_model_names_id_and_fetch_command(tmp_path: Path, hf_cache: Path) -> None:
    plan = _plan(tmp_path, "add a dragon")
    with pytest.raises(ModelMissingError) as err:
        run_plan(plan)  # auto: a generative edit never falls back to the classical fill
    msg = str(err.value)
    assert SD_INPAINT_ID in msg and f"hf download {SD_INPAINT_ID}" in msg
    assert "allow downloads" in msg and "--" not in msg and "\n" not in msg
    assert {h.setting for h in err.value.hints} == {"model", "allow_download"}
    with pytest.raises(ModelMissingError, match=SD_INPAINT_ID):
        run_plan(_plan(tmp_path), executor="diffusers")


def test_auto_falls_back_to_classical_for_removal(tmp_path: Path, hf_cache: Path) -> None:
    plan = _plan(tmp_path)
    assert plan.executor == "diffusers"  # planned for a GPU; the weights are not here
    out = run_plan(plan)
    p = out.provenance
    assert p.executor == "classical" and p.model_id is None and out.raw is None
    assert "no diffusion model" in str(p.params["executor_reason"])
    assert outside_equal(out.image, photo(), out.edit_mask)


def test_classical_refuses_generative_edits(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs a diffusion model"):
        run_plan(_plan(tmp_path, "add a dragon"), executor="classical")


def test_model_from_the_hf_cache(tmp_path: Path, hf_cache: Path) -> None:
    cache_model(hf_cache, SD_INPAINT_ID, tiny_dirs()["inpaint"])
    out = run_plan(_plan(tmp_path, "add a dragon"))
    p = out.provenance
    assert (p.executor, p.model_id, p.params["model_source"]) == (
        "diffusers",
        SD_INPAINT_ID,
        "cache",
    )


def test_alternate_family_is_used_when_the_planned_one_is_not_here(
    tmp_path: Path, hf_cache: Path
) -> None:
    plan = tiny_plan(tmp_path, "extend the photo", extend="0,0,16,0", crop=False)
    assert plan.model.family == "sdxl-inpaint" and "sd-inpaint" in plan.model.alternates
    with pytest.raises(ModelMissingError, match=r"\(sdxl-inpaint\) is not on this machine"):
        run_plan(plan, executor="diffusers")
    cache_model(hf_cache, SD_INPAINT_ID, tiny_dirs()["inpaint"])
    out = run_plan(plan, executor="diffusers")
    assert out.provenance.family == "sd-inpaint" and out.image.size == (SIZE + 16, SIZE)


def test_a_gated_model_missing_names_the_command_alone_then_the_licence_step(
    tmp_path: Path, hf_cache: Path
) -> None:
    plan = _plan(tmp_path, "remove the sign")
    fill = plan.model_copy(
        update={"model": plan.model.model_copy(
            update={"family": "flux-fill", "id": REGISTRY["flux-fill"].default_id, "alternates": []}
        )}
    )  # fmt: skip
    with pytest.raises(ModelMissingError) as err:
        loading.resolve_model(fill, None, allow_download=False)
    assert "fetch it with `hf download black-forest-labs/FLUX.1-Fill-dev` (gated: accept" in str(
        err.value
    )


def test_download_only_when_allowed(
    tmp_path: Path, hf_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []

    def fake_download(model_id: str) -> Path:
        fetched.append(model_id)
        return tiny_dirs()["inpaint"]

    monkeypatch.setattr(loading, "_download", fake_download)
    plan = _plan(tmp_path, "add a dragon")
    with pytest.raises(ModelMissingError):
        run_plan(plan)
    assert fetched == []
    out = run_plan(plan, allow_download=True)
    assert fetched == [SD_INPAINT_ID] and out.provenance.params["model_source"] == "download"
    monkeypatch.setenv(loading.DOWNLOAD_ENV, "1")
    run_plan(plan)
    assert fetched == [SD_INPAINT_ID] * 2


def test_wrong_family_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        run_plan(_plan(tmp_path), model=str(tiny_dirs()["img2img"]), executor="diffusers")
    msg = str(err.value)
    assert "4-channel UNet" in msg and "9-channel UNet" in msg and "an inpaint edit" in msg
    with pytest.raises(InputError, match="unconditional DDPM"):
        run_plan(_plan(tmp_path, "make it sunset"), model=str(tiny_dirs()["ddpm"]))


def test_not_a_model_folder_and_missing_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="not a diffusers model folder"):
        run_plan(_plan(tmp_path), model=str(empty), executor="diffusers")
    with pytest.raises(InputError, match="does not exist"):
        run_plan(_plan(tmp_path), model="./no/such/model", executor="diffusers")


def test_incomplete_folder_is_an_executor_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dirs()["inpaint"], broken)
    for f in (broken / "unet").glob("*.safetensors"):
        f.unlink()
    with pytest.raises(ExecutorError, match="cannot load StableDiffusionInpaintPipeline"):
        run_plan(_plan(tmp_path), model=str(broken), executor="diffusers")


def test_controlnet_missing_or_wrong(tmp_path: Path, hf_cache: Path) -> None:
    plan = _plan(tmp_path, "fix the hand")
    assert plan.controlnet is not None
    pose = photo()
    with pytest.raises(ModelMissingError, match=plan.controlnet.id):
        run_plan(plan, model=str(tiny_dirs()["inpaint"]), control=pose)
    wrong = plan.model_copy(
        update={
            "controlnet": plan.controlnet.model_copy(update={"id": str(tiny_dirs()["inpaint"])})
        }
    )
    with pytest.raises(InputError, match="not a ControlNet folder"):
        run_plan(wrong, model=str(tiny_dirs()["inpaint"]), control=pose)


def test_detect_family_from_json_only(tmp_path: Path) -> None:
    dirs = tiny_dirs()
    got = {k: loading.detect_family(dirs[k]) for k in ("inpaint", "img2img", "pix2pix", "ddpm")}
    assert got == {
        "inpaint": "sd-inpaint",
        "img2img": "sd",
        "pix2pix": "instruct-pix2pix",
        "ddpm": "ddpm",
    }
    sdxl = tmp_path / "sdxl"
    (sdxl / "unet").mkdir(parents=True)
    (sdxl / "model_index.json").write_text(
        json.dumps(
            {"_class_name": "StableDiffusionXLInpaintPipeline", "text_encoder_2": ["x", "y"]}
        )
    )
    (sdxl / "unet" / "config.json").write_text(json.dumps({"in_channels": 9}))
    assert loading.detect_family(sdxl) == "sdxl-inpaint"
    (sdxl / "unet" / "config.json").write_text(json.dumps({"in_channels": 4}))
    assert loading.detect_family(sdxl) == "sdxl"
    with pytest.raises(InputError, match="holds an SDXL model .4-channel UNet"):
        run_plan(_plan(tmp_path), model=str(sdxl), executor="diffusers")


def test_every_supported_pipeline_exists_in_diffusers() -> None:
    import diffusers

    for spec in PIPELINES.values():
        assert hasattr(diffusers, spec.pipeline), spec.pipeline
        assert spec.scheduler is None or hasattr(diffusers, spec.scheduler)


def test_device_and_dtype_choice() -> None:
    import torch

    assert loading.pick_dtype(None, "cpu", "sd-inpaint") == "float32"
    assert loading.pick_dtype(None, "cuda", "sd-inpaint") == "float16"
    assert loading.pick_dtype(None, "cuda", "flux-fill") == "bfloat16"
    assert loading.pick_dtype("bf16", "cpu", "sd") == "bfloat16"
    with pytest.raises(InputError, match="float32, float16, bfloat16"):
        loading.pick_dtype("int8", "cpu", "sd")
    with pytest.raises(InputError, match="cpu, cuda"):
        loading.pick_device("tpu")
    assert loading.pick_device("cpu") == "cpu"
    want = (
        "cuda"
        if torch.cuda.is_available()
        else ("mps" if torch.backends.mps.is_available() else "cpu")
    )
    assert loading.pick_device(None) == want
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA GPU"):
            loading.pick_device("cuda")


def test_pipeline_cache_loads_once_and_evicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan(tmp_path)
    ref = loading.resolve_model(plan, str(tiny_dirs()["inpaint"]), allow_download=False)
    spec = PIPELINES[("sd-inpaint", "inpaint", None)]
    loading.clear_cache()
    a, cached_a = loading.load_pipeline(spec, ref, device="cpu", dtype="float32")
    b, cached_b = loading.load_pipeline(spec, ref, device="cpu", dtype="float32")
    assert a is b and (cached_a, cached_b) == (False, True)
    monkeypatch.setenv(loading.CACHE_SIZE_ENV, "1")
    ref2 = loading.resolve_model(
        _plan(tmp_path, "make the sign look like a watercolor"),
        str(tiny_dirs()["img2img"]),
        allow_download=False,
    )
    loading.load_pipeline(PIPELINES[("sd", "sdedit", None)], ref2, device="cpu", dtype="float32")
    c, cached_c = loading.load_pipeline(spec, ref, device="cpu", dtype="float32")
    assert c is not a and cached_c is False  # evicted by the other pipeline
    loading.clear_cache()


def test_float_dtype_override_reaches_the_weights(tmp_path: Path) -> None:
    out = run_plan(
        _plan(tmp_path), model=str(tiny_dirs()["inpaint"]), executor="diffusers", dtype="bfloat16"
    )
    assert out.provenance.dtype == "bfloat16"
    assert np.asarray(out.image).shape == (SIZE, SIZE, 3)


@pytest.mark.gpu
def test_cuda_defaults_to_fp16_and_offload_runs(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    model = str(tiny_dirs()["inpaint"])
    out = run_plan(plan, model=model, executor="diffusers", device="cuda")
    assert (out.provenance.device, out.provenance.dtype) == ("cuda", "float16")
    assert outside_equal(out.image, photo(), out.edit_mask)
    offload = plan.model_copy(update={"model": plan.model.model_copy(update={"offload": True})})
    out2 = run_plan(offload, model=model, executor="diffusers", device="cuda")
    assert out2.provenance.params["offload"] is True
    assert outside_equal(out2.image, photo(), out2.edit_mask)


def test_a_family_that_does_not_edit_never_stands_in(tmp_path: Path) -> None:
    """Qwen-Image-Layered runs the instruct mode but returns the photo split into layers, not the
    edit: the loader's fallback for a missing instruct model must not reach it, while a plan made
    for it still finds it first."""
    plan = tiny_plan(tmp_path, "make it look like winter")
    assert plan.mode == "instruct" and plan.model.family != "qwen-image-layered"
    order = loading._needed(plan, None)
    assert "qwen-image-layered" not in order and len(order) > 1  # other instruct families stand in
    layered = plan.model_copy(
        update={"model": plan.model.model_copy(update={"family": "qwen-image-layered", "alternates": []})}
    )  # fmt: skip
    assert loading._needed(layered, None)[0] == "qwen-image-layered"


@pytest.mark.parametrize("module", ["torch", "diffusers"])
def test_a_missing_library_names_the_gpu_extra(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without torch or diffusers the loader says which library and the extra's one install line,
    in the same words as every other missing extra (planner/contract/extras.py)."""
    import sys

    from retouch.planner.contract.extras import install_line

    monkeypatch.setitem(sys.modules, module, None)  # `import <module>` now raises ImportError
    (family, _, _), spec = next(iter(PIPELINES.items()))
    ref = loading.ModelRef(family, "some/model", tmp_path, "folder")
    with pytest.raises(ModelMissingError) as err:
        loading._load(spec, ref, device="cpu", dtype="float32", controlnet=None, offload=False)
    message = str(err.value)
    assert message.startswith(f"{module} is not installed;"), message
    assert message.endswith(f"need the gpu extra: {install_line('gpu')}"), message
    assert "pip install torch diffusers" not in message
