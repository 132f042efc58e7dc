"""InstructPix2Pix: instruction edits on SD 1.5 (text and image CFG).

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.instruct:InstructExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="instruct-pix2pix",
    default_id="timbrooks/instruct-pix2pix",
    modes=("instruct",),
    native_resolution=512,
    vram_gb=3.5,
    offload_vram_gb=2.5,
    steps=20,
    guidance_kind="cfg",
    text_guidance=7.5,
    image_guidance=1.5,
    step_s=0.05,
    load_s=4.0,
    multiple_of=8,
    guidance_meaning=(
        "Two CFG scales: text (how strongly to apply the instruction) and image (how closely "
        "to stay with the source; 1.0-2.0, higher keeps more)."
    ),
    fetch_hint="hf download timbrooks/instruct-pix2pix",
    pipelines=(ModePipeline("instruct", "StableDiffusionInstructPix2PixPipeline", _EXECUTOR),),
    licence=Licence("MIT", True),
    signature=Signature(
        "an InstructPix2Pix model (8-channel UNet)", unet_layout="sd", unet_channels=8
    ),
    position=4,
)
