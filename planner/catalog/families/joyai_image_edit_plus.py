"""JoyAI-Image-Edit Plus: JoyAI's moves, rotations and camera views with reference images.

Figures follow planner/catalog/specs.py's units. The transformer is JoyAI's 16.26B MMDiT (4096
wide, 40 double-stream blocks: SGLang's JoyImage config; the diffusers docs say "16B"; counted on
the meta device in tests/bench/test_real_size.py), the text encoder Qwen3-VL-8B (about 8.8B), the
VAE Wan's (0.13B). VRAM is those weights in bf16 plus an activation margin; ``step_s`` is scaled
from LongCat's by transformer size and tokens and is an estimate until tests/bench/gpu_latency.py
measures it. The licence is issue 30's table (the model card was not read here: no network).
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.joyai:JoyAIEditPlusExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="joyai-image-edit-plus",
    default_id="jdopensource/JoyAI-Image-Edit-Plus-Diffusers",
    modes=("instruct",),
    native_resolution=1024,
    # 16.26B transformer + ~8.8B Qwen3-VL + 0.13B VAE = ~25.2B, 50 GB in bf16
    vram_gb=54.0,
    offload_vram_gb=36.0,  # the transformer alone (32.5 GB) plus activations
    # the diffusers JoyImageEditPlusPipeline example: 30 steps; guidance 4.0 is its default
    steps=30,
    guidance_kind="cfg",
    text_guidance=4.0,
    image_guidance=None,
    # estimate: LongCat's 1.2 s/step (6B, CFG) x 16.26/6 for the size x 1.5 for the source and
    # one reference next to the noisy tokens
    step_s=4.9,
    load_s=45.0,
    multiple_of=16,
    guidance_meaning=(
        'Classifier-free guidance (about 4) against a negative prompt (" " with the image tags '
        "when none is given), the norm rescaled to the conditional's: two transformer passes "
        "per step; the source and each reference enter as their own tokens."
    ),
    fetch_hint="hf download jdopensource/JoyAI-Image-Edit-Plus-Diffusers",
    pipelines=(ModePipeline("instruct", "JoyImageEditPlusPipeline", _EXECUTOR),),
    licence=Licence("Apache-2.0", True),
    signature=Signature(
        "a JoyAI-Image-Edit Plus model", pipeline_classes=("JoyImageEditPlusPipeline",)
    ),
    position=16,
    dtype="bf16",
    prompt_tokens=4096,
    reference_modes=("instruct",),
    published=(
        "JoyAI's spatial edits with 1-6 reference images (issue 30); 30 steps at guidance 4 "
        "(diffusers example); GEdit-Bench/ImgEdit: none published for Plus"
    ),
)
