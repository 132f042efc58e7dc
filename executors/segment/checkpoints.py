"""Which Segment Anything a checkpoint is, told apart by its files, and where SAM 3 is found.

    kind_of(path)        "sam1" (a .pth state dict) | "sam2" | "sam3" (a transformers folder, by the
                         model_type in its config.json) | None (not a Segment Anything checkpoint)
    variant_of(path)     of a words model: "sam3" (Sam3Model) | "sam3-litetext" (Sam3LiteTextModel)
    resolve(name)        a local path, or a Hugging Face id's snapshot in the local cache
    prefer(found, hw)    the one rule between SAM 3 and SAM 3 LiteText, with its reason
    pick_sam3(given, hw) the words model a text prompt uses (Sam3Choice), or ModelMissingError
    find_sam3(given)     its folder

SAM 3 LiteText (transformers ``Sam3LiteTextModel``, model_type ``sam3_lite_text``) is SAM 3 with a
MobileCLIP text encoder of 42-124M parameters instead of 353M; same vision encoder, detector,
processor and masks. Which one runs when both are found: ``prefer`` (the module docstring of
``memory_is_short`` gives the threshold and the numbers it comes from).

Reads JSON only (no weights, no torch); downloads nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from retouch.planner.catalog.registry import HARDWARE, SAM3_HINT, SAM3_HINTS, SAM3_ID
from retouch.planner.contract.errors import InputError, ModelMissingError

Kind = Literal["sam1", "sam2", "sam3"]
Variant = Literal["sam3", "sam3-litetext"]
CHECKPOINT_ENV = "RETOUCH_SAM_CHECKPOINT"
# config.json model_type -> kind; the video configs hold the image model too. SAM 3 LiteText is a
# words model like SAM 3 (kind "sam3"); its variant tells the loader which class reads it.
MODEL_TYPES: dict[str, Kind] = {
    "sam3": "sam3",
    "sam3_video": "sam3",
    "sam3_lite_text": "sam3",
    "sam2": "sam2",
    "sam2_video": "sam2",
}
VARIANTS: dict[str, Variant] = {
    "sam3": "sam3",
    "sam3_video": "sam3",
    "sam3_lite_text": "sam3-litetext",
}
VARIANT_NAMES: dict[Variant, str] = {"sam3": "SAM 3", "sam3-litetext": "SAM 3 LiteText"}
# The transformers conversions of SAM 3 LiteText (the model doc of transformers' sam3_lite_text
# uses the first): MobileCLIP-S0 / -S1 / MobileCLIP2-L text encoders, smallest first.
LITETEXT_IDS = (
    "yonigozlan/sam3-litetext-s0",
    "yonigozlan/sam3-litetext-s1",
    "yonigozlan/sam3-litetext-l",
)
SAM3_IDS = (SAM3_ID, *LITETEXT_IDS)  # looked for in the local Hugging Face cache, in this order
LITETEXT_HINT = (
    f"SAM 3 LiteText (`hf download {LITETEXT_IDS[0]}`, 529M parameters, SAM License) reads words "
    "too, with less memory"
)
MISSING_HINT = f"{SAM3_HINT[0].upper()}{SAM3_HINT[1:]}. {LITETEXT_HINT}"

# Parameters of the real-size image models (transformers 5.25 on the meta device; asserted in
# tests/bench/test_real_size.py): SAM 3 840.4M, of which the text encoder is 353.5M; LiteText S0
# 529.2M (text 42.4M), S1 550.2M (63.4M), L 610.5M (123.7M). The rest (vision encoder, DETR,
# mask head) is the same 486.7M in all four.
SAM3_PARAMS = 840_376_374
LITETEXT_S0_PARAMS = 529_224_246
GPU_BYTES = 2  # bf16 on CUDA (sam3.load_sam3)
SHORT_SHARE = 0.10  # memory is short when SAM 3's weights would take more than this of the GPU
PTH_SUFFIXES = (".pth", ".pt")


def resolve(name: str | os.PathLike[str]) -> Path | None:
    """A file or folder on disk, or a Hugging Face id's snapshot in the local cache; else None."""
    p = Path(name).expanduser()
    if p.exists():
        return p
    text = str(name)
    if text.count("/") != 1 or text.startswith((".", "/", "~")):
        return None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        return Path(snapshot_download(text, local_files_only=True))
    except (HFValidationError, OSError, ValueError):
        return None


def model_type(folder: Path) -> str | None:
    """``model_type`` from a transformers folder's config.json, or None."""
    try:
        data = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("model_type") if isinstance(data, dict) else None


def kind_of(path: Path) -> Kind | None:
    """What ``path`` holds, from its name and JSON files only; None if no Segment Anything."""
    if path.is_file():
        return "sam1" if path.suffix.lower() in PTH_SUFFIXES else None
    return MODEL_TYPES.get(model_type(path) or "") if path.is_dir() else None


def variant_of(path: Path) -> Variant | None:
    """ "sam3" or "sam3-litetext" for a words model's folder (its config's model_type); else None."""
    return VARIANTS.get(model_type(path) or "") if path.is_dir() else None


def _text_size(folder: Path) -> tuple[int, int]:
    """(hidden_size, num_hidden_layers) of a LiteText folder's text encoder, to order them by size;
    transformers' defaults (512, 12) where the config does not say."""
    try:
        text = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("text_config")
    except (OSError, ValueError, AttributeError):
        text = None
    text = text if isinstance(text, dict) else {}
    return int(text.get("hidden_size", 512)), int(text.get("num_hidden_layers", 12))


def memory_is_short(hardware: str) -> bool:
    """True on the CPU, and on a GPU class where SAM 3's bf16 weights (840.4M x 2 bytes = 1.68 GB)
    take more than ``SHORT_SHARE`` (10%) of its memory: gpu-8gb (21%), gpu-12gb (14%) and
    gpu-16gb (10.5%); not from gpu-24gb (7%) up. SAM 3 stays loaded next to the diffusion model
    there (executors/segment/sam3.py keeps one), and LiteText S0 holds 0.62 GB less on a GPU (1.24
    GB less in the CPU's fp32) for the same vision encoder and masks. An unknown class is short."""
    spec = HARDWARE.get(hardware)  # type: ignore[call-overload]
    if hardware == "cpu" or spec is None:
        return True
    return SAM3_PARAMS * GPU_BYTES / 1e9 > SHORT_SHARE * spec.vram_gb


@dataclass(frozen=True)
class Sam3Choice:
    """The words model that runs: its folder, variant and why it was chosen over the others."""

    path: Path
    variant: Variant
    reason: str

    @property
    def name(self) -> str:
        return VARIANT_NAMES[self.variant]


def memory_words(hardware: str) -> str:
    """ "memory is short on gpu-8gb (SAM 3 would take 21% of it)" and the like."""
    spec = HARDWARE.get(hardware)  # type: ignore[call-overload]
    share = (
        ""
        if hardware == "cpu" or spec is None
        else (f" (SAM 3 would take {SAM3_PARAMS * GPU_BYTES / 1e9 / spec.vram_gb:.0%} of it)")
    )
    return f"memory is {'short' if memory_is_short(hardware) else 'ample'} on {hardware}{share}"


def prefer(found: Iterable[Path], hardware: str) -> Sam3Choice | None:
    """The one rule between SAM 3 and SAM 3 LiteText among the words folders ``found`` (others
    are ignored); None when there is none. Memory short (``memory_is_short``): the smallest
    LiteText, else SAM 3. Otherwise SAM 3, else the largest LiteText. Ties keep ``found``'s order."""
    words = [(p, v) for p in dict.fromkeys(found) if (v := variant_of(p)) is not None]
    if not words:
        return None
    if len(words) == 1:
        path, variant = words[0]
        return Sam3Choice(path, variant, f"the only words model found ({VARIANT_NAMES[variant]})")
    short = memory_is_short(hardware)
    memory = memory_words(hardware)
    sam3 = [p for p, v in words if v == "sam3"]
    lite = sorted((p for p, v in words if v == "sam3-litetext"), key=_text_size, reverse=not short)
    if short and lite:
        why = "LiteText over SAM 3" if sam3 else "the smallest LiteText"
        return Sam3Choice(lite[0], "sam3-litetext", f"{memory}: {why}")
    if sam3:
        why = "no LiteText found" if short else "SAM 3's full text encoder"
        return Sam3Choice(sam3[0], "sam3", f"{memory}: {why}")
    return Sam3Choice(lite[0], "sam3-litetext", f"{memory}: the largest LiteText")


def check_kind(path: Path, want: tuple[Kind, ...], what: str) -> Kind:
    """The kind of ``path``, or InputError when it is not one of ``want`` (``what``: the prompt)."""
    kind = kind_of(path)
    if kind in want:
        return kind
    found = {
        None: f"not a Segment Anything checkpoint (model_type {model_type(path)!r})"
        if path.is_dir()
        else "not a Segment Anything checkpoint",
        "sam1": "a SAM 1 checkpoint",
        "sam2": "a SAM 2 folder",
        "sam3": "a SAM 3 LiteText folder"
        if variant_of(path) == "sam3-litetext"
        else "a SAM 3 folder",
    }[kind]
    needs = " or ".join({"sam1": "a SAM 1 .pth", "sam2": "a SAM 2.1 folder",
                         "sam3": "a SAM 3 folder"}[k] for k in want)  # fmt: skip
    raise InputError(f"{path} is {found}; {what} need {needs}")


def candidates() -> list[Path]:
    """Words folders found without being given: $RETOUCH_SAM_CHECKPOINT when it is one, then SAM 3
    and SAM 3 LiteText in the local Hugging Face cache."""
    env = os.environ.get(CHECKPOINT_ENV)
    named = [resolve(env)] if env else []
    found = [p for p in [*named, *map(resolve, SAM3_IDS)] if p is not None]
    return [p for p in dict.fromkeys(found) if kind_of(p) == "sam3"]


def pick_sam3(given: str | None, hardware: str | None = None) -> Sam3Choice:
    """The words model for a text prompt: ``given`` (SAM 3 or LiteText, used as is), else
    $RETOUCH_SAM_CHECKPOINT when it is a words folder (the user's choice), else the one ``prefer``
    picks from the Hugging Face cache for ``hardware`` (None: this machine's class).

    Raises InputError when ``given`` is another kind, ModelMissingError when none is anywhere.
    """
    if given:
        path = resolve(given)
        if path is None:
            raise ModelMissingError(
                f"{given} does not exist; {SAM3_HINT}. {LITETEXT_HINT}", SAM3_HINTS
            )
        check_kind(path, ("sam3",), "words")
        return Sam3Choice(path, variant_of(path) or "sam3", "given as the SAM checkpoint")
    found = candidates()
    env = os.environ.get(CHECKPOINT_ENV)
    if found and env and found[0] == resolve(env):
        return Sam3Choice(found[0], variant_of(found[0]) or "sam3", f"{CHECKPOINT_ENV} names it")
    if hardware is None and len(found) > 1:  # the machine is asked only when there is a choice
        from retouch.executors.hardware import detect_hardware

        hardware = detect_hardware()
    choice = prefer(found, hardware or "cpu")
    if choice is None:
        raise ModelMissingError(MISSING_HINT, SAM3_HINTS)
    return choice


def find_sam3(given: str | None, hardware: str | None = None) -> Path:
    """The folder ``pick_sam3`` chooses."""
    return pick_sam3(given, hardware).path
