"""The benchmarked families and how to build them at real size without touching CPU memory.

``build_pipeline(family, tiny, device)`` returns the family's diffusers pipeline with every module
created on the meta device from its published config (``published_configs.py``,
``published_configs_edit.py``) and materialised directly on ``device`` with seeded random weights.
Speed does not depend on weight values or on tokens, so the tokenizers are the tiny local ones from
``tests/executors/tiny_families.py`` and ``tiny_edit_families.py``; they emit ids inside the real
vocabularies and give the denoisers the real text lengths: CLIP pads to 77, T5 to 512, klein's Qwen3
and LongCat's Qwen2.5-VL prompts pad to 512, and Qwen-Image-Edit drops its whole system prompt as
the real pipeline does (its byte-level ids are counted, ``qwen_template_tokens``). The Qwen2.5-VL
and Qwen3-VL processors use the published image settings, so the vision tower sees the real number
of patches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.bench.published_configs import SCHEDULERS, component_config


@dataclass(frozen=True)
class Family:
    """One benchmarked family: its diffusers pipeline and the published configs it is built from."""

    name: str
    pipeline: str  # diffusers class name
    native: int  # native side in px
    steps: int
    dtype: str  # torch dtype name on the GPU
    guidance: float  # CFG scale (SD/SDXL) or distilled guidance (Flux)
    denoiser: str  # pipeline attribute: "unet" | "transformer"
    modules: dict[str, str]  # pipeline component -> published config name
    masked: bool = True  # False: instruction edit, no mask (Kontext and the newest editors)
    extra: dict[str, Any] = field(default_factory=dict)  # other pipeline constructor kwargs
    also: tuple[tuple[int, float, str], ...] = ()  # more (steps, guidance, why) rows, same build
    processor: str | None = None  # pipeline keyword of the Qwen2-VL processor, if it takes one


FAMILIES: dict[str, Family] = {
    # the newest editors first: their rows are the table and must fit the budget
    "flux2-klein": Family(
        "flux2-klein", "Flux2KleinPipeline", 1024, 4, "bfloat16", 1.0, "transformer",
        {"transformer": "klein_4b", "vae": "flux2_vae", "text_encoder": "qwen3_4b"},
        masked=False, extra={"is_distilled": True},
    ),
    "qwen-image-edit": Family(
        "qwen-image-edit", "QwenImageEditPlusPipeline", 1024, 40, "bfloat16", 4.0, "transformer",
        {"transformer": "qwen_image_edit", "vae": "qwen_vae", "text_encoder": "qwen25_vl_7b"},
        masked=False, also=((8, 1.0, "Lightning's step count, no CFG"),), processor="processor",
    ),
    "longcat-image-edit": Family(
        "longcat-image-edit", "LongCatImageEditPipeline", 1024, 50, "bfloat16", 4.5, "transformer",
        {"transformer": "longcat_image_edit", "vae": "longcat_vae", "text_encoder": "qwen25_vl_7b"},
        masked=False, processor="text_processor",
    ),
    "qwen-image-layered": Family(
        "qwen-image-layered", "QwenImageLayeredPipeline", 640, 50, "bfloat16", 4.0, "transformer",
        {"transformer": "qwen_image_layered", "vae": "qwen_layered_vae",
         "text_encoder": "qwen25_vl_7b"},
        masked=False, processor="processor",
    ),
    "joyai-image-edit-plus": Family(
        "joyai-image-edit-plus", "JoyImageEditPlusPipeline", 1024, 30, "bfloat16", 4.0,
        "transformer",
        {"transformer": "joyai_plus", "vae": "wan_vae", "text_encoder": "qwen3_vl_8b"},
        masked=False, processor="processor",
    ),
    "z-image": Family(
        "z-image", "ZImageInpaintPipeline", 1024, 8, "bfloat16", 0.0, "transformer",
        {"transformer": "z_image_turbo", "vae": "flux_vae", "text_encoder": "qwen3_4b"},
    ),
    "z-image-controlnet": Family(
        "z-image-controlnet", "ZImageControlNetInpaintPipeline", 1024, 8, "bfloat16", 0.0,
        "transformer",
        {"transformer": "z_image_turbo", "vae": "flux_vae", "text_encoder": "qwen3_4b",
         "controlnet": "z_image_controlnet"},
    ),
    "sd-inpaint": Family(
        "sd-inpaint", "StableDiffusionInpaintPipeline", 512, 30, "float16", 7.5, "unet",
        {"unet": "sd15_inpaint_unet", "vae": "sd_vae", "text_encoder": "clip_l"},
        extra={"safety_checker": None, "feature_extractor": None, "requires_safety_checker": False},
    ),
    "sdxl-inpaint": Family(
        "sdxl-inpaint", "StableDiffusionXLInpaintPipeline", 1024, 30, "float16", 8.0, "unet",
        {"unet": "sdxl_inpaint_unet", "vae": "sdxl_vae", "text_encoder": "clip_l",
         "text_encoder_2": "openclip_bigg"},
        extra={"requires_aesthetics_score": False, "add_watermarker": False},
    ),
    "flux-fill": Family(
        "flux-fill", "FluxFillPipeline", 1024, 28, "bfloat16", 30.0, "transformer",
        {"transformer": "flux_fill", "vae": "flux_vae", "text_encoder": "clip_l",
         "text_encoder_2": "t5_xxl"},
    ),
    "flux-kontext": Family(
        "flux-kontext", "FluxKontextPipeline", 1024, 28, "bfloat16", 2.5, "transformer",
        {"transformer": "flux_kontext", "vae": "flux_vae", "text_encoder": "clip_l",
         "text_encoder_2": "t5_xxl"},
        masked=False, extra={"image_encoder": None, "feature_extractor": None},
    ),
}  # fmt: skip
"""Family name (as in planner/catalog/registry.py) -> what the benchmark builds and runs.

flux2-klein runs ``Flux2KleinPipeline``, the instruction edit: the planner's default klein pipeline
and the issue's "1024^2, 4 steps" row. Its source enters as 4096 reference tokens next to the 4096
noisy ones, so it bounds ``Flux2KleinInpaintPipeline`` (same modules, the noisy tokens only, at
most 4 steps) from above. qwen-image-edit runs 40 steps with true CFG 4.0 (two transformer passes
a step, the model card's call) and, in ``also``, 8 steps without CFG: the Qwen-Image-Lightning
count (the LoRA is merged into the weights, so the cost is the base model's). LongCat runs 50
steps with CFG 4.5, as its model card does. Z-Image (Turbo) fills masks in 8 steps at guidance 0
(no CFG batch), as the diffusers ZImageInpaintPipeline example does; ``z-image-controlnet`` is the
same family with its Union 2.1 ControlNet (ZImageControlNetInpaintPipeline, the source as the
control image: its content does not change the cost). Qwen-Image-Layered splits the source into 4
RGBA layers at its 640^2 bucket in 50 steps with true CFG 4.0, the diffusers example's call (with a
prompt given: the caption the product has the model write first is not timed).
JoyAI-Image-Edit Plus edits the source with one reference image (the source again: its content does
not change the cost), each at its ~1024^2 bucket, in 30 steps with CFG 4.0, the diffusers example's
call: 4096 noisy + 2 x 4096 reference tokens, two transformer passes a step.
"""

CLASSES: dict[str, tuple[str, str, str | None]] = {
    "clip_l": ("transformers", "CLIPTextModel", "CLIPTextConfig"),
    "openclip_bigg": ("transformers", "CLIPTextModelWithProjection", "CLIPTextConfig"),
    "t5_xxl": ("transformers", "T5EncoderModel", "T5Config"),
    "qwen3_4b": ("transformers", "Qwen3ForCausalLM", "Qwen3Config"),
    "qwen25_vl_7b": ("transformers", "Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLConfig"),
    "sd15_inpaint_unet": ("diffusers", "UNet2DConditionModel", None),
    "sdxl_inpaint_unet": ("diffusers", "UNet2DConditionModel", None),
    "sd_vae": ("diffusers", "AutoencoderKL", None),
    "sdxl_vae": ("diffusers", "AutoencoderKL", None),
    "flux_vae": ("diffusers", "AutoencoderKL", None),
    "longcat_vae": ("diffusers", "AutoencoderKL", None),
    "flux2_vae": ("diffusers", "AutoencoderKLFlux2", None),
    "qwen_vae": ("diffusers", "AutoencoderKLQwenImage", None),
    "flux_fill": ("diffusers", "FluxTransformer2DModel", None),
    "flux_kontext": ("diffusers", "FluxTransformer2DModel", None),
    "klein_4b": ("diffusers", "Flux2Transformer2DModel", None),
    "qwen_image_edit": ("diffusers", "QwenImageTransformer2DModel", None),
    "longcat_image_edit": ("diffusers", "LongCatImageTransformer2DModel", None),
    "z_image_turbo": ("diffusers", "ZImageTransformer2DModel", None),
    "qwen_image_layered": ("diffusers", "QwenImageTransformer2DModel", None),
    "qwen_layered_vae": ("diffusers", "AutoencoderKLQwenImage", None),
    "joyai_plus": ("diffusers", "JoyImageEditPlusTransformer3DModel", None),
    "wan_vae": ("diffusers", "AutoencoderKLWan", None),
    "qwen3_vl_8b": ("transformers", "Qwen3VLForConditionalGeneration", "Qwen3VLConfig"),
    "z_image_controlnet": ("diffusers", "ZImageControlNetModel", None),
}
"""Published config name -> (library, model class, config class or None for diffusers kwargs)."""

QWEN_MAX_LENGTH = 131072
"""``model_max_length`` of the Qwen2.5 / Qwen3 tokenizers: prompts with image tokens exceed 512."""


def vl_token_ids() -> dict[str, int]:
    """The tiny Qwen tokenizer's ids of the vision tokens, for the Qwen2.5-VL config: which ids mark
    image tokens changes no shape, only where the vision tower's output goes."""
    from tests.executors.tiny_edit_families import tiny_qwen_tokenizer

    tok = tiny_qwen_tokenizer()
    return {
        "image_token_id": tok.convert_tokens_to_ids("<|image_pad|>"),
        "vision_start_token_id": tok.convert_tokens_to_ids("<|vision_start|>"),
        "vision_end_token_id": tok.convert_tokens_to_ids("<|vision_end|>"),
        "video_token_id": len(tok) + 1,  # no video: an id the tokenizer never emits
    }


def new_module(config_name: str, tiny: bool) -> Any:
    """The module for published config ``config_name``, created on the current default device."""
    import importlib

    library, cls_name, config_cls = CLASSES[config_name]
    lib = importlib.import_module(library)
    cfg = component_config(config_name, tiny)
    if config_cls is None:
        return getattr(lib, cls_name)(**cfg)
    if config_name in ("qwen25_vl_7b", "qwen3_vl_8b"):
        cfg = {**cfg, **vl_token_ids()}
    return getattr(lib, cls_name)(getattr(lib, config_cls)(**cfg))


def tie(module: Any) -> None:
    """Tie shared weights where a model declares any (T5 shares its input embedding)."""
    if hasattr(module, "tie_weights"):
        module.tie_weights()


def build_on_device(config_name: str, tiny: bool, device: str, dtype: Any, seed: int) -> Any:
    """Create the module with parameters on the meta device, then allocate and init on ``device``.

    Buffers (position ids and the like) are created for real on the CPU — they are tiny — and
    copied back after ``to_empty``. Parameters get a seeded normal init with std ``fan_in**-0.5``
    (norm scales 1, biases 0), so activations stay finite in fp16/bf16. Raises MemoryError when the
    weights would not fit in the GPU's free memory.
    """
    import torch
    from accelerate import init_empty_weights

    with init_empty_weights(include_buffers=False):
        module = new_module(config_name, tiny)
    tie(module)
    module.to(dtype=dtype)  # free on meta: memory is then allocated in the final dtype
    need = sum(p.numel() * p.element_size() for p in module.parameters())
    if device == "cuda" and need > 0.9 * torch.cuda.mem_get_info()[0]:
        raise MemoryError(f"{config_name} needs {need / 2**30:.1f} GiB, more than is free")
    buffers = {name: b.detach().clone() for name, b in module.named_buffers()}
    module.to_empty(device=device)
    tie(module)  # to_empty allocates tied weights once per owner; share them again
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for name, value in buffers.items():
            module.get_buffer(name).copy_(value)
        for name, p in module.named_parameters():
            if p.ndim >= 2:
                p.normal_(0.0, p[0].numel() ** -0.5, generator=generator)
            else:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
    return module.eval().requires_grad_(False)


def vl_processor(text_encoder: str = "qwen25_vl_7b") -> Any:
    """The VL processor of ``text_encoder`` (Qwen2VLProcessor for Qwen2.5-VL, Qwen3VLProcessor for
    Qwen3-VL) with the published image settings over the tiny byte-level tokenizer."""
    import transformers
    from transformers import Qwen2VLImageProcessor

    from tests.bench.published_configs_edit import VL3_IMAGE_PROCESSOR, VL_IMAGE_PROCESSOR
    from tests.executors.tiny_edit_families import CHAT_TEMPLATE, tiny_qwen_tokenizer

    qwen3 = text_encoder == "qwen3_vl_8b"
    kind = "Qwen3VL" if qwen3 else "Qwen2VL"
    return getattr(transformers, f"{kind}Processor")(
        image_processor=Qwen2VLImageProcessor(
            **(VL3_IMAGE_PROCESSOR if qwen3 else VL_IMAGE_PROCESSOR)
        ),
        tokenizer=tiny_qwen_tokenizer(QWEN_MAX_LENGTH),
        video_processor=getattr(transformers, f"{kind}VideoProcessor")(),
        chat_template=CHAT_TEMPLATE,
    )


def qwen_template_tokens(pipe: Any) -> int | dict[str, int]:
    """Tokens of Qwen-Image-Edit's system prompt (the template up to the user's text) under the
    pipeline's tokenizer: the real pipeline drops its first 64 ids, exactly that prefix in the
    real vocabulary; with the byte-level tokenizer the same prefix is longer. JoyAI Plus keeps a
    dict of templates (its real drop: 34 ids) and gets a dict back."""
    template = pipe.prompt_template_encode
    if isinstance(template, dict):  # JoyAI: one template per kind, the same drop for each
        return {
            kind: len(pipe.tokenizer(t.split("{}")[0])["input_ids"]) for kind, t in template.items()
        }
    prefix = template.split("{}")[0]
    return len(pipe.tokenizer(prefix)["input_ids"])


def _text_parts(fam: Family) -> dict[str, Any]:
    """Tokenizers (and the VL processor) for the family's text encoders."""
    from tests.executors.tiny_edit_families import tiny_qwen_tokenizer
    from tests.executors.tiny_families import tiny_clip_tokenizer, tiny_t5_tokenizer

    if fam.modules["text_encoder"].startswith("qwen"):
        parts = {"tokenizer": tiny_qwen_tokenizer(QWEN_MAX_LENGTH)}
        if fam.processor:
            parts[fam.processor] = vl_processor(fam.modules["text_encoder"])
        return parts
    parts = {"tokenizer": tiny_clip_tokenizer()}
    if "text_encoder_2" in fam.modules:
        t5 = fam.modules["text_encoder_2"] == "t5_xxl"
        parts["tokenizer_2"] = tiny_t5_tokenizer() if t5 else tiny_clip_tokenizer()
    return parts


QWEN_TEMPLATE_DROPPERS = (
    "QwenImageEditPlusPipeline",
    "QwenImageLayeredPipeline",
    "JoyImageEditPlusPipeline",
)
"""Pipelines that drop their system prompt's first tokens (``prompt_template_encode_start_idx``)."""


def build_pipeline(fam: Family, tiny: bool, device: str) -> Any:
    """The family's diffusers pipeline at published (or tiny) size, weights on ``device``.

    On CUDA modules use the family's dtype (fp16 SD/SDXL, bf16 the rest); on the CPU, float32.
    The flow-matching families share FLUX.1's scheduler config (JoyAI Plus without its dynamic
    shift, which that pipeline does not compute): the sigmas change no cost.
    """
    import diffusers
    import torch

    dtype = getattr(torch, fam.dtype) if device == "cuda" else torch.float32
    parts: dict[str, Any] = {
        part: build_on_device(name, tiny, device, dtype, seed)
        for seed, (part, name) in enumerate(fam.modules.items())
    }
    parts.update(_text_parts(fam))
    if fam.pipeline == "JoyImageEditPlusPipeline":  # passes no ``mu``: a static shift
        static = {**SCHEDULERS["flux"], "use_dynamic_shifting": False}
        parts["scheduler"] = diffusers.FlowMatchEulerDiscreteScheduler(**static)
    elif fam.denoiser == "transformer":
        parts["scheduler"] = diffusers.FlowMatchEulerDiscreteScheduler(**SCHEDULERS["flux"])
    else:
        parts["scheduler"] = diffusers.EulerDiscreteScheduler(**SCHEDULERS["sd"])
    pipe = getattr(diffusers, fam.pipeline)(**parts, **fam.extra)
    pipe.set_progress_bar_config(disable=True)
    if fam.pipeline in QWEN_TEMPLATE_DROPPERS:
        pipe.prompt_template_encode_start_idx = qwen_template_tokens(pipe)
    if tiny and fam.pipeline == "JoyImageEditPlusPipeline":
        pipe.image_processor.get_default_height_width = _own_size
    return pipe


def _own_size(image: Any, height: int | None = None, width: int | None = None) -> tuple[int, int]:
    """(H, W) of ``image`` itself: the tiny JoyAI Plus run keeps its references at the tiny native
    size instead of the ~1024^2 bucket the pipeline would resize them to (on the CPU, 10x slower)."""
    return (height, width) if height and width else (image.height, image.width)
