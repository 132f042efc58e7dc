"""Z-Image Turbo: masked fills and SDEdit with a 6B single-stream DiT.

Unsourced figures are estimated as planner/catalog/families/__init__.py says.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.zimage:ZImageExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="z-image",
    default_id="Tongyi-MAI/Z-Image-Turbo",
    modes=("inpaint", "outpaint", "sdedit"),
    native_resolution=1024,
    # 6.15B transformer + Qwen3-4B text encoder + FLUX.1 VAE = 10.2B, 20.4 GB in bf16
    vram_gb=22.0,
    offload_vram_gb=14.0,  # the transformer alone (12.3 GB) plus activations
    # the diffusers ZImageInpaintPipeline example: 8 steps, guidance 0
    steps=8,
    guidance_kind="distilled",
    text_guidance=0.0,
    image_guidance=None,
    # estimate: klein 4B's 0.25 s/step scaled by transformer size (6.15/4)
    step_s=0.4,
    load_s=20.0,
    multiple_of=16,
    guidance_meaning=(
        "Turbo is step- and guidance-distilled: guidance 0 (no second batch, no negative "
        "prompt); the base model runs classifier-free guidance above 1."
    ),
    fetch_hint="hf download Tongyi-MAI/Z-Image-Turbo",
    pipelines=(
        ModePipeline("inpaint", "ZImageInpaintPipeline", _EXECUTOR),
        ModePipeline("outpaint", "ZImageInpaintPipeline", _EXECUTOR),
        ModePipeline("sdedit", "ZImageImg2ImgPipeline", _EXECUTOR),
        # a fill that follows a pose/edge/depth image: the Union ControlNet 2.1 (Apache-2.0;
        # hlky's diffusers-format copy of alibaba-pai/Z-Image-Turbo-Fun-Controlnet-Union-2.1)
        ModePipeline(
            "inpaint",
            "ZImageControlNetInpaintPipeline",
            "retouch.executors.diffusion.zimage:ZImageControlNetExecutor",
            controlnet="openpose",
            controlnet_id="hlky/Z-Image-Turbo-Fun-Controlnet-Union-2.1",
            conditioning_scale=0.75,  # the pipeline's default and its docstring example's
        ),
    ),
    licence=Licence("Apache-2.0", True),
    signature=Signature(
        "a Z-Image model",
        pipeline_classes=("ZImagePipeline", "ZImageInpaintPipeline", "ZImageImg2ImgPipeline"),
    ),
    position=11,
    dtype="bf16",
    prompt_tokens=512,
    min_steps=4,
    published=(
        "6.15B-parameter single-stream DiT (counted on the meta device), 8 steps at guidance "
        "0 (diffusers ZImageInpaintPipeline example); GEdit-Bench/ImgEdit: unsourced"
    ),
)
