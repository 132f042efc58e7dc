"""SDXL 1.0 inpainting: masked fills at 1024 px (UNet, two CLIP encoders, CFG).

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import NO_WATERMARK, FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.inpaint:InpaintExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="sdxl-inpaint",
    default_id="diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
    modes=("inpaint", "outpaint"),
    native_resolution=1024,
    vram_gb=10.0,
    offload_vram_gb=6.0,
    steps=30,
    guidance_kind="cfg",
    text_guidance=8.0,
    image_guidance=None,
    step_s=0.11,
    load_s=9.0,
    multiple_of=8,
    guidance_meaning="Classifier-free guidance over both SDXL text encoders; the negative prompt applies.",
    fetch_hint="hf download diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
    pipelines=(
        ModePipeline("inpaint", "StableDiffusionXLInpaintPipeline", _EXECUTOR, load=NO_WATERMARK),
        ModePipeline("outpaint", "StableDiffusionXLInpaintPipeline", _EXECUTOR, load=NO_WATERMARK),
    ),
    licence=Licence("CreativeML Open RAIL++-M", True),
    signature=Signature(
        "an SDXL inpaint model (9-channel UNet, two text encoders)",
        unet_layout="sdxl",
        unet_channels=9,
    ),
    position=1,
)
