"""Qwen-Image-Edit (2509): 20B MMDiT edits and masked fills, with references.

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

import math

from retouch.planner.catalog.specs import (
    FamilySpec,
    Licence,
    Lora,
    ModePipeline,
    Signature,
    Variant,
)

_EXECUTOR = "retouch.executors.diffusion.qwen:QwenEditExecutor"  # imported when it runs

# The scheduler Qwen-Image-Lightning was distilled with ("we use shift=3 in distillation"): the
# exponential dynamic shift pinned at log 3, no terminal shift (ModelTC/Qwen-Image-Lightning,
# generate_with_diffusers.py, which its README runs for Qwen-Image-Edit and Edit-2509).
# fmt: off
LIGHTNING_SCHEDULER: dict[str, float | int | bool | str | None] = {
    "base_image_seq_len": 256, "base_shift": math.log(3), "invert_sigmas": False,
    "max_image_seq_len": 8192, "max_shift": math.log(3), "num_train_timesteps": 1000,
    "shift": 1.0, "shift_terminal": None, "stochastic_sampling": False,
    "time_shift_type": "exponential", "use_beta_sigmas": False, "use_dynamic_shifting": True,
    "use_exponential_sigmas": False, "use_karras_sigmas": False,
}
_README = "ModelTC/Qwen-Image-Lightning README: 8 or 4 steps at cfg 1.0, Apache-2.0"
_2511 = "lightx2v/Qwen-Image-Edit-2511-Lightning card; its scheduler config is not verified"


def _lightning(base: str, where: str, steps: int, source: str = _README) -> Lora:
    return Lora("qwen-image-edit", base, where, steps, 1.0, LIGHTNING_SCHEDULER,
                Licence("Apache-2.0", True), source)


# LoRA file name less its precision suffix and ".safetensors" -> what it is; with several for the
# model on disk, the one with the most steps runs.
LORAS: tuple[tuple[str, Lora], ...] = (
    ("Qwen-Image-Edit-2511-Lightning-8steps-V1.0", _lightning(
        "Qwen/Qwen-Image-Edit-2511", "lightx2v/Qwen-Image-Edit-2511-Lightning", 8, _2511)),
    ("Qwen-Image-Edit-2511-Lightning-4steps-V1.0", _lightning(
        "Qwen/Qwen-Image-Edit-2511", "lightx2v/Qwen-Image-Edit-2511-Lightning", 4, _2511)),
    ("Qwen-Image-Edit-2509-Lightning-8steps-V1.0", _lightning(
        "Qwen/Qwen-Image-Edit-2509", "lightx2v/Qwen-Image-Lightning/Qwen-Image-Edit-2509", 8)),
    ("Qwen-Image-Edit-2509-Lightning-4steps-V1.0", _lightning(
        "Qwen/Qwen-Image-Edit-2509", "lightx2v/Qwen-Image-Lightning/Qwen-Image-Edit-2509", 4)),
    ("Qwen-Image-Edit-Lightning-8steps-V1.0", _lightning(
        "Qwen/Qwen-Image-Edit", "lightx2v/Qwen-Image-Lightning", 8)),
    ("Qwen-Image-Edit-Lightning-4steps-V1.0", _lightning(
        "Qwen/Qwen-Image-Edit", "lightx2v/Qwen-Image-Lightning", 4)),
)
# fmt: on

FAMILY = FamilySpec(
    family="qwen-image-edit",
    default_id="Qwen/Qwen-Image-Edit-2509",
    modes=("instruct", "inpaint"),
    native_resolution=1024,
    vram_gb=58.0,
    offload_vram_gb=42.0,
    steps=40,
    guidance_kind="cfg",
    text_guidance=4.0,
    image_guidance=None,
    step_s=3.3,
    load_s=60.0,
    multiple_of=16,
    guidance_meaning=(
        "True classifier-free guidance (true_cfg_scale about 4) against a negative prompt: "
        "two transformer passes per step; the source images are tokens."
    ),
    fetch_hint="hf download Qwen/Qwen-Image-Edit-2509",
    pipelines=(
        ModePipeline("instruct", "QwenImageEditPlusPipeline", _EXECUTOR),
        ModePipeline("inpaint", "QwenImageEditInpaintPipeline", _EXECUTOR),
    ),
    licence=Licence("Apache-2.0", True),
    signature=Signature(
        "a Qwen-Image-Edit model",
        pipeline_classes=(
            "QwenImageEditPlusPipeline",
            "QwenImageEditPipeline",
            "QwenImageEditInpaintPipeline",
        ),
    ),
    position=9,
    dtype="bf16",
    prompt_tokens=1024,
    reference_modes=("instruct",),
    variants=(
        (
            "Qwen/Qwen-Image-Edit-2511",
            Variant("qwen-image-edit", Licence("Apache-2.0", True), 40, 4.0),
        ),
    ),
    loras=LORAS,
    published=(
        "20B MMDiT; GEdit-Bench-EN overall 7.56 (Qwen-Image technical report, "
        "arXiv:2508.02324); 4-8 steps with the Qwen-Image-Lightning LoRA"
    ),
)
