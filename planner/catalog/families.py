"""The families issue 30 added (Z-Image, JoyAI, Qwen-Image 2.1, FLUX.2 dev): specs, licences.

Plain data merged into planner/catalog/registry.py's ``REGISTRY``, ``LICENCES`` and ``VARIANTS``; read
there. Figures follow registry.py's units. Where a figure has no published source it says how it
was had: parameter counts are counted on the meta device from the diffusers classes' own default
configs (tests/bench/test_real_size.py); VRAM is those weights in bf16 plus an activation margin;
``step_s`` is scaled from a measured family by transformer size and is an estimate until
tests/bench/gpu_latency.py measures it. Benchmark scores (GEdit-Bench-EN, ImgEdit) are given only
with a source; none was at hand for these families, so ``published`` says "unsourced".
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, Variant
from retouch.planner.contract.schema import Family

FAMILIES: dict[Family, FamilySpec] = {
    "z-image": FamilySpec(
        family="z-image",
        default_id="Tongyi-MAI/Z-Image-Turbo",
        pipeline="ZImageInpaintPipeline",
        modes=("inpaint", "outpaint", "sdedit"),
        mode_pipelines=(("sdedit", "ZImageImg2ImgPipeline"),),
        native_resolution=1024,
        # 6.15B transformer + Qwen3-4B text encoder + FLUX.1 VAE = 10.2B, 20.4 GB in bf16
        vram_gb=22.0,
        offload_vram_gb=14.0,  # the transformer alone (12.3 GB) plus activations
        steps=8,  # the diffusers ZImageInpaintPipeline example: 8 steps, guidance 0
        guidance_kind="distilled",
        text_guidance=0.0,
        image_guidance=None,
        step_s=0.4,  # estimate: klein 4B's 0.25 s/step scaled by transformer size (6.15/4)
        load_s=20.0,
        multiple_of=16,
        guidance_meaning="Turbo is step- and guidance-distilled: guidance 0 (no second batch, no "
        "negative prompt); the base model runs classifier-free guidance above 1.",
        fetch_hint="hf download Tongyi-MAI/Z-Image-Turbo",
        prompt_tokens=512,
        min_steps=4,
        published="6.15B-parameter single-stream DiT (counted on the meta device), 8 steps at "
        "guidance 0 (diffusers ZImageInpaintPipeline example); GEdit-Bench/ImgEdit: unsourced",
    ),
    "joyai-image-edit": FamilySpec(
        family="joyai-image-edit",
        default_id="jdopensource/JoyAI-Image-Edit-Diffusers",
        pipeline="JoyImageEditPipeline",
        modes=("instruct",),
        native_resolution=1024,
        # the diffusers class's default transformer config counts 4.62B; with a Qwen3-VL text
        # encoder of width 4096 (an 8B) about 13.5B in all, 27 GB in bf16
        vram_gb=30.0,
        offload_vram_gb=12.0,
        steps=40,  # the diffusers JoyImageEditPipeline example: 40 steps at guidance 4.0
        guidance_kind="cfg",
        text_guidance=4.0,
        image_guidance=None,
        step_s=1.0,  # estimate: LongCat's 1.2 s/step (6B, CFG) scaled by transformer size
        load_s=30.0,
        multiple_of=16,
        guidance_meaning='Classifier-free guidance (about 4) against a negative prompt ("" when '
        "none is given): two transformer passes per step; the source enters as reference tokens "
        "and is read by the Qwen3-VL encoder.",
        fetch_hint="hf download jdopensource/JoyAI-Image-Edit-Diffusers",
        prompt_tokens=4096,
        published="object moves, rotations and camera-view changes (issue 30); 40 steps at "
        "guidance 4 (diffusers example); GEdit-Bench/ImgEdit: unsourced",
    ),
    "qwen-image-2.1": FamilySpec(
        family="qwen-image-2.1",
        default_id="Qwen/Qwen-Image-2.1",
        pipeline="QwenImage21Pipeline",
        modes=("instruct",),
        native_resolution=1024,
        # the diffusers class's default transformer counts 7.12B, its VAE 0.34B; with a Qwen3-VL
        # text encoder of width 4096 (an 8B) about 15.6B in all, 31 GB in bf16
        vram_gb=34.0,
        offload_vram_gb=17.0,
        steps=40,  # the pipeline's defaults: 40 steps, true_cfg_scale 1.0 (no CFG pass)
        guidance_kind="cfg",
        text_guidance=1.0,
        image_guidance=None,
        step_s=0.9,  # estimate: Qwen-Image-Edit's 3.3 s/step (20B, CFG) scaled by size, one pass
        load_s=35.0,
        multiple_of=32,
        guidance_meaning="True classifier-free guidance (true_cfg_scale) against a negative "
        "prompt above 1, a second transformer pass per step; at 1 (the pipeline's default) none.",
        fetch_hint="hf download Qwen/Qwen-Image-2.1",
        prompt_tokens=1024,
        published="edits from the image as vision context and reference latents (diffusers "
        "QwenImage21Pipeline); the model card's settings and GEdit-Bench/ImgEdit: unsourced",
    ),
    "flux2-dev": FamilySpec(
        family="flux2-dev",
        default_id="black-forest-labs/FLUX.2-dev",
        pipeline="Flux2Pipeline",
        modes=("instruct",),
        native_resolution=1024,
        # the diffusers class's default transformer counts 32.2B; with a Mistral-3 text encoder
        # read at width 5120 (a 24B) about 56B in all, 112 GB in bf16
        vram_gb=112.0,
        offload_vram_gb=70.0,  # the transformer alone (64 GB) plus activations
        steps=50,  # the diffusers Flux2Pipeline example: 50 steps at guidance 2.5
        guidance_kind="distilled",
        text_guidance=2.5,
        image_guidance=None,
        step_s=2.6,  # estimate: Qwen-Image-Edit's 3.3 s/step (20B, two passes) scaled, one pass
        load_s=90.0,
        multiple_of=16,
        guidance_meaning="Distilled guidance (about 2.5): an input of the transformer, not CFG; "
        "no negative prompt and no second batch; the source enters as reference tokens.",
        fetch_hint="hf download black-forest-labs/FLUX.2-dev (gated: accept the licence on the "
        "Hub first)",
        prompt_tokens=512,
        published="32.2B transformer (counted from the diffusers default config), multi-reference "
        "edits; GEdit-Bench/ImgEdit: unsourced",
    ),
}

LICENCES: dict[Family, Licence] = {
    # issue 30's table; the model card was not read here (no network)
    "z-image": Licence("Apache-2.0", True),
    "joyai-image-edit": Licence("Apache-2.0", True),
    "qwen-image-2.1": Licence("Qwen Research License (non-commercial)", False),
    "flux2-dev": Licence("FLUX.2 [dev] Non-Commercial License", False),
}

VARIANTS: dict[str, Variant] = {}
