"""Qwen-Image 2.1: instruction edits with the image as vision context.

Unsourced figures are estimated as planner/catalog/families/__init__.py says.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.qwen21:QwenImage21Executor"  # imported when it runs

FAMILY = FamilySpec(
    family="qwen-image-2.1",
    default_id="Qwen/Qwen-Image-2.1",
    modes=("instruct",),
    native_resolution=1024,
    # the diffusers class's default transformer counts 7.12B, its VAE 0.34B; with a Qwen3-VL
    # text encoder of width 4096 (an 8B) about 15.6B in all, 31 GB in bf16
    vram_gb=34.0,
    offload_vram_gb=17.0,
    # the pipeline's defaults: 40 steps, true_cfg_scale 1.0 (no CFG pass)
    steps=40,
    guidance_kind="cfg",
    text_guidance=1.0,
    image_guidance=None,
    # estimate: Qwen-Image-Edit's 3.3 s/step (20B, CFG) scaled by size, one pass
    step_s=0.9,
    load_s=35.0,
    multiple_of=32,
    guidance_meaning=(
        "True classifier-free guidance (true_cfg_scale) against a negative prompt above 1, a "
        "second transformer pass per step; at 1 (the pipeline's default) none."
    ),
    fetch_hint="hf download Qwen/Qwen-Image-2.1",
    pipelines=(ModePipeline("instruct", "QwenImage21Pipeline", _EXECUTOR),),
    licence=Licence("Qwen Research License (non-commercial)", False),
    signature=Signature("a Qwen-Image 2.1 model", pipeline_classes=("QwenImage21Pipeline",)),
    position=13,
    dtype="bf16",
    prompt_tokens=1024,
    published=(
        "edits from the image as vision context and reference latents (diffusers "
        "QwenImage21Pipeline); the model card's settings and GEdit-Bench/ImgEdit: unsourced"
    ),
)
