"""The shapes of the registry's plain data: a model family, a licence, a published variant.

Pure dataclasses (no torch); planner/catalog/registry.py and planner/catalog/families.py fill them in.
"""

from __future__ import annotations

from dataclasses import dataclass

from retouch.planner.contract.schema import Family, GuidanceKind, Mode


@dataclass(frozen=True)
class FamilySpec:
    family: Family
    default_id: str
    pipeline: str  # diffusers class name for this family's main mode
    modes: tuple[str, ...]  # plan modes this family can run
    native_resolution: int
    vram_gb: float
    offload_vram_gb: float
    steps: int
    guidance_kind: GuidanceKind
    text_guidance: float
    image_guidance: float | None
    step_s: float  # seconds/step at native resolution on gpu-24gb
    load_s: float  # cold load from local disk on gpu-24gb
    multiple_of: int  # image sides must be a multiple of this
    guidance_meaning: str
    fetch_hint: str
    prompt_tokens: int = 77  # text-encoder tokens read (CLIP 77; Flux's T5 512)
    mode_pipelines: tuple[tuple[Mode, str], ...] = ()  # modes run by another class than `pipeline`
    min_steps: int = 1  # step-distilled weights: fewer steps than this break them
    published: str = ""  # published quality/speed figures and their source

    def pipeline_for(self, mode: str) -> str:
        """The diffusers class that runs ``mode`` with this family."""
        return dict(self.mode_pipelines).get(mode, self.pipeline)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Licence:
    name: str  # an SPDX id, or the licence's own name where it has none
    commercial_use: bool


@dataclass(frozen=True)
class Variant:
    """Other published weights of a family, with their own licence or step count."""

    family: Family
    licence: Licence
    steps: int
    text_guidance: float
