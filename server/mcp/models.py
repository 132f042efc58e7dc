"""``list_models``: what is installed locally, the device, and what each model family needs.

Finds weights the way the executors load them (executors/diffusion/loading.py: a model folder, or its snapshot
in the local Hugging Face cache, checked from JSON files only). Imports no torch unless asked to
probe the device (``probe_device``) or torch is already loaded, and then only on the GPU worker.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import anyio.to_thread
from mcp.server.mcpserver import Context
from retouch.executors.hardware import detect_device, device_from_torch
from retouch.executors.segment.checkpoints import CHECKPOINT_ENV as SAM_ENV  # light: JSON only
from retouch.planner.catalog.registry import LICENCES, REGISTRY, SAM3_HINT
from retouch.planner.contract.errors import InputError
from retouch.server.mcp.config import ServerConfig, Stopwatch
from retouch.server.mcp.schemas import (
    DeviceInfo,
    FamilyInfo,
    ListModelsInput,
    ListModelsOutput,
    SamInfo,
)
from retouch.server.mcp.toolkit import Hints, ToolSpec, feature

MODEL_DIRS_ENV = "RETOUCH_MODEL_DIRS"  # extra model folders, os.pathsep-separated


def local_families(dirs: list[Path]) -> dict[str, Path]:
    """family -> the first model folder (a given dir or one of its children) that holds it."""
    loading = feature("retouch.executors.diffusion.loading", "list_models")
    found: dict[str, Path] = {}
    for d in dirs:
        for candidate in [d, *sorted(p for p in d.iterdir() if p.is_dir())] if d.is_dir() else []:
            family = loading.detect_family(candidate)
            if family is not None:
                found.setdefault(family, candidate)
    return found


# Segment Anything models looked for in the local Hugging Face cache (never downloaded): SAM 2.1
# here, SAM 3 and SAM 3 LiteText from executors/segment/checkpoints.py (SAM3_IDS).
SAM2_HUB_IDS = ("facebook/sam2.1-hiera-tiny", "facebook/sam2.1-hiera-small",
                "facebook/sam2.1-hiera-base-plus", "facebook/sam2.1-hiera-large")  # fmt: skip


def sam_checkpoints(dirs: list[Path]) -> list[SamInfo]:
    """SAM 1 .pth files and SAM 2.1 / SAM 3 / SAM 3 LiteText folders: $RETOUCH_SAM_CHECKPOINT, the
    given folders (and their children), and the Hugging Face cache; told apart by their files (JSON
    only)."""
    ckpt = feature("retouch.executors.segment.checkpoints", "list_models")
    env = os.environ.get(SAM_ENV)
    found = [p for p in [ckpt.resolve(env) if env else None] if p is not None]
    for d in dirs:
        if d.is_dir():
            found += sorted(d.glob("sam_vit_*.pth")) + [d]
            found += sorted(p for p in d.iterdir() if p.is_dir())
    found += [p for p in map(ckpt.resolve, (*ckpt.SAM3_IDS, *SAM2_HUB_IDS)) if p is not None]
    out = []
    for f in dict.fromkeys(found):
        kind = ckpt.kind_of(f)
        if kind == "sam1":
            sam_type = next((t for t in ("vit_b", "vit_l", "vit_h") if t in f.name), None)
            out.append(SamInfo(path=str(f), sam_type=sam_type))
        elif kind is not None:  # sam3 | sam3-litetext (by model_type) | sam2.1
            name = (ckpt.variant_of(f) or "sam3") if kind == "sam3" else "sam2.1"
            out.append(
                SamInfo(path=str(f), sam_type=name, prompts="words" if kind == "sam3" else "clicks")
            )
    return out


def text_masks(found: list[SamInfo], hardware: str = "cpu") -> str:
    """One sentence: which words model make_mask's text uses and why (SAM 3 or SAM 3 LiteText,
    chosen by checkpoints.prefer for ``hardware``, as a run chooses), the other kinds found, or how
    to get one. $RETOUCH_SAM_CHECKPOINT naming a words folder is used as is, as in a run."""
    ckpt = feature("retouch.executors.segment.checkpoints", "list_models")
    words = [Path(s.path) for s in found if s.prompts == "words"]
    env = os.environ.get(SAM_ENV)
    named = ckpt.resolve(env) if env else None
    if named is not None and named in words:
        choice = ckpt.Sam3Choice(named, ckpt.variant_of(named) or "sam3", f"{SAM_ENV} names it")
    else:
        choice = ckpt.prefer(words, hardware)
    if choice is None:
        return f"make_mask cannot take words here: {SAM3_HINT}. {ckpt.LITETEXT_HINT}"
    kinds = sorted({ckpt.VARIANT_NAMES[v] for p in words if (v := ckpt.variant_of(p))})
    return (
        f"make_mask takes words (text) with {choice.name} at {choice.path} ({choice.reason}; "
        f"words models found: {', '.join(kinds)})"
    )


def _torch_device(cancel: threading.Event, progress: object) -> DeviceInfo:
    """list_models' probe, on the GPU worker: the device as torch sees it."""
    return DeviceInfo(**device_from_torch().model_dump())


def _light_device() -> DeviceInfo:
    """The device as the driver or the platform tells it (no torch import)."""
    return DeviceInfo(**detect_device().model_dump())


def _loras(family: str, model_id: str, where: Path | None) -> list[str]:
    """The LoRA a run of the local ``model_id`` would fuse (published id), or why none loads."""
    if where is None:
        return []
    from retouch.executors.diffusion.lora import find_lora

    try:
        found = find_lora(family, model_id, Path(where))  # type: ignore[arg-type]
    except InputError as exc:  # a $RETOUCH_LORA naming nothing usable: say so, list the rest
        return [f"none: {exc}"]
    return [found.id] if found is not None else []


async def list_models(cfg: ServerConfig, args: ListModelsInput) -> ListModelsOutput:
    sw = Stopwatch("list_models")
    dirs = [cfg.roots.resolve_input_dir(d, "dirs entry") for d in args.dirs]
    dirs += [Path(d) for d in os.environ.get(MODEL_DIRS_ENV, "").split(os.pathsep) if d]
    if args.probe_device or "torch" in sys.modules:
        device = await cfg.worker.run(_torch_device)
    else:
        device = await anyio.to_thread.run_sync(_light_device)
    from huggingface_hub import constants

    loading = feature("retouch.executors.diffusion.loading", "list_models")
    local = await anyio.to_thread.run_sync(local_families, dirs)
    families = []
    for spec in REGISTRY.values():
        where = local.get(spec.family) or await anyio.to_thread.run_sync(
            loading.local_path, spec.default_id
        )
        families.append(
            FamilyInfo(
                family=spec.family,
                default_id=spec.default_id,
                pipeline=spec.pipeline,
                modes=list(spec.modes),
                vram_gb=spec.vram_gb,
                offload_vram_gb=spec.offload_vram_gb,
                installed=where is not None,
                local_path=str(where) if where else None,
                fetch_hint=spec.fetch_hint,
                licence=LICENCES[spec.family].name,
                commercial_use=LICENCES[spec.family].commercial_use,
                # a folder from dirs runs as --model FOLDER: its own name tells its release
                loras=_loras(
                    spec.family, str(where) if spec.family in local else spec.default_id, where
                ),
            )
        )
    segmenters = await anyio.to_thread.run_sync(sam_checkpoints, dirs)
    return ListModelsOutput(
        device=device,
        hf_cache=str(constants.HF_HUB_CACHE),
        families=families,
        sam_checkpoints=segmenters,
        text_masks=text_masks(segmenters, device.hardware),
        classical="OpenCV fill for removal and canvas extension; no weights",
        provenance=sw.provenance(),
    )


async def _list_models_tool(
    cfg: ServerConfig, args: ListModelsInput, ctx: Context
) -> ListModelsOutput:
    return await list_models(cfg, args)


LIST_MODELS = ToolSpec(
    "list_models",
    "List local models",
    "What this machine can run: the device and its hardware class, each model family's "
    "memory needs and local weights, and the Segment Anything models. Downloads nothing.",
    ListModelsInput,
    ListModelsOutput,
    _list_models_tool,
    Hints(read_only=True, idempotent=True),
)
