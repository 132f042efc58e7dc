"""Lightning LoRAs (issue 17): found in the Hugging Face cache index or through $RETOUCH_LORA, for
the model release they were distilled from only; fused on load with the scheduler config they were
distilled with; their steps and guidance run and are reported as a steps degradation.

The fast tests lay empty files out in a temporary cache (finding reads names, never weights). The
slow ones build a tiny random Qwen-Image-Edit (tests/executors/tiny_edit_families.py) and a tiny
LoRA for its transformer in-process (peft, random non-zero weights, saved by the pipeline's own
``save_lora_weights`` under the real 2509 Lightning file name), cache both as a download would,
and run ``run_plan`` with sockets refused (the ``offline`` fixture).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from retouch.executors.diffusion import latents, loading
from retouch.executors.diffusion.lora import LORA_ENV, apply, find_lora, known
from retouch.executors.diffusion.variants import differences, lora_for, run_settings
from retouch.executors.run import run_plan
from retouch.planner.contract.errors import InputError

from tests.executors.exec_support import photo, tiny_plan

QWEN = "qwen-image-edit"
EDIT_2509 = "Qwen/Qwen-Image-Edit-2509"
EDIT_2511 = "Qwen/Qwen-Image-Edit-2511"
LIGHTNING = "lightx2v/Qwen-Image-Lightning"
LIGHTNING_2511 = "lightx2v/Qwen-Image-Edit-2511-Lightning"
NAME_8 = "Qwen-Image-Edit-2509-Lightning-8steps-V1.0-bf16.safetensors"
NAME_4 = "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-fp32.safetensors"
NAME_2511 = "Qwen-Image-Edit-2511-Lightning-4steps-V1.0-bf16.safetensors"
# The scheduler config ModelTC/Qwen-Image-Lightning's generate_with_diffusers.py builds for every
# Lightning LoRA, written out here as published (not read from retouch's registry).
PUBLISHED_SCHEDULER = {
    "base_image_seq_len": 256,
    "base_shift": math.log(3),
    "invert_sigmas": False,
    "max_image_seq_len": 8192,
    "max_shift": math.log(3),
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "shift_terminal": None,
    "stochastic_sampling": False,
    "time_shift_type": "exponential",
    "use_beta_sigmas": False,
    "use_dynamic_shifting": True,
    "use_exponential_sigmas": False,
    "use_karras_sigmas": False,
}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache of this test's own, and no $RETOUCH_LORA from the user."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.delenv(LORA_ENV, raising=False)
    monkeypatch.delenv(loading.DOWNLOAD_ENV, raising=False)
    return cache


def cache_repo(cache: Path, repo_id: str, files: dict[str, Path | None]) -> Path:
    """Lay ``files`` (path in the repo -> source file or folder; None: an empty file) out as
    ``repo_id``'s snapshot in the HF cache, as a download would; return the snapshot folder."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / "0123abcd"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text("0123abcd")
    for rel, src in files.items():
        dst = snapshot / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src is None:
            dst.write_bytes(b"")
        elif src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy(src, dst)
    return snapshot


# 1. names and finding (no weights read, no torch) --------------------------------------------------


def test_known_file_names_are_the_published_ones() -> None:
    assert known(NAME_8) == ("Qwen-Image-Edit-2509-Lightning-8steps-V1.0", 2)
    assert known(NAME_4) == ("Qwen-Image-Edit-2509-Lightning-4steps-V1.0", 0)
    assert known(NAME_2511) == ("Qwen-Image-Edit-2511-Lightning-4steps-V1.0", 2)
    assert known("Qwen-Image-Edit-Lightning-8steps-V1.0.safetensors") == (
        "Qwen-Image-Edit-Lightning-8steps-V1.0",
        1,
    )
    for other in ["Qwen-Image-Lightning-8steps-V1.1.safetensors",  # text-to-image, not edits
                  "Qwen-Image-Edit-2509-Lightning-8steps-V1.0-bf16.bin", "style.safetensors"]:  # fmt: skip
        assert known(other) is None


def test_the_cache_gives_the_lora_of_the_models_release(hub: Path, tmp_path: Path) -> None:
    folder = "Qwen-Image-Edit-2509/"
    cache_repo(hub, LIGHTNING, {folder + NAME_4: None, folder + NAME_8: None})
    cache_repo(hub, LIGHTNING_2511, {NAME_2511: None})
    model = tmp_path / "m"
    found = find_lora(QWEN, EDIT_2509, model)
    assert found is not None and found.source == "cache"
    assert found.file.name == NAME_8  # 8 steps before 4
    assert found.id == f"{LIGHTNING}/Qwen-Image-Edit-2509/{NAME_8}"
    assert (found.spec.steps, found.spec.text_guidance, found.spec.base) == (8, 1.0, EDIT_2509)
    assert found.spec.licence.name == "Apache-2.0"
    # a folder named like the release, and a cache snapshot of it, are that release too
    assert find_lora(QWEN, str(tmp_path / "Qwen-Image-Edit-2509"), model) == found
    snap = hub / "models--Qwen--Qwen-Image-Edit-2509" / "snapshots" / "0123abcd"
    assert find_lora(QWEN, str(snap), snap) == found
    the_2511 = find_lora(QWEN, EDIT_2511, model)
    assert the_2511 is not None and the_2511.file.name == NAME_2511  # not 2509's
    assert find_lora(QWEN, "Qwen/Qwen-Image-Edit", model) is None  # its LoRA is not here
    assert find_lora(QWEN, str(tmp_path / "my-qwen"), model) is None  # release unknown: no guess
    assert find_lora("flux2-klein", "black-forest-labs/FLUX.2-klein-4B", model) is None


def test_retouch_lora_points_at_a_file_or_folder(
    hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "loras"
    (own / "Qwen-Image-Edit-2509").mkdir(parents=True)
    for name in (NAME_4, NAME_8):
        (own / "Qwen-Image-Edit-2509" / name).write_bytes(b"")
    (own / "readme.safetensors").write_bytes(b"")
    model = tmp_path / "my-qwen"
    monkeypatch.setenv(LORA_ENV, str(own))  # the downloaded repo: its subfolder is searched
    found = find_lora(QWEN, str(model), model)  # a release it cannot tell: the user's choice wins
    assert found is not None and found.source == "env" and found.file.name == NAME_8
    monkeypatch.setenv(LORA_ENV, str(own / "Qwen-Image-Edit-2509" / NAME_4))
    assert find_lora(QWEN, EDIT_2509, model).file.name == NAME_4  # type: ignore[union-attr]
    assert find_lora(QWEN, EDIT_2511, model) is None  # made for 2509, not 2511
    assert find_lora("flux2-klein", "black-forest-labs/FLUX.2-klein-4B", model) is None
    cache_repo(hub, LIGHTNING, {"Qwen-Image-Edit-2509/" + NAME_8: None})
    monkeypatch.setenv(LORA_ENV, "none")  # off, the cache's too
    assert find_lora(QWEN, EDIT_2509, model) is None
    monkeypatch.setenv(LORA_ENV, str(tmp_path / "missing.safetensors"))
    with pytest.raises(InputError, match="does not exist"):
        find_lora(QWEN, EDIT_2509, model)
    monkeypatch.setenv(LORA_ENV, str(own / "readme.safetensors"))
    with pytest.raises(InputError, match="no LoRA retouch knows"):
        find_lora(QWEN, EDIT_2509, model)


def test_steps_in_the_request_run_the_base_model(hub: Path, tmp_path: Path) -> None:
    cache_repo(hub, LIGHTNING, {"Qwen-Image-Edit-2509/" + NAME_8: None})
    ref = loading.ModelRef(QWEN, EDIT_2509, tmp_path, "cache")
    plan = _plan(tmp_path / "a", steps=None)
    fused = lora_for(plan, ref)
    assert fused is not None and plan.steps == 40
    ran = run_settings(plan, ref, None, None, fused)
    assert (ran.steps, ran.guidance_text, ran.variant) == (8, 1.0, fused.id)
    assert ran.params()["lora"] == str(fused.file)
    (d,) = differences(plan, ran)
    assert d.what == "steps" and d.planned == "40 steps at guidance 4"
    assert d.used.startswith("8 steps at guidance 1 with the LoRA " + fused.id)
    assert "(40)" in d.fix and f"{LORA_ENV}=none" in d.fix and "--" not in d.fix
    assert [(h.setting, h.value) for h in d.hints] == [("steps", "40")]
    asked = _plan(tmp_path / "b", steps=12)
    assert lora_for(asked, ref) is None
    assert differences(asked, run_settings(asked, ref, None, None, None)) == []


# 2. a tiny pipeline and a tiny LoRA, run through run_plan -----------------------------------------


def _plan(tmp: Path, **kw: Any) -> Any:
    tmp.mkdir(parents=True, exist_ok=True)
    kw.setdefault("families", [QWEN])
    plan = tiny_plan(tmp, "make it sunset", priority="quality", hardware="gpu-80gb", **kw)
    assert plan.model.family == kw["families"][0]
    return plan


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny Qwen-Image-Edit folder and a LoRA for its transformer (diffusers format)."""
    import torch
    from diffusers import QwenImageEditPlusPipeline, QwenImageTransformer2DModel
    from peft import LoraConfig, get_peft_model_state_dict

    from tests.executors import tiny_edit_families

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("lightning")
    model = tiny_edit_families.build_tiny_qwen_edit(root / "qwen")
    transformer = QwenImageTransformer2DModel.from_pretrained(model, subfolder="transformer")
    config = LoraConfig(r=4, lora_alpha=4, init_lora_weights=False,
                        target_modules=["to_q", "to_k", "to_v", "to_out.0"])  # fmt: skip
    transformer.add_adapter(config)
    torch.manual_seed(1)
    for name, param in transformer.named_parameters():
        if "lora_" in name:  # random, non-zero, large enough to move the output
            param.data = torch.randn_like(param) * 0.3
    QwenImageEditPlusPipeline.save_lora_weights(
        root / "lora", get_peft_model_state_dict(transformer), weight_name=NAME_8
    )
    return {"model": model, "lora": root / "lora" / NAME_8}


@pytest.fixture
def offline_hub(offline: None, hub: Path) -> Path:
    loading.clear_cache()
    latents.clear()
    return hub


def _direct(model: Path, lora: Path | None, plan: Any, **kwargs: Any) -> Image.Image:
    """A direct diffusers call: the LoRA loaded and fused, the published scheduler, 8 steps, cfg 1."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImageEditPlusPipeline

    pipe = QwenImageEditPlusPipeline.from_pretrained(model, local_files_only=True)
    if lora is not None:
        pipe.load_lora_weights(str(lora.parent), weight_name=lora.name, local_files_only=True)
        pipe.fuse_lora()
    pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(
        pipe.scheduler.config, **PUBLISHED_SCHEDULER
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe(
        image=photo(),
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or " ",
        true_cfg_scale=1.0,
        height=64,
        width=64,
        num_inference_steps=8,
        max_sequence_length=512,
        generator=torch.Generator("cpu").manual_seed(plan.seed),
        **kwargs,
    ).images[0]


def _array(img: Image.Image | None) -> np.ndarray:
    assert img is not None
    return np.asarray(img)


@pytest.mark.slow
def test_cached_lightning_lora_runs_8_steps_fused(
    tmp_path: Path, tiny: dict[str, Path], offline_hub: Path
) -> None:
    cache_repo(offline_hub, EDIT_2509, {".": tiny["model"]})
    cache_repo(offline_hub, LIGHTNING, {"Qwen-Image-Edit-2509/" + NAME_8: tiny["lora"]})
    plan = _plan(tmp_path / "a", steps=None)
    assert (plan.model.id, plan.steps, plan.guidance.text) == (EDIT_2509, 40, 4.0)
    steps: list[tuple[int, int]] = []
    out = run_plan(plan, executor="diffusers", progress=lambda i, n: steps.append((i, n)))
    assert steps == [(i, 8) for i in range(1, 9)]
    p = out.provenance
    assert p.model_id == EDIT_2509 and p.params["steps_run"] == 8
    assert p.params["variant"] == f"{LIGHTNING}/Qwen-Image-Edit-2509/{NAME_8}"
    assert str(p.params["lora"]).endswith(f"Qwen-Image-Edit-2509/{NAME_8}")
    (d,) = [d for d in p.degraded if d.what == "steps"]
    assert d.used.startswith("8 steps at guidance 1 with the LoRA") and "40 steps" in d.planned
    # the same as diffusers with the LoRA fused, the published scheduler, 8 steps at cfg 1.0 ...
    with_lora = _direct(tiny["model"], tiny["lora"], plan)
    assert np.array_equal(_array(out.raw), np.asarray(with_lora))
    # ... and not what the same call gives without the LoRA: its weights moved the output
    without = _direct(tiny["model"], None, plan)
    assert not np.array_equal(_array(out.raw), np.asarray(without))
    # steps in the request: the base model, loaded anew (the fused pipeline is not reused)
    base = run_plan(_plan(tmp_path / "b", steps=8), executor="diffusers")
    assert base.provenance.params["cached"] is False and "lora" not in base.provenance.params
    assert not [d for d in base.provenance.degraded if d.what == "steps"]
    assert not np.array_equal(_array(base.raw), _array(out.raw))


@pytest.mark.slow
def test_fuse_adds_the_published_layout_and_drops_adapters(
    tmp_path: Path, tiny: dict[str, Path], offline_hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file in the layout the Lightning releases use (``diffusion_model.`` keys, lora_down /
    lora_up / alpha) fuses to W + alpha/r * up @ down, and leaves plain Linear layers."""
    import torch
    from diffusers import QwenImageEditPlusPipeline
    from safetensors.torch import save_file

    r, alpha = 2, 1.0
    torch.manual_seed(2)
    down, up = torch.randn(r, 32), torch.randn(32, r)
    key = "diffusion_model.transformer_blocks.0.attn.to_q"
    file = tmp_path / "Qwen-Image-Edit-2509" / NAME_4
    file.parent.mkdir()
    save_file({f"{key}.lora_down.weight": down, f"{key}.lora_up.weight": up,
               f"{key}.alpha": torch.tensor(alpha)}, str(file))  # fmt: skip
    monkeypatch.setenv(LORA_ENV, str(file))
    found = find_lora(QWEN, EDIT_2509, tiny["model"])
    assert found is not None and found.spec.steps == 4
    pipe = QwenImageEditPlusPipeline.from_pretrained(tiny["model"], local_files_only=True)
    weight = pipe.transformer.transformer_blocks[0].attn.to_q.weight.detach().clone()
    apply(pipe, found)
    fused = pipe.transformer.transformer_blocks[0].attn.to_q
    assert type(fused) is torch.nn.Linear  # no adapter layer left: a step costs a base step
    assert torch.allclose(fused.weight, weight + alpha / r * up @ down, atol=1e-5)
    assert not any("lora" in n for n, _ in pipe.transformer.named_parameters())
    config = dict(pipe.scheduler.config)
    assert {k: config[k] for k in PUBLISHED_SCHEDULER} == PUBLISHED_SCHEDULER


@pytest.mark.slow
def test_klein_ignores_a_qwen_lora(
    tmp_path: Path, tiny: dict[str, Path], offline_hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.executors import tiny_edit_families

    klein = tiny_edit_families.build_tiny_klein(tmp_path / "klein")
    monkeypatch.setenv(LORA_ENV, str(tiny["lora"]))
    plan = _plan(tmp_path / "p", steps=None, families=["flux2-klein"])
    steps: list[tuple[int, int]] = []
    out = run_plan(plan, model=str(klein), executor="diffusers",
                   progress=lambda i, n: steps.append((i, n)))  # fmt: skip
    assert "lora" not in out.provenance.params
    assert out.provenance.params["steps_run"] == plan.steps and len(steps) == plan.steps
    assert not [d for d in out.provenance.degraded if d.what == "steps"]
