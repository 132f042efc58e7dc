"""An unconditional DDPM (CelebA-HQ 256), run as RePaint.

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.repaint:RePaintExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="ddpm",
    default_id="google/ddpm-ema-celebahq-256",
    modes=("repaint",),
    native_resolution=256,
    vram_gb=1.5,
    offload_vram_gb=1.5,
    steps=250,
    guidance_kind="cfg",
    text_guidance=0.0,
    image_guidance=None,
    step_s=0.02,
    load_s=2.0,
    multiple_of=8,
    guidance_meaning=(
        "Unconditional model: no text guidance; RePaint resamples (jump back and re-denoise) "
        "instead."
    ),
    fetch_hint="hf download google/ddpm-ema-celebahq-256",
    pipelines=(
        ModePipeline("repaint", "RePaintPipeline", _EXECUTOR, scheduler="RePaintScheduler"),
    ),
    licence=Licence("Apache-2.0", True),
    signature=Signature("an unconditional DDPM (UNet2DModel)", unet_class="UNet2DModel"),
    position=7,
)
