"""FLUX.2 [klein] 4B: step-distilled edits and masked fills, with references.

VRAM is peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and with
``enable_model_cpu_offload`` (``offload_vram_gb``); ``step_s`` is seconds per denoising step at
native resolution on an L4 (gpu-24gb), CFG batch included.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature, Variant

_EXECUTOR = "retouch.executors.diffusion.klein:KleinExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="flux2-klein",
    default_id="black-forest-labs/FLUX.2-klein-4B",
    modes=("instruct", "inpaint", "outpaint"),
    native_resolution=1024,
    vram_gb=13.0,
    offload_vram_gb=9.0,
    steps=4,
    guidance_kind="distilled",
    text_guidance=1.0,
    image_guidance=None,
    step_s=0.25,
    load_s=12.0,
    multiple_of=16,
    guidance_meaning=(
        "Step-distilled (4 steps): the guidance scale is ignored, there is no negative prompt"
        " and no second batch; the source enters as reference tokens."
    ),
    fetch_hint="hf download black-forest-labs/FLUX.2-klein-4B",
    pipelines=(
        ModePipeline("instruct", "Flux2KleinPipeline", _EXECUTOR),
        ModePipeline("inpaint", "Flux2KleinInpaintPipeline", _EXECUTOR),
        ModePipeline("outpaint", "Flux2KleinInpaintPipeline", _EXECUTOR),
    ),
    licence=Licence("Apache-2.0", True),
    signature=Signature(
        "a FLUX.2 klein model", pipeline_classes=("Flux2KleinPipeline", "Flux2KleinInpaintPipeline")
    ),
    position=8,
    dtype="bf16",
    prompt_tokens=512,
    min_steps=4,
    reference_modes=("instruct", "inpaint", "outpaint"),
    variants=(
        (
            "black-forest-labs/FLUX.2-klein-9B",
            Variant("flux2-klein", Licence("FLUX Non-Commercial License", False), 4, 1.0),
        ),
        (
            "black-forest-labs/FLUX.2-klein-base-4B",
            Variant("flux2-klein", Licence("Apache-2.0", True), 50, 4.0),
        ),
    ),
    published=(
        "4B parameters, 4 steps, sub-second claimed (Black Forest Labs, FLUX.2 [klein] model "
        "card); the 9B variant is non-commercial"
    ),
)
