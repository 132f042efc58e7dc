"""JoyAI-Image-Edit: object moves, rotations and camera-view changes.

Parameter counts are the released layout's (tests/bench/test_real_size.py); other unsourced
figures are estimated as planner/catalog/families/__init__.py says.
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.joyai:JoyAIEditExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="joyai-image-edit",
    default_id="jdopensource/JoyAI-Image-Edit-Diffusers",
    modes=("instruct",),
    native_resolution=1024,
    # the released transformer is the 16.26B MMDiT Plus uses (the same 894 weights: ComfyUI's
    # port; tests/bench/test_real_size.py), not the diffusers class's 4.62B default config;
    # + ~8.8B Qwen3-VL + 0.13B VAE = ~25.2B, 50 GB in bf16
    vram_gb=54.0,
    offload_vram_gb=36.0,  # the transformer alone (32.5 GB) plus activations
    # the diffusers JoyImageEditPipeline example: 40 steps at guidance 4.0
    steps=40,
    guidance_kind="cfg",
    text_guidance=4.0,
    image_guidance=None,
    # estimate: LongCat's 1.2 s/step (6B, CFG) x 16.26/6 for the size x 1.2 for the source's
    # tokens next to the noisy ones
    step_s=3.9,
    load_s=30.0,
    multiple_of=16,
    guidance_meaning=(
        'Classifier-free guidance (about 4) against a negative prompt ("" when none is '
        "given): two transformer passes per step; the source enters as reference tokens and "
        "is read by the Qwen3-VL encoder."
    ),
    fetch_hint="hf download jdopensource/JoyAI-Image-Edit-Diffusers",
    pipelines=(ModePipeline("instruct", "JoyImageEditPipeline", _EXECUTOR),),
    licence=Licence("Apache-2.0", True),
    signature=Signature("a JoyAI-Image-Edit model", pipeline_classes=("JoyImageEditPipeline",)),
    position=12,
    dtype="bf16",
    prompt_tokens=4096,
    published=(
        "object moves, rotations and camera-view changes (issue 30); 40 steps at guidance 4 "
        "(diffusers example); GEdit-Bench/ImgEdit: see scores (planner/catalog/scores.py)"
    ),
)
