"""FLUX.2 [dev]: 32B multi-reference edits (distilled guidance).

Unsourced figures are estimated as planner/catalog/families/__init__.py says.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.klein:KleinExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="flux2-dev",
    default_id="black-forest-labs/FLUX.2-dev",
    modes=("instruct",),
    native_resolution=1024,
    # the diffusers class's default transformer counts 32.2B; with a Mistral-3 text encoder read
    # at width 5120 (a 24B) about 56B in all, 112 GB in bf16
    vram_gb=112.0,
    offload_vram_gb=70.0,  # the transformer alone (64 GB) plus activations
    # the diffusers Flux2Pipeline example: 50 steps at guidance 2.5
    steps=50,
    guidance_kind="distilled",
    text_guidance=2.5,
    image_guidance=None,
    # estimate: Qwen-Image-Edit's 3.3 s/step (20B, two passes) scaled, one pass
    step_s=2.6,
    load_s=90.0,
    multiple_of=16,
    guidance_meaning=(
        "Distilled guidance (about 2.5): an input of the transformer, not CFG; no negative "
        "prompt and no second batch; the source enters as reference tokens."
    ),
    fetch_hint="hf download black-forest-labs/FLUX.2-dev (gated: accept the licence on the Hub first)",
    pipelines=(ModePipeline("instruct", "Flux2Pipeline", _EXECUTOR),),  # same call as klein
    licence=Licence("FLUX.2 [dev] Non-Commercial License", False),
    signature=Signature("a FLUX.2 dev model", pipeline_classes=("Flux2Pipeline",)),
    position=14,
    dtype="bf16",
    prompt_tokens=512,
    published=(
        "32.2B transformer (counted from the diffusers default config), multi-reference "
        "edits; GEdit-Bench/ImgEdit: see scores (planner/catalog/scores.py)"
    ),
)
