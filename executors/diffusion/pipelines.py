"""Which diffusers pipeline runs which (family, mode, ControlNet), and which retouch executor drives it.

Plain data, no torch, derived from the catalog (planner/catalog/families/, one module per family):
every table here is rebuilt from the entries' ``pipelines`` and ``signature``, so a family is
added by adding its catalog file (and, where the call differs, an executor class).

    key                                   pipeline class                   executor
    (family, mode, controlnet type|None)  diffusers class name (a string)  "module:Class"

``load`` holds extra ``from_pretrained`` keyword arguments: SDXL pipelines are loaded with
``add_watermarker=False``, since an invisible watermark would change pixels of every result.
"""

from __future__ import annotations

from dataclasses import dataclass

from retouch.planner.catalog.families import FAMILIES
from retouch.planner.catalog.specs import NO_WATERMARK, LoadOption
from retouch.planner.contract.schema import Family, Mode

__all__ = ["NO_WATERMARK", "LoadOption"]  # their home is planner/catalog/specs.py


@dataclass(frozen=True)
class PipelineSpec:
    pipeline: str  # diffusers class name
    executor: str  # the executor class that drives it, "module:Class" (a DiffusionExecutor)
    scheduler: str | None = None  # diffusers scheduler class to swap in on load (RePaint needs one)
    load: tuple[LoadOption, ...] = ()  # extra from_pretrained keyword arguments


PIPELINES: dict[tuple[Family, Mode, str | None], PipelineSpec] = {
    (family, row.mode, row.controlnet): PipelineSpec(
        row.pipeline, row.executor, row.scheduler, row.load
    )
    for family, spec in FAMILIES.items()
    for row in spec.pipelines
}

# Families the diffusers executor can load today (every family in a PIPELINES key).
SUPPORTED_FAMILIES: frozenset[Family] = frozenset(f for f, _, _ in PIPELINES)

# What a model folder's files say about its family (see executors.diffusion.loading.detect_family):
# UNet2DConditionModel input channels -> family, for the SD 1.x / 2.x layout (one CLIP text encoder).
SD_UNET_CHANNELS: dict[int, Family] = {
    s.signature.unet_channels: f
    for f, s in FAMILIES.items()
    if s.signature.unet_layout == "sd" and s.signature.unet_channels is not None
}
# Same for the SDXL layout (two text encoders).
SDXL_UNET_CHANNELS: dict[int, Family] = {
    s.signature.unet_channels: f
    for f, s in FAMILIES.items()
    if s.signature.unet_layout == "sdxl" and s.signature.unet_channels is not None
}
# A UNet class that alone says the family (UNet2DModel: an unconditional DDPM).
UNET_CLASSES: dict[str, Family] = {
    s.signature.unet_class: f for f, s in FAMILIES.items() if s.signature.unet_class
}
# A transformer class whose in_channels > out_channels (masked image and mask folded in) marks a
# fill family (FluxTransformer2DModel: Flux.1 Fill; a text-to-image Flux cannot be told from Kontext).
FILL_TRANSFORMERS: dict[str, Family] = {
    s.signature.fill_transformer: f for f, s in FAMILIES.items() if s.signature.fill_transformer
}
# Transformer-based pipelines, by the class name in model_index.json.
TRANSFORMER_CLASSES: dict[str, Family] = {
    name: f for f, s in FAMILIES.items() for name in s.signature.pipeline_classes
}

# What each family's folder holds, for error messages about a folder of the wrong family.
FAMILY_SIGNATURE: dict[Family, str] = {f: s.signature.text for f, s in FAMILIES.items()}


def pipeline_for(family: Family, mode: Mode, controlnet: str | None) -> PipelineSpec | None:
    """The pipeline that runs ``mode`` with a ``family`` model (and ControlNet type), or None."""
    return PIPELINES.get((family, mode, controlnet))


def article(word: str) -> str:
    """'an' before a vowel, else 'a' (for messages: 'an inpaint edit', 'a repaint edit')."""
    return "an" if word[:1].lower() in "aeiou" else "a"
