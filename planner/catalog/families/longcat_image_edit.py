"""LongCat-Image-Edit: 6B instruction edits at a fixed ~1024^2 area.

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature, Variant

_EXECUTOR = "retouch.executors.diffusion.longcat:LongCatEditExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="longcat-image-edit",
    default_id="meituan-longcat/LongCat-Image-Edit",
    modes=("instruct",),
    native_resolution=1024,
    vram_gb=29.0,
    offload_vram_gb=17.0,
    steps=50,
    guidance_kind="cfg",
    text_guidance=4.5,
    image_guidance=None,
    step_s=1.2,
    load_s=30.0,
    multiple_of=16,
    guidance_meaning=(
        "Classifier-free guidance (about 4.5) against a negative prompt: two transformer "
        "passes per step; the source enters as reference tokens."
    ),
    fetch_hint="hf download meituan-longcat/LongCat-Image-Edit",
    pipelines=(ModePipeline("instruct", "LongCatImageEditPipeline", _EXECUTOR),),
    licence=Licence("Apache-2.0", True),
    signature=Signature(
        "a LongCat-Image-Edit model", pipeline_classes=("LongCatImageEditPipeline",)
    ),
    position=10,
    dtype="bf16",
    prompt_tokens=512,
    variants=(
        (
            "meituan-longcat/LongCat-Image-Edit-Turbo",
            Variant("longcat-image-edit", Licence("Apache-2.0", True), 8, 1.0),
        ),
    ),
    published=(
        "6B; GEdit-Bench-EN overall 7.64 (Meituan, LongCat-Image-Edit model card and "
        "technical report); the Turbo variant runs 8 steps"
    ),
)
