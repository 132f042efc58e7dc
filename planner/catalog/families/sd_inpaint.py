"""Stable Diffusion 1.5 inpainting: masked fills at 512 px (UNet, CLIP, CFG).

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.inpaint:InpaintExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="sd-inpaint",
    default_id="stable-diffusion-v1-5/stable-diffusion-inpainting",
    modes=("inpaint", "outpaint"),
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
        "Classifier-free guidance: higher follows the prompt harder and saturates small "
        "patches; the negative prompt applies."
    ),
    fetch_hint="hf download stable-diffusion-v1-5/stable-diffusion-inpainting",
    pipelines=(
        ModePipeline("inpaint", "StableDiffusionInpaintPipeline", _EXECUTOR),
        ModePipeline("outpaint", "StableDiffusionInpaintPipeline", _EXECUTOR),
        ModePipeline(
            "inpaint",
            "StableDiffusionControlNetInpaintPipeline",
            "retouch.executors.diffusion.controlnet:ControlNetInpaintExecutor",
            controlnet="openpose",
            controlnet_id="lllyasviel/control_v11p_sd15_openpose",
        ),
    ),
    licence=Licence("CreativeML-OpenRAIL-M", True),
    signature=Signature(
        "an SD 1.x/2.x inpaint model (9-channel UNet)", unet_layout="sd", unet_channels=9
    ),
    position=0,
)
