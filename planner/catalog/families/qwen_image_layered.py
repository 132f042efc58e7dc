"""Qwen-Image-Layered: an image split into RGBA layers (background, then the objects over it).

Figures follow planner/catalog/specs.py's units. Parameter counts are counted on the meta device
from the published configs (tests/bench/test_real_size.py): the transformer is Qwen-Image's 20.43B
MMDiT plus an "is RGB" timestep embedding, the text encoder Qwen2.5-VL-7B (8.29B), the VAE
Qwen-Image's read and written in RGBA (0.13B). VRAM is those weights in bf16 plus an activation
margin; ``step_s`` is scaled from Qwen-Image-Edit's by tokens and is an estimate until
tests/bench/gpu_latency.py measures it. The licence is issue 30's table (the model card was not
read here: no network).
"""

from __future__ import annotations

from retouch.planner.catalog.specs import FamilySpec, Licence, ModePipeline, Signature

_EXECUTOR = "retouch.executors.diffusion.qwen_layered:QwenLayeredExecutor"  # imported when it runs

FAMILY = FamilySpec(
    family="qwen-image-layered",
    default_id="Qwen/Qwen-Image-Layered",
    modes=("instruct",),
    # the diffusers example's resolution bucket: 640^2 at the source's aspect (1024 is the other)
    native_resolution=640,
    # 20.43B transformer + 8.29B Qwen2.5-VL + 0.13B VAE = 28.9B, 57.7 GB in bf16
    vram_gb=62.0,
    offload_vram_gb=44.0,  # the transformer alone (40.9 GB) plus activations
    # the diffusers QwenImageLayeredPipeline example: 50 steps, true CFG 4.0, 4 layers at 640
    steps=50,
    guidance_kind="cfg",
    text_guidance=4.0,
    image_guidance=None,
    # estimate: Qwen-Image-Edit's 3.3 s/step (8192 tokens, CFG) scaled to 4 layers + the
    # condition + the source at 640^2 (6 x 1600 = 9600 tokens)
    step_s=3.9,
    load_s=60.0,
    multiple_of=16,
    guidance_meaning=(
        "True classifier-free guidance (true_cfg_scale about 4) against a negative prompt: two "
        "transformer passes per step. Its prompt is a caption of the image, which the pipeline "
        "writes itself with its Qwen2.5-VL (retouch sends none)."
    ),
    fetch_hint="hf download Qwen/Qwen-Image-Layered",
    pipelines=(ModePipeline("instruct", "QwenImageLayeredPipeline", _EXECUTOR),),
    licence=Licence("Apache-2.0", True),
    signature=Signature(
        "a Qwen-Image-Layered model", pipeline_classes=("QwenImageLayeredPipeline",)
    ),
    position=15,
    dtype="bf16",
    prompt_tokens=512,
    published=(
        "splits an image into RGBA layers (issue 30); 50 steps at true CFG 4, 4 layers at "
        "640^2 (diffusers example); GEdit-Bench/ImgEdit: not an editor"
    ),
    stands_in=False,  # it returns the photo as layers, not an edit: never a fallback
)
