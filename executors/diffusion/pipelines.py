"""Which diffusers pipeline runs which (family, mode, ControlNet), and which retouch executor drives it.

Plain data, no torch: reading this table says what the diffusers executor can run: the SD 1.x / 2.x
family, SDXL (inpaint and img2img), Flux.1 Fill, Flux.1 Kontext, FLUX.2 klein (edits and masked
fills), Qwen-Image-Edit (edits and masked fills), LongCat-Image-Edit (edits), Z-Image (masked fills
and SDEdit), JoyAI-Image-Edit, Qwen-Image 2.1 and FLUX.2 dev (edits), InstructPix2Pix and
RePaint on a DDPM. Adding a family means adding rows here and, where the call differs, an
executor class.

    key                                   pipeline class                              executor
    (family, mode, controlnet type|None)  diffusers class name (a string)             executors.<module>

``load`` holds extra ``from_pretrained`` keyword arguments: SDXL pipelines are loaded with
``add_watermarker=False``, since an invisible watermark would change pixels of every result.
"""

from __future__ import annotations

from dataclasses import dataclass

from retouch.planner.contract.schema import Family, Mode

LoadOption = tuple[str, bool | int | float | str]


@dataclass(frozen=True)
class PipelineSpec:
    pipeline: str  # diffusers class name
    executor: str  # module under executors/ whose EXECUTOR class drives it
    scheduler: str | None = None  # diffusers scheduler class to swap in on load (RePaint needs one)
    load: tuple[LoadOption, ...] = ()  # extra from_pretrained keyword arguments


NO_WATERMARK: tuple[LoadOption, ...] = (("add_watermarker", False),)

PIPELINES: dict[tuple[Family, Mode, str | None], PipelineSpec] = {
    ("sd-inpaint", "inpaint", None): PipelineSpec("StableDiffusionInpaintPipeline", "inpaint"),
    ("sd-inpaint", "outpaint", None): PipelineSpec("StableDiffusionInpaintPipeline", "inpaint"),
    ("sd-inpaint", "inpaint", "openpose"): PipelineSpec(
        "StableDiffusionControlNetInpaintPipeline", "controlnet"
    ),
    ("sdxl-inpaint", "inpaint", None): PipelineSpec(
        "StableDiffusionXLInpaintPipeline", "inpaint", load=NO_WATERMARK
    ),
    ("sdxl-inpaint", "outpaint", None): PipelineSpec(
        "StableDiffusionXLInpaintPipeline", "inpaint", load=NO_WATERMARK
    ),
    ("flux-fill", "inpaint", None): PipelineSpec("FluxFillPipeline", "fill"),
    ("flux-fill", "outpaint", None): PipelineSpec("FluxFillPipeline", "fill"),
    ("sd", "sdedit", None): PipelineSpec("StableDiffusionImg2ImgPipeline", "sdedit"),
    ("sdxl", "sdedit", None): PipelineSpec(
        "StableDiffusionXLImg2ImgPipeline", "sdedit", load=NO_WATERMARK
    ),
    ("instruct-pix2pix", "instruct", None): PipelineSpec(
        "StableDiffusionInstructPix2PixPipeline", "instruct"
    ),
    ("flux-kontext", "instruct", None): PipelineSpec("FluxKontextPipeline", "kontext"),
    ("ddpm", "repaint", None): PipelineSpec("RePaintPipeline", "repaint", "RePaintScheduler"),
    ("flux2-klein", "instruct", None): PipelineSpec("Flux2KleinPipeline", "klein"),
    ("flux2-klein", "inpaint", None): PipelineSpec("Flux2KleinInpaintPipeline", "klein"),
    ("flux2-klein", "outpaint", None): PipelineSpec("Flux2KleinInpaintPipeline", "klein"),
    ("qwen-image-edit", "instruct", None): PipelineSpec("QwenImageEditPlusPipeline", "qwen"),
    ("qwen-image-edit", "inpaint", None): PipelineSpec("QwenImageEditInpaintPipeline", "qwen"),
    ("longcat-image-edit", "instruct", None): PipelineSpec("LongCatImageEditPipeline", "longcat"),
    ("z-image", "inpaint", None): PipelineSpec("ZImageInpaintPipeline", "zimage"),
    ("z-image", "outpaint", None): PipelineSpec("ZImageInpaintPipeline", "zimage"),
    ("z-image", "sdedit", None): PipelineSpec("ZImageImg2ImgPipeline", "zimage"),
    ("joyai-image-edit", "instruct", None): PipelineSpec("JoyImageEditPipeline", "joyai"),
    ("qwen-image-2.1", "instruct", None): PipelineSpec("QwenImage21Pipeline", "qwen21"),
    ("flux2-dev", "instruct", None): PipelineSpec("Flux2Pipeline", "klein"),  # same call as klein
}

# Families the diffusers executor can load today (every family in a PIPELINES key).
SUPPORTED_FAMILIES: frozenset[Family] = frozenset(f for f, _, _ in PIPELINES)

# What a model folder's files say about its family (see executors.diffusion.loading.detect_family):
# UNet2DConditionModel input channels -> family, for the SD 1.x / 2.x layout (one CLIP text encoder).
SD_UNET_CHANNELS: dict[int, Family] = {9: "sd-inpaint", 8: "instruct-pix2pix", 4: "sd"}
# Same for the SDXL layout (two text encoders).
SDXL_UNET_CHANNELS: dict[int, Family] = {9: "sdxl-inpaint", 4: "sdxl"}
# Transformer-based pipelines, by the class name in model_index.json.
TRANSFORMER_CLASSES: dict[str, Family] = {
    "FluxFillPipeline": "flux-fill",
    "FluxKontextPipeline": "flux-kontext",
    "Flux2KleinPipeline": "flux2-klein",
    "Flux2KleinInpaintPipeline": "flux2-klein",
    "QwenImageEditPlusPipeline": "qwen-image-edit",
    "QwenImageEditPipeline": "qwen-image-edit",
    "QwenImageEditInpaintPipeline": "qwen-image-edit",
    "LongCatImageEditPipeline": "longcat-image-edit",
    "ZImagePipeline": "z-image",  # the class Z-Image-Turbo's model_index.json names
    "ZImageInpaintPipeline": "z-image",
    "ZImageImg2ImgPipeline": "z-image",
    "JoyImageEditPipeline": "joyai-image-edit",
    "QwenImage21Pipeline": "qwen-image-2.1",
    "Flux2Pipeline": "flux2-dev",
}

# What each family's UNet looks like, for error messages about a folder of the wrong family.
FAMILY_SIGNATURE: dict[Family, str] = {
    "sd-inpaint": "an SD 1.x/2.x inpaint model (9-channel UNet)",
    "sd": "an SD 1.x/2.x text-to-image model (4-channel UNet)",
    "instruct-pix2pix": "an InstructPix2Pix model (8-channel UNet)",
    "ddpm": "an unconditional DDPM (UNet2DModel)",
    "sdxl-inpaint": "an SDXL inpaint model (9-channel UNet, two text encoders)",
    "sdxl": "an SDXL model (4-channel UNet, two text encoders)",
    "flux-fill": "a Flux.1 Fill model",
    "flux-kontext": "a Flux.1 Kontext model",
    "flux2-klein": "a FLUX.2 klein model",
    "qwen-image-edit": "a Qwen-Image-Edit model",
    "longcat-image-edit": "a LongCat-Image-Edit model",
    "z-image": "a Z-Image model",
    "joyai-image-edit": "a JoyAI-Image-Edit model",
    "qwen-image-2.1": "a Qwen-Image 2.1 model",
    "flux2-dev": "a FLUX.2 dev model",
}


def pipeline_for(family: Family, mode: Mode, controlnet: str | None) -> PipelineSpec | None:
    """The pipeline that runs ``mode`` with a ``family`` model (and ControlNet type), or None."""
    return PIPELINES.get((family, mode, controlnet))


def article(word: str) -> str:
    """'an' before a vowel, else 'a' (for messages: 'an inpaint edit', 'a repaint edit')."""
    return "an" if word[:1].lower() in "aeiou" else "a"
