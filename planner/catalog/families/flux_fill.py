"""FLUX.1 Fill [dev]: masked fills with a 12B Flux transformer (distilled guidance).

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.fill:FluxFillExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="flux-fill",
    default_id="black-forest-labs/FLUX.1-Fill-dev",
    modes=("inpaint", "outpaint"),
    native_resolution=1024,
    vram_gb=34.0,
    offload_vram_gb=24.0,
    steps=28,
    guidance_kind="distilled",
    text_guidance=30.0,
    image_guidance=None,
    step_s=0.9,
    load_s=30.0,
    multiple_of=16,
    guidance_meaning=(
        "Distilled guidance: the scale is an input of the transformer, not CFG; Fill is "
        "trained around 30, there is no negative prompt and no second batch."
    ),
    fetch_hint="hf download black-forest-labs/FLUX.1-Fill-dev (gated: accept the licence on the Hub first)",
    pipelines=(
        ModePipeline("inpaint", "FluxFillPipeline", _EXECUTOR),
        ModePipeline("outpaint", "FluxFillPipeline", _EXECUTOR),
    ),
    licence=Licence("FLUX.1 [dev] Non-Commercial License", False),
    signature=Signature(
        "a Flux.1 Fill model",
        pipeline_classes=("FluxFillPipeline",),
        fill_transformer="FluxTransformer2DModel",
    ),
    position=2,
    dtype="bf16",
    prompt_tokens=512,
)
