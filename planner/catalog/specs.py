"""The shape of a catalog entry: one model family with everything retouch knows about it.

Pure dataclasses (no torch). Each family is one ``FamilySpec`` in its own module under
planner/catalog/families/; every other table (``REGISTRY``, ``LICENCES``, ``VARIANTS``, ``LORAS``,
``CONTROLNETS``, ``REFERENCE_MODES``, the executor's ``PIPELINES``, ``TRANSFORMER_CLASSES``,
``FAMILY_SIGNATURE``, ``BF16_FAMILIES``) is derived from those entries.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Literal

from retouch.planner.catalog.scores import SCORES, Score
from retouch.planner.contract.schema import Family, GuidanceKind, Mode

LoadOption = tuple[str, bool | int | float | str]
NO_WATERMARK: tuple[LoadOption, ...] = (("add_watermarker", False),)  # SDXL: no pixel watermark


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


@dataclass(frozen=True)
class Lora:
    """A published step-distillation LoRA, used with the model it was distilled from when its file
    is on this machine (the Hugging Face cache, or $RETOUCH_LORA): fused into the transformer; its
    steps, guidance and FlowMatchEulerDiscreteScheduler config replace the plan's."""

    family: Family
    base: str  # the model id it was distilled from: other releases of the family do not get it
    where: str  # Hugging Face repo id, then the folder inside it that holds the file
    steps: int
    text_guidance: float
    scheduler: dict[str, float | int | bool | str | None]
    licence: Licence
    source: str


@dataclass(frozen=True)
class ModePipeline:
    """The diffusers pipeline that runs one plan mode (with one ControlNet type, or none), and the
    retouch executor class that drives it, as ``"module:Class"`` (imported only when it runs)."""

    mode: Mode
    pipeline: str  # diffusers class name
    executor: str  # e.g. "retouch.executors.diffusion.inpaint:InpaintExecutor"
    controlnet: str | None = None  # ControlNet type ("openpose"), None: no ControlNet
    controlnet_id: str | None = None  # the ControlNet weights the planner names for that type
    # controlnet_conditioning_scale the plan starts from: what the ControlNet's pipeline and its
    # published example use (1.0 for the SD/SDXL OpenPose ControlNets)
    conditioning_scale: float = 1.0
    scheduler: str | None = None  # diffusers scheduler class swapped in on load (RePaint)
    load: tuple[LoadOption, ...] = ()  # extra from_pretrained keyword arguments


@dataclass(frozen=True)
class Signature:
    """How a model folder's JSON files say it holds this family (executors.diffusion.loading):
    the pipeline class in model_index.json, else the UNet (layout and input channels, or class),
    else a fill transformer (more input than output channels: masked image and mask folded in)."""

    text: str  # what the family's folder holds, for messages ("an SD 1.x/2.x inpaint model ...")
    pipeline_classes: tuple[str, ...] = ()  # model_index.json _class_name values
    unet_layout: Literal["sd", "sdxl"] | None = None  # one CLIP text encoder, or two
    unet_channels: int | None = None  # UNet2DConditionModel in_channels
    unet_class: str | None = None  # a UNet class that alone says the family (UNet2DModel: DDPM)
    fill_transformer: str | None = None  # transformer class whose in > out channels marks it


@dataclass(frozen=True)
class FamilySpec:
    """One model family: its default weights, how the planner runs it, what runs it, its licence."""

    family: Family
    default_id: str
    modes: tuple[Mode, ...]  # plan modes this family can run; the first is its main mode
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
    _: KW_ONLY
    pipelines: tuple[ModePipeline, ...]  # by mode and ControlNet: the executor's PIPELINES rows
    licence: Licence  # of the default weights (``licence: open`` keeps only commercial ones)
    signature: Signature
    position: int  # where the family sits in every table (the order families were added)
    dtype: Literal["bf16", "fp16"] = "fp16"  # on a GPU (fp32 on the CPU)
    prompt_tokens: int = 77  # text-encoder tokens read (CLIP 77; Flux's T5 512)
    min_steps: int = 1  # step-distilled weights: fewer steps than this break them
    reference_modes: tuple[Mode, ...] = ()  # modes whose pipeline reads a reference image
    variants: tuple[tuple[str, Variant], ...] = ()  # model id -> other published weights
    loras: tuple[tuple[str, Lora], ...] = ()  # LoRA file stem -> a step-distillation LoRA
    # may run a plan made for another family when that one's weights are missing (the loader's
    # fallback); False for a family whose output is not an edit (Qwen-Image-Layered splits layers)
    stands_in: bool = True
    published: str = ""  # published quality/speed figures and their source, in words

    @property
    def scores(self) -> tuple[Score, ...]:
        """Published benchmark scores, each with its source: planner/catalog/scores.py's, by
        family id (one table of sourced numbers, so an entry cannot name another's)."""
        return SCORES.get(self.family, ())

    def pipeline_for(self, mode: str, controlnet: str | None = None) -> str:
        """The diffusers class that runs ``mode`` (with a ``controlnet`` type) with this family;
        the main mode's class for a mode it does not run."""
        row = self.pipeline_row(mode, controlnet)
        return row.pipeline if row is not None else self.pipeline

    def pipeline_row(self, mode: str, controlnet: str | None = None) -> ModePipeline | None:
        """The catalog row that runs ``mode`` with ``controlnet``, or None."""
        for row in self.pipelines:
            if row.mode == mode and row.controlnet == controlnet:
                return row
        return None

    @property
    def pipeline(self) -> str:
        """The diffusers class of the family's main mode (``modes[0]``)."""
        row = self.pipeline_row(self.modes[0])
        if row is None:
            raise ValueError(f"{self.family}: no pipeline row runs its main mode {self.modes[0]}")
        return row.pipeline

    @property
    def mode_pipelines(self) -> tuple[tuple[Mode, str], ...]:
        """Modes run by another class than ``pipeline`` (no ControlNet)."""
        main = self.pipeline
        return tuple(
            (r.mode, r.pipeline)
            for r in self.pipelines
            if r.controlnet is None and r.pipeline != main
        )

    def problems(self) -> list[str]:
        """What is missing or inconsistent in this entry (empty when it is whole). The collector
        (planner/catalog/families/__init__.py) refuses an entry with problems at import."""
        out = []
        if not (self.default_id and self.fetch_hint and self.guidance_meaning):
            out.append("default_id, fetch_hint and guidance_meaning must be given")
        if not self.licence.name or not self.signature.text:
            out.append("the licence's name and the signature's text must be given")
        if not self.modes or not self.pipelines:
            out.append("modes and pipelines must not be empty")
        plain = [r.mode for r in self.pipelines if r.controlnet is None]
        if sorted(plain) != sorted(set(self.modes)) or len(set(self.modes)) != len(self.modes):
            out.append(f"modes {self.modes} and the pipelines' modes {tuple(plain)} differ")
        keys = [(r.mode, r.controlnet) for r in self.pipelines]
        if len(set(keys)) != len(keys):
            out.append("two pipelines run the same mode with the same ControlNet")
        for r in self.pipelines:
            if r.mode not in self.modes:
                out.append(f"the {r.pipeline} row runs {r.mode}, not one of the modes")
            if (r.controlnet is None) != (r.controlnet_id is None):
                out.append(f"the {r.pipeline} row names a ControlNet type without weights")
            module, _, name = r.executor.partition(":")
            if not module.startswith("retouch.executors.") or not name:
                out.append(f"executor {r.executor!r} is not 'retouch.executors.<module>:Class'")
        if not set(self.reference_modes) <= set(self.modes):
            out.append(f"reference modes {self.reference_modes} are not all in {self.modes}")
        if self.multiple_of < 1 or self.native_resolution % self.multiple_of:
            out.append(f"native {self.native_resolution} is not a multiple of {self.multiple_of}")
        if not (1 <= self.min_steps <= self.steps):
            out.append(f"steps {self.steps} is below min_steps {self.min_steps}")
        if not (0 < self.offload_vram_gb <= self.vram_gb):
            out.append(f"offload VRAM {self.offload_vram_gb} is not in (0, {self.vram_gb}]")
        if self.dtype not in ("bf16", "fp16"):
            out.append(f"dtype {self.dtype!r} is not bf16 or fp16")
        strays = [k for k, v in self.variants if v.family != self.family]
        strays += [k for k, v in self.loras if v.family != self.family]
        if strays:
            out.append(f"variants or LoRAs of another family: {strays}")
        return out

    @property
    def controlnets(self) -> tuple[tuple[str, str], ...]:
        """(ControlNet type, the weights the planner names) this family runs with."""
        return tuple(
            (r.controlnet, r.controlnet_id)
            for r in self.pipelines
            if r.controlnet is not None and r.controlnet_id is not None
        )
