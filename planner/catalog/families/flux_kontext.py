"""FLUX.1 Kontext [dev]: instruction edits with the source as context tokens.

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.kontext:FluxKontextExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="flux-kontext",
    default_id="black-forest-labs/FLUX.1-Kontext-dev",
    modes=("instruct",),
    native_resolution=1024,
    vram_gb=34.0,
    offload_vram_gb=24.0,
    steps=28,
    guidance_kind="distilled",
    text_guidance=2.5,
    image_guidance=None,
    step_s=1.0,
    load_s=30.0,
    multiple_of=16,
    guidance_meaning=(
        "Distilled guidance (about 2.5): how hard to follow the instruction; the source image"
        " is context tokens, so there is no separate image scale."
    ),
    fetch_hint=(
        "hf download black-forest-labs/FLUX.1-Kontext-dev (gated: accept the licence on the "
        "Hub first)"
    ),
    pipelines=(ModePipeline("instruct", "FluxKontextPipeline", _EXECUTOR),),
    licence=Licence("FLUX.1 [dev] Non-Commercial License", False),
    signature=Signature("a Flux.1 Kontext model", pipeline_classes=("FluxKontextPipeline",)),
    position=3,
    dtype="bf16",
    prompt_tokens=512,
)
