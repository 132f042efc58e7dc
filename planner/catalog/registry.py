"""The model registry and hardware table: plain data, read by the planner and the executors.

Each family names the diffusers pipeline class as a string, so reading this module imports no torch.
VRAM figures are peak GiB for one batch-1 edit at native resolution in fp16/bf16 (``vram_gb``) and
with ``enable_model_cpu_offload`` (``offload_vram_gb``). ``step_s`` is seconds per denoising step at
native resolution on the reference card (an L4, class gpu-24gb), CFG batch included; the lesson's
anchor is SDXL-Inpaint, 30 steps at 1024x1024 in 3-4 s on an L4 (0.11 s/step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from retouch.planner.catalog import families
from retouch.planner.catalog.specs import FamilySpec, Licence, Variant
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import Family, Hardware

__all__ = ["FamilySpec", "Licence", "Variant"]  # their home is planner/catalog/specs.py


REGISTRY: dict[Family, FamilySpec] = {
    "sd-inpaint": FamilySpec(
        family="sd-inpaint",
        default_id="stable-diffusion-v1-5/stable-diffusion-inpainting",
        pipeline="StableDiffusionInpaintPipeline",
        modes=("inpaint", "outpaint"),
        native_resolution=512,
        vram_gb=3.5,
        offload_vram_gb=2.5,
        steps=30,
        guidance_kind="cfg",
        text_guidance=7.5,
        image_guidance=None,
        step_s=0.035,
        load_s=4.0,
        multiple_of=8,
        guidance_meaning="Classifier-free guidance: higher follows the prompt harder and "
        "saturates small patches; the negative prompt applies.",
        fetch_hint="hf download stable-diffusion-v1-5/stable-diffusion-inpainting",
    ),
    "sdxl-inpaint": FamilySpec(
        family="sdxl-inpaint",
        default_id="diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
        pipeline="StableDiffusionXLInpaintPipeline",
        modes=("inpaint", "outpaint"),
        native_resolution=1024,
        vram_gb=10.0,
        offload_vram_gb=6.0,
        steps=30,
        guidance_kind="cfg",
        text_guidance=8.0,
        image_guidance=None,
        step_s=0.11,
        load_s=9.0,
        multiple_of=8,
        guidance_meaning="Classifier-free guidance over both SDXL text encoders; the negative "
        "prompt applies.",
        fetch_hint="hf download diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
    ),
    "flux-fill": FamilySpec(
        family="flux-fill",
        default_id="black-forest-labs/FLUX.1-Fill-dev",
        pipeline="FluxFillPipeline",
        modes=("inpaint", "outpaint"),
        native_resolution=1024,
        vram_gb=34.0,
        offload_vram_gb=24.0,
        steps=28,
        guidance_kind="distilled",
        text_guidance=30.0,
        image_guidance=None,
        step_s=0.9,
        load_s=30.0,
        multiple_of=16,
        guidance_meaning="Distilled guidance: the scale is an input of the transformer, not CFG; "
        "Fill is trained around 30, there is no negative prompt and no second batch.",
        fetch_hint="hf download black-forest-labs/FLUX.1-Fill-dev (gated: accept "
        "the licence on the Hub first)",
        prompt_tokens=512,
    ),
    "flux-kontext": FamilySpec(
        family="flux-kontext",
        default_id="black-forest-labs/FLUX.1-Kontext-dev",
        pipeline="FluxKontextPipeline",
        modes=("instruct",),
        native_resolution=1024,
        vram_gb=34.0,
        offload_vram_gb=24.0,
        steps=28,
        guidance_kind="distilled",
        text_guidance=2.5,
        image_guidance=None,
        step_s=1.0,
        load_s=30.0,
        multiple_of=16,
        guidance_meaning="Distilled guidance (about 2.5): how hard to follow the instruction; the "
        "source image is context tokens, so there is no separate image scale.",
        fetch_hint="hf download black-forest-labs/FLUX.1-Kontext-dev (gated: accept "
        "the licence on the Hub first)",
        prompt_tokens=512,
    ),
    "instruct-pix2pix": FamilySpec(
        family="instruct-pix2pix",
        default_id="timbrooks/instruct-pix2pix",
        pipeline="StableDiffusionInstructPix2PixPipeline",
        modes=("instruct",),
        native_resolution=512,
        vram_gb=3.5,
        offload_vram_gb=2.5,
        steps=20,
        guidance_kind="cfg",
        text_guidance=7.5,
        image_guidance=1.5,
        step_s=0.05,
        load_s=4.0,
        multiple_of=8,
        guidance_meaning="Two CFG scales: text (how strongly to apply the instruction) and image "
        "(how closely to stay with the source; 1.0-2.0, higher keeps more).",
        fetch_hint="hf download timbrooks/instruct-pix2pix",
    ),
    "sd": FamilySpec(
        family="sd",
        default_id="stable-diffusion-v1-5/stable-diffusion-v1-5",
        pipeline="StableDiffusionImg2ImgPipeline",
        modes=("sdedit",),
        native_resolution=512,
        vram_gb=3.5,
        offload_vram_gb=2.5,
        steps=30,
        guidance_kind="cfg",
        text_guidance=7.5,
        image_guidance=None,
        step_s=0.035,
        load_s=4.0,
        multiple_of=8,
        guidance_meaning="Classifier-free guidance on the new prompt; the strength (t/T) decides "
        "how much of the source survives.",
        fetch_hint="hf download stable-diffusion-v1-5/stable-diffusion-v1-5",
    ),
    "sdxl": FamilySpec(
        family="sdxl",
        default_id="stabilityai/stable-diffusion-xl-base-1.0",
        pipeline="StableDiffusionXLImg2ImgPipeline",
        modes=("sdedit",),
        native_resolution=1024,
        vram_gb=10.0,
        offload_vram_gb=6.0,
        steps=30,
        guidance_kind="cfg",
        text_guidance=7.0,
        image_guidance=None,
        step_s=0.11,
        load_s=9.0,
        multiple_of=8,
        guidance_meaning="Classifier-free guidance on the new prompt; the strength (t/T) decides "
        "how much of the source survives.",
        fetch_hint="hf download stabilityai/stable-diffusion-xl-base-1.0",
    ),
    "ddpm": FamilySpec(
        family="ddpm",
        default_id="google/ddpm-ema-celebahq-256",
        pipeline="RePaintPipeline",
        modes=("repaint",),
        native_resolution=256,
        vram_gb=1.5,
        offload_vram_gb=1.5,
        steps=250,
        guidance_kind="cfg",
        text_guidance=0.0,
        image_guidance=None,
        step_s=0.02,
        load_s=2.0,
        multiple_of=8,
        guidance_meaning="Unconditional model: no text guidance; RePaint resamples (jump back and "
        "re-denoise) instead.",
        fetch_hint="hf download google/ddpm-ema-celebahq-256",
    ),
    "flux2-klein": FamilySpec(
        family="flux2-klein",
        default_id="black-forest-labs/FLUX.2-klein-4B",
        pipeline="Flux2KleinPipeline",
        modes=("instruct", "inpaint", "outpaint"),
        mode_pipelines=(
            ("inpaint", "Flux2KleinInpaintPipeline"),
            ("outpaint", "Flux2KleinInpaintPipeline"),
        ),
        native_resolution=1024,
        vram_gb=13.0,
        offload_vram_gb=9.0,
        steps=4,
        min_steps=4,
        guidance_kind="distilled",
        text_guidance=1.0,
        image_guidance=None,
        step_s=0.25,
        load_s=12.0,
        multiple_of=16,
        guidance_meaning="Step-distilled (4 steps): the guidance scale is ignored, there is no "
        "negative prompt and no second batch; the source enters as reference tokens.",
        fetch_hint="hf download black-forest-labs/FLUX.2-klein-4B",
        prompt_tokens=512,
        published="4B parameters, 4 steps, sub-second claimed (Black Forest Labs, FLUX.2 [klein] "
        "model card); the 9B variant is non-commercial",
    ),
    "qwen-image-edit": FamilySpec(
        family="qwen-image-edit",
        default_id="Qwen/Qwen-Image-Edit-2509",
        pipeline="QwenImageEditPlusPipeline",
        modes=("instruct", "inpaint"),
        mode_pipelines=(("inpaint", "QwenImageEditInpaintPipeline"),),
        native_resolution=1024,
        vram_gb=58.0,
        offload_vram_gb=42.0,
        steps=40,
        guidance_kind="cfg",
        text_guidance=4.0,
        image_guidance=None,
        step_s=3.3,
        load_s=60.0,
        multiple_of=16,
        guidance_meaning="True classifier-free guidance (true_cfg_scale about 4) against a "
        "negative prompt: two transformer passes per step; the source images are tokens.",
        fetch_hint="hf download Qwen/Qwen-Image-Edit-2509",
        prompt_tokens=1024,
        published="20B MMDiT; GEdit-Bench-EN overall 7.56 (Qwen-Image technical report, "
        "arXiv:2508.02324); 4-8 steps with the Qwen-Image-Lightning LoRA",
    ),
    "longcat-image-edit": FamilySpec(
        family="longcat-image-edit",
        default_id="meituan-longcat/LongCat-Image-Edit",
        pipeline="LongCatImageEditPipeline",
        modes=("instruct",),
        native_resolution=1024,
        vram_gb=29.0,
        offload_vram_gb=17.0,
        steps=50,
        guidance_kind="cfg",
        text_guidance=4.5,
        image_guidance=None,
        step_s=1.2,
        load_s=30.0,
        multiple_of=16,
        guidance_meaning="Classifier-free guidance (about 4.5) against a negative prompt: two "
        "transformer passes per step; the source enters as reference tokens.",
        fetch_hint="hf download meituan-longcat/LongCat-Image-Edit",
        prompt_tokens=512,
        published="6B; GEdit-Bench-EN overall 7.64 (Meituan, LongCat-Image-Edit model card and "
        "technical report); the Turbo variant runs 8 steps",
    ),
    **families.FAMILIES,
}


def fetch_text(family: Family, model_id: str) -> str:
    """How to put ``model_id`` (a ``family`` model) on this machine: the command in backticks,
    then any note (a gated repository's licence step)."""
    spec = REGISTRY[family]
    if model_id != spec.default_id:
        return f"`hf download {model_id}`"
    command, _, note = spec.fetch_hint.partition(" (")
    return f"`{command}`" + (f" ({note}" if note else "")


# The licence of each family's default weights (``licence: open`` keeps only commercial ones).
LICENCES: dict[Family, Licence] = {
    "sd-inpaint": Licence("CreativeML-OpenRAIL-M", True),
    "sdxl-inpaint": Licence("CreativeML Open RAIL++-M", True),
    "flux-fill": Licence("FLUX.1 [dev] Non-Commercial License", False),
    "flux-kontext": Licence("FLUX.1 [dev] Non-Commercial License", False),
    "instruct-pix2pix": Licence("MIT", True),
    "sd": Licence("CreativeML-OpenRAIL-M", True),
    "sdxl": Licence("CreativeML Open RAIL++-M", True),
    "ddpm": Licence("Apache-2.0", True),
    "flux2-klein": Licence("Apache-2.0", True),
    "qwen-image-edit": Licence("Apache-2.0", True),
    "longcat-image-edit": Licence("Apache-2.0", True),
    **families.LICENCES,
}


# Model id -> variant; the executor runs a variant's steps when it is what is on disk.
VARIANTS: dict[str, Variant] = {
    "black-forest-labs/FLUX.2-klein-9B": Variant(
        "flux2-klein", Licence("FLUX Non-Commercial License", False), 4, 1.0
    ),
    "black-forest-labs/FLUX.2-klein-base-4B": Variant(
        "flux2-klein", Licence("Apache-2.0", True), 50, 4.0
    ),
    "Qwen/Qwen-Image-Edit-2511": Variant("qwen-image-edit", Licence("Apache-2.0", True), 40, 4.0),
    "meituan-longcat/LongCat-Image-Edit-Turbo": Variant(
        "longcat-image-edit", Licence("Apache-2.0", True), 8, 1.0
    ),
    **families.VARIANTS,
}


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


# The scheduler Qwen-Image-Lightning was distilled with ("we use shift=3 in distillation"): the
# exponential dynamic shift pinned at log 3, no terminal shift (ModelTC/Qwen-Image-Lightning,
# generate_with_diffusers.py, which its README runs for Qwen-Image-Edit and Edit-2509).
# fmt: off
LIGHTNING_SCHEDULER: dict[str, float | int | bool | str | None] = {
    "base_image_seq_len": 256, "base_shift": math.log(3), "invert_sigmas": False,
    "max_image_seq_len": 8192, "max_shift": math.log(3), "num_train_timesteps": 1000,
    "shift": 1.0, "shift_terminal": None, "stochastic_sampling": False,
    "time_shift_type": "exponential", "use_beta_sigmas": False, "use_dynamic_shifting": True,
    "use_exponential_sigmas": False, "use_karras_sigmas": False,
}
_README = "ModelTC/Qwen-Image-Lightning README: 8 or 4 steps at cfg 1.0, Apache-2.0"
_2511 = "lightx2v/Qwen-Image-Edit-2511-Lightning card; its scheduler config is not verified"


def _lightning(base: str, where: str, steps: int, source: str = _README) -> Lora:
    return Lora("qwen-image-edit", base, where, steps, 1.0, LIGHTNING_SCHEDULER,
                Licence("Apache-2.0", True), source)


# File name suffixes of the published precisions, most precise first (the order a choice is made in).
LORA_SUFFIXES = ("-fp32", "", "-bf16")
# LoRA file name less its suffix and ".safetensors" -> what it is; with several for the model on
# disk, the one with the most steps runs.
LORAS: dict[str, Lora] = {
    "Qwen-Image-Edit-2511-Lightning-8steps-V1.0": _lightning(
        "Qwen/Qwen-Image-Edit-2511", "lightx2v/Qwen-Image-Edit-2511-Lightning", 8, _2511),
    "Qwen-Image-Edit-2511-Lightning-4steps-V1.0": _lightning(
        "Qwen/Qwen-Image-Edit-2511", "lightx2v/Qwen-Image-Edit-2511-Lightning", 4, _2511),
    "Qwen-Image-Edit-2509-Lightning-8steps-V1.0": _lightning(
        "Qwen/Qwen-Image-Edit-2509", "lightx2v/Qwen-Image-Lightning/Qwen-Image-Edit-2509", 8),
    "Qwen-Image-Edit-2509-Lightning-4steps-V1.0": _lightning(
        "Qwen/Qwen-Image-Edit-2509", "lightx2v/Qwen-Image-Lightning/Qwen-Image-Edit-2509", 4),
    "Qwen-Image-Edit-Lightning-8steps-V1.0": _lightning(
        "Qwen/Qwen-Image-Edit", "lightx2v/Qwen-Image-Lightning", 8),
    "Qwen-Image-Edit-Lightning-4steps-V1.0": _lightning(
        "Qwen/Qwen-Image-Edit", "lightx2v/Qwen-Image-Lightning", 4),
}
# fmt: on

CONTROLNETS = {
    ("openpose", "sd-inpaint"): "lllyasviel/control_v11p_sd15_openpose",
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

INPAINT_FAMILIES: tuple[Family, ...] = ("sd-inpaint", "sdxl-inpaint", "flux-fill", "flux2-klein")
