"""The benchmarked families and how to build them at real size without touching CPU memory.

``build_pipeline(family, tiny, device)`` returns the family's diffusers pipeline with every module
created on the meta device from its published config (``published_configs.py``) and materialised
directly on ``device`` with seeded random weights. Speed does not depend on weight values or on
tokens, so the tokenizers are the tiny local ones from ``tests/executors/tiny_families.py``; they
pad to the real lengths (CLIP 77, T5 up to 512) and emit ids inside the real vocabularies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.bench.published_configs import SCHEDULERS, component_config


@dataclass(frozen=True)
class Family:
    """One benchmarked family: its diffusers pipeline and the published configs it is built from."""

    name: str
    pipeline: str  # diffusers class name
    native: int  # native side in px
    steps: int
    dtype: str  # torch dtype name on the GPU
    guidance: float  # CFG scale (SD/SDXL) or distilled guidance (Flux)
    denoiser: str  # pipeline attribute: "unet" | "transformer"
    modules: dict[str, str]  # pipeline component -> published config name
    masked: bool = True  # False: instruction edit, no mask (Kontext)
    extra: dict[str, Any] = field(default_factory=dict)  # other pipeline constructor kwargs


FAMILIES: dict[str, Family] = {
    "sd-inpaint": Family(
        "sd-inpaint", "StableDiffusionInpaintPipeline", 512, 30, "float16", 7.5, "unet",
        {"unet": "sd15_inpaint_unet", "vae": "sd_vae", "text_encoder": "clip_l"},
        extra={"safety_checker": None, "feature_extractor": None, "requires_safety_checker": False},
    ),
    "sdxl-inpaint": Family(
        "sdxl-inpaint", "StableDiffusionXLInpaintPipeline", 1024, 30, "float16", 8.0, "unet",
        {"unet": "sdxl_inpaint_unet", "vae": "sdxl_vae", "text_encoder": "clip_l",
         "text_encoder_2": "openclip_bigg"},
        extra={"requires_aesthetics_score": False, "add_watermarker": False},
    ),
    "flux-fill": Family(
        "flux-fill", "FluxFillPipeline", 1024, 28, "bfloat16", 30.0, "transformer",
        {"transformer": "flux_fill", "vae": "flux_vae", "text_encoder": "clip_l",
         "text_encoder_2": "t5_xxl"},
    ),
    "flux-kontext": Family(
        "flux-kontext", "FluxKontextPipeline", 1024, 28, "bfloat16", 2.5, "transformer",
        {"transformer": "flux_kontext", "vae": "flux_vae", "text_encoder": "clip_l",
         "text_encoder_2": "t5_xxl"},
        masked=False, extra={"image_encoder": None, "feature_extractor": None},
    ),
}  # fmt: skip
"""Family name (as in planner/registry.py) -> what the benchmark builds and runs."""


def new_module(config_name: str, tiny: bool) -> Any:
    """The module for published config ``config_name``, created on the current default device."""
    from diffusers import AutoencoderKL, FluxTransformer2DModel, UNet2DConditionModel
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        T5Config,
        T5EncoderModel,
    )

    cfg = component_config(config_name, tiny)
    if config_name == "clip_l":
        return CLIPTextModel(CLIPTextConfig(**cfg))
    if config_name == "openclip_bigg":
        return CLIPTextModelWithProjection(CLIPTextConfig(**cfg))
    if config_name == "t5_xxl":
        return T5EncoderModel(T5Config(**cfg))
    if config_name.endswith("_unet"):
        return UNet2DConditionModel(**cfg)
    if config_name.endswith("_vae"):
        return AutoencoderKL(**cfg)
    return FluxTransformer2DModel(**cfg)


def tie(module: Any) -> None:
    """Tie shared weights where a model declares any (T5 shares its input embedding)."""
    if hasattr(module, "tie_weights"):
        module.tie_weights()


def build_on_device(config_name: str, tiny: bool, device: str, dtype: Any, seed: int) -> Any:
    """Create the module with parameters on the meta device, then allocate and init on ``device``.

    Buffers (position ids and the like) are created for real on the CPU — they are tiny — and
    copied back after ``to_empty``. Parameters get a seeded normal init with std ``fan_in**-0.5``
    (norm scales 1, biases 0), so activations stay finite in fp16/bf16. Raises MemoryError when the
    weights would not fit in the GPU's free memory.
    """
    import torch
    from accelerate import init_empty_weights

    with init_empty_weights(include_buffers=False):
        module = new_module(config_name, tiny)
    tie(module)
    module.to(dtype=dtype)  # free on meta: memory is then allocated in the final dtype
    need = sum(p.numel() * p.element_size() for p in module.parameters())
    if device == "cuda" and need > 0.9 * torch.cuda.mem_get_info()[0]:
        raise MemoryError(f"{config_name} needs {need / 2**30:.1f} GiB, more than is free")
    buffers = {name: b.detach().clone() for name, b in module.named_buffers()}
    module.to_empty(device=device)
    tie(module)  # to_empty allocates tied weights once per owner; share them again
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for name, value in buffers.items():
            module.get_buffer(name).copy_(value)
        for name, p in module.named_parameters():
            if p.ndim >= 2:
                p.normal_(0.0, p[0].numel() ** -0.5, generator=generator)
            else:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
    return module.eval().requires_grad_(False)


def build_pipeline(fam: Family, tiny: bool, device: str) -> Any:
    """The family's diffusers pipeline at published (or tiny) size, weights on ``device``.

    On CUDA modules use the family's dtype (fp16 SD/SDXL, bf16 Flux); on the CPU, float32.
    """
    import diffusers
    import torch

    from tests.executors.tiny_families import tiny_clip_tokenizer, tiny_t5_tokenizer

    dtype = getattr(torch, fam.dtype) if device == "cuda" else torch.float32
    parts: dict[str, Any] = {
        part: build_on_device(name, tiny, device, dtype, seed)
        for seed, (part, name) in enumerate(fam.modules.items())
    }
    flux = fam.denoiser == "transformer"
    parts["tokenizer"] = tiny_clip_tokenizer()
    if "text_encoder_2" in parts:
        parts["tokenizer_2"] = tiny_t5_tokenizer() if flux else tiny_clip_tokenizer()
    if flux:
        parts["scheduler"] = diffusers.FlowMatchEulerDiscreteScheduler(**SCHEDULERS["flux"])
    else:
        parts["scheduler"] = diffusers.EulerDiscreteScheduler(**SCHEDULERS["sd"])
    pipe = getattr(diffusers, fam.pipeline)(**parts, **fam.extra)
    pipe.set_progress_bar_config(disable=True)
    return pipe
