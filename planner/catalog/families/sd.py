"""Stable Diffusion 1.5 text-to-image weights, run as SDEdit (img2img).

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.sdedit:SDEditExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="sd",
    default_id="stable-diffusion-v1-5/stable-diffusion-v1-5",
    modes=("sdedit",),
    native_resolution=512,
    vram_gb=3.5,
    offload_vram_gb=2.5,
    steps=30,
    guidance_kind="cfg",
    text_guidance=7.5,
    image_guidance=None,
    step_s=0.035,
    load_s=4.0,
    multiple_of=8,
    guidance_meaning=(
        "Classifier-free guidance on the new prompt; the strength (t/T) decides how much of "
        "the source survives."
    ),
    fetch_hint="hf download stable-diffusion-v1-5/stable-diffusion-v1-5",
    pipelines=(ModePipeline("sdedit", "StableDiffusionImg2ImgPipeline", _EXECUTOR),),
    licence=Licence("CreativeML-OpenRAIL-M", True),
    signature=Signature(
        "an SD 1.x/2.x text-to-image model (4-channel UNet)", unet_layout="sd", unet_channels=4
    ),
    position=5,
)
