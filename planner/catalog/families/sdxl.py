"""SDXL 1.0 base weights, run as SDEdit (img2img).

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import NO_WATERMARK, FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.sdedit:SDEditExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="sdxl",
    default_id="stabilityai/stable-diffusion-xl-base-1.0",
    modes=("sdedit",),
    native_resolution=1024,
    vram_gb=10.0,
    offload_vram_gb=6.0,
    steps=30,
    guidance_kind="cfg",
    text_guidance=7.0,
    image_guidance=None,
    step_s=0.11,
    load_s=9.0,
    multiple_of=8,
    guidance_meaning=(
        "Classifier-free guidance on the new prompt; the strength (t/T) decides how much of "
        "the source survives."
    ),
    fetch_hint="hf download stabilityai/stable-diffusion-xl-base-1.0",
    pipelines=(
        ModePipeline("sdedit", "StableDiffusionXLImg2ImgPipeline", _EXECUTOR, load=NO_WATERMARK),
    ),
    licence=Licence("CreativeML Open RAIL++-M", True),
    signature=Signature(
        "an SDXL model (4-channel UNet, two text encoders)", unet_layout="sdxl", unet_channels=4
    ),
    position=6,
)
