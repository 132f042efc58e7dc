"""The model registry and hardware table: plain data, read by the planner and the executors.

Every family table here is derived from the catalog's entries (planner/catalog/families/, one
module per family): ``REGISTRY`` (family -> its ``FamilySpec``), ``LICENCES``, ``VARIANTS``,
``LORAS``, ``CONTROLNETS`` and ``INPAINT_FAMILIES``. Nothing family-specific is written here; add
a family as one file in that folder. Each family names its diffusers pipeline classes as strings,
so reading this module imports no torch. VRAM figures are peak GiB for one batch-1 edit at native
resolution in fp16/bf16 (``vram_gb``) and with ``enable_model_cpu_offload`` (``offload_vram_gb``).
``step_s`` is seconds per denoising step at native resolution on the reference card (an L4, class
gpu-24gb), CFG batch included; the lesson's anchor is SDXL-Inpaint, 30 steps at 1024x1024 in 3-4 s
on an L4 (0.11 s/step).
"""

from __future__ import annotations

from dataclasses import dataclass

from retouch.planner.catalog.families import FAMILIES
from retouch.planner.catalog.families.qwen_image_edit import LIGHTNING_SCHEDULER
from retouch.planner.catalog.specs import FamilySpec, Licence, Lora, Variant
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import Family, Hardware

# their home is planner/catalog/specs.py (and the Qwen-Image-Edit entry for the scheduler)
__all__ = ["LIGHTNING_SCHEDULER", "FamilySpec", "Licence", "Lora", "Variant"]


REGISTRY: dict[Family, FamilySpec] = dict(FAMILIES)


def fetch_text(family: Family, model_id: str) -> str:
    """How to put ``model_id`` (a ``family`` model) on this machine: the command in backticks,
    then any note (a gated repository's licence step)."""
    spec = REGISTRY[family]
    if model_id != spec.default_id:
        return f"`hf download {model_id}`"
    command, _, note = spec.fetch_hint.partition(" (")
    return f"`{command}`" + (f" ({note}" if note else "")


# The licence of each family's default weights (``licence: open`` keeps only commercial ones).
LICENCES: dict[Family, Licence] = {f: spec.licence for f, spec in REGISTRY.items()}

# Model id -> variant; the executor runs a variant's steps when it is what is on disk.
VARIANTS: dict[str, Variant] = {k: v for spec in REGISTRY.values() for k, v in spec.variants}

# File name suffixes of the published precisions, most precise first (the order a choice is made in).
LORA_SUFFIXES = ("-fp32", "", "-bf16")
# LoRA file name less its suffix and ".safetensors" -> what it is; with several for the model on
# disk, the one with the most steps runs.
LORAS: dict[str, Lora] = {k: v for spec in REGISTRY.values() for k, v in spec.loras}

# (ControlNet type, family) -> the ControlNet weights the planner names.
CONTROLNETS: dict[tuple[str, Family], str] = {
    (kind, f): model_id for f, spec in REGISTRY.items() for kind, model_id in spec.controlnets
}

# SAM image encoder cost on gpu-24gb at 1024x1024 (prompt decoding is ~ms): the lesson gives SAM-H
# ~200 ms and SAM-B ~40 ms.
# SAM 3 (facebook/sam3, 848M): ~88 ms per image on an H100 (SAM 3 paper, Meta 2025), scaled to
# gpu-24gb by the H100's speed factor (0.3). SAM 2.1 Hiera tiny/small/base+/large: 91.2 / 84.8 / 64.1
# / 39.5 FPS on an A100 (SAM 2 paper, table of model sizes), scaled the same way.
SAM_ENCODER_S = {
    "vit_b": 0.04,
    "vit_l": 0.11,
    "vit_h": 0.2,
    "sam3": 0.088 / 0.3,
    "sam2.1-tiny": 1 / 91.2 / 0.3,
    "sam2.1-small": 1 / 84.8 / 0.3,
    "sam2.1-base-plus": 1 / 64.1 / 0.3,
    "sam2.1-large": 1 / 39.5 / 0.3,
}
# What a text mask needs: SAM 3. Named in every error about a missing SAM 3 (license: SAM License).
SAM3_ID = "facebook/sam3"
SAM3_HINT = (
    "words need SAM 3 (facebook/sam3, 848M parameters, ~3.4 GB; SAM License, not Apache: accept it "
    "on its Hugging Face page), which is not on this machine: download it once with `hf download "
    "facebook/sam3` (it is then read from the Hugging Face cache) or save it to a folder and give "
    "that folder as the SAM checkpoint (or set RETOUCH_SAM_CHECKPOINT). Without it, mark the object "
    "with clicks or a box, or give a mask file"
)
SAM3_HINTS = (hint("sam_checkpoint", "FOLDER"), hint("points"), hint("box"), hint("mask"))
SAM_CHECKPOINT_HINT = (
    "download sam_vit_b_01ec64.pth (or vit_l/vit_h) from the segment-anything README and give it "
    "as the SAM checkpoint"
)
SAM_CHECKPOINT_HINTS = (hint("sam_checkpoint"),)


@dataclass(frozen=True)
class HardwareSpec:
    vram_gb: float
    speed: float  # multiplier on step_s relative to gpu-24gb (lower is faster)
    example: str


HARDWARE: dict[Hardware, HardwareSpec] = {
    "cpu": HardwareSpec(0.0, 60.0, "a laptop or server CPU, fp32"),
    "gpu-8gb": HardwareSpec(8.0, 2.0, "RTX 3060 Ti / 4060"),
    "gpu-12gb": HardwareSpec(12.0, 1.4, "RTX 3060 12GB / 4070"),
    "gpu-16gb": HardwareSpec(16.0, 2.5, "T4 / RTX 4080"),
    "gpu-24gb": HardwareSpec(24.0, 1.0, "L4 / RTX 4090 / A10"),
    "gpu-48gb": HardwareSpec(48.0, 0.6, "L40S / RTX 6000 Ada"),
    "gpu-80gb": HardwareSpec(80.0, 0.3, "A100 80GB / H100"),
}

# Families that can fill a masked region with a prompt (the planner's inpaint_allowed).
INPAINT_FAMILIES: tuple[Family, ...] = tuple(f for f, s in REGISTRY.items() if "inpaint" in s.modes)
