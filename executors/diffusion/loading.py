"""Finding, checking and loading diffusers models: local folders and the local Hugging Face cache only.

Nothing here downloads unless asked: ``allow_download=True`` or ``RETOUCH_ALLOW_DOWNLOAD=1``. A
model that is not on disk is a ModelMissingError naming the model id and the command that fetches
it; a folder holding another family (a text-to-image UNet where an inpaint UNet is needed) is an
InputError that says what the folder holds and what the edit needs.

Loaded pipelines are kept in a small per-process cache (load once, reuse), guarded by a lock so any
one thread (the CLI's main thread, the MCP server's worker thread) can use it. Each loaded
pipeline's VAE gets retouch's encode cache (``retouch.executors.diffusion.latents``: latent reuse across edits).
A step-distillation LoRA for the model (``retouch.executors.diffusion.lora``) is fused on load and is part of
the cache key.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from retouch.executors.diffusion import latents, lora
from retouch.executors.diffusion.pipelines import (
    FAMILY_SIGNATURE,
    FILL_TRANSFORMERS,
    SD_UNET_CHANNELS,
    SDXL_UNET_CHANNELS,
    SUPPORTED_FAMILIES,
    TRANSFORMER_CLASSES,
    UNET_CLASSES,
    PipelineSpec,
    article,
    pipeline_for,
)
from retouch.planner.catalog.families import FAMILIES
from retouch.planner.catalog.modelref import looks_like_path as _looks_like_path
from retouch.planner.catalog.registry import REGISTRY, fetch_text
from retouch.planner.contract.errors import ExecutorError, InputError, ModelMissingError
from retouch.planner.contract.extras import install_line, missing_extra
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import EditPlan, Family

DOWNLOAD_ENV = "RETOUCH_ALLOW_DOWNLOAD"
CACHE_SIZE_ENV = "RETOUCH_PIPELINE_CACHE"  # how many loaded pipelines to keep (default 2)
DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
}
# Families run in bfloat16 on a GPU (their catalog entry's dtype); fp16 for the others.
BF16_FAMILIES: frozenset[Family] = frozenset(f for f, s in FAMILIES.items() if s.dtype == "bf16")


@dataclass(frozen=True)
class ModelRef:
    """A model found on this machine."""

    family: Family
    id: str  # what the user or the plan named: a Hugging Face id or a folder
    path: Path  # the folder diffusers loads from
    source: Literal["folder", "cache", "download"]


def wants_download(flag: bool) -> bool:
    """Downloading is opt-in: the flag, or RETOUCH_ALLOW_DOWNLOAD=1 in the environment."""
    return flag or os.environ.get(DOWNLOAD_ENV, "").strip().lower() in ("1", "true", "yes")


# ------------------------------------------------------------------------------------ device, dtype


def pick_device(device: str | None) -> str:
    """``device`` checked, or the best one present: cuda, then mps, then cpu."""
    import torch

    if device is None:
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    kind = device.split(":")[0]
    if kind not in ("cpu", "cuda", "mps"):
        raise InputError(f"device {device!r} is not one of cpu, cuda, cuda:N, mps")
    if kind == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"device {device} asked for, but torch sees no CUDA GPU; use the CPU",
            [hint("device", "cpu")],
        )
    if kind == "mps" and not torch.backends.mps.is_available():
        raise InputError(
            "device mps asked for, but this torch has no MPS backend; use the CPU",
            [hint("device", "cpu")],
        )
    return device


def pick_dtype(dtype: str | None, device: str, family: Family) -> str:
    """A torch dtype name: fp16 on cuda/mps (bf16 for Flux), fp32 on cpu, unless ``dtype`` says."""
    if dtype is not None:
        if dtype.lower() not in DTYPES:
            raise InputError(f"dtype {dtype!r} is not one of float32, float16, bfloat16")
        return DTYPES[dtype.lower()]
    if device == "cpu":
        return "float32"
    return "bfloat16" if family in BF16_FAMILIES else "float16"


# ------------------------------------------------------------------------------------ finding models


def local_path(model_id: str) -> Path | None:
    """The folder for ``model_id``: the folder itself, or its snapshot in the local HF cache."""
    p = Path(model_id).expanduser()
    if p.is_dir():
        return p
    if _looks_like_path(model_id):
        return None
    from huggingface_hub import constants

    # Not in the cache at all: say so without loading the hub client (0.3 s: httpx, the API);
    # snapshot_download below finds nothing either way (its folder is this one).
    if not (Path(constants.HF_HUB_CACHE) / f"models--{model_id.replace('/', '--')}").is_dir():
        return None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        return Path(snapshot_download(model_id, local_files_only=True))
    except (HFValidationError, OSError):
        return None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def detect_family(folder: Path) -> Family | None:
    """The family a diffusers model folder holds, read from its JSON files only (no weights)."""
    index = _read_json(folder / "model_index.json")
    if index is None:
        return None
    if index.get("_class_name") in TRANSFORMER_CLASSES:
        return TRANSFORMER_CLASSES[index["_class_name"]]
    transformer = _read_json(folder / "transformer" / "config.json") or {}
    if transformer.get("_class_name") in FILL_TRANSFORMERS:
        # a fill transformer also takes the masked image and the folded mask: in > out channels
        fill = transformer.get("in_channels", 0) > transformer.get("out_channels", 0) > 0
        return FILL_TRANSFORMERS[transformer["_class_name"]] if fill else None
    unet = _read_json(folder / "unet" / "config.json") or {}
    if unet.get("_class_name") in UNET_CLASSES:
        return UNET_CLASSES[unet["_class_name"]]
    channels = unet.get("in_channels")
    table = SDXL_UNET_CHANNELS if "text_encoder_2" in index else SD_UNET_CHANNELS
    return table.get(channels) if isinstance(channels, int) else None


def _describe(family: Family | None) -> str:
    return (
        FAMILY_SIGNATURE.get(family, "no model retouch knows")
        if family
        else "no model retouch knows"
    )


def _needed(plan: EditPlan, cn: str | None) -> list[Family]:
    """Families that can run this plan here, the plan's own first, then its alternates, then others
    that may stand in for it (``FamilySpec.stands_in``)."""
    order = [plan.model.family, *plan.model.alternates]
    order += sorted(f for f in SUPPORTED_FAMILIES if f not in order and REGISTRY[f].stands_in)
    return [f for f in order if pipeline_for(f, plan.mode, cn) is not None]  # type: ignore[arg-type]


def _need_text(plan: EditPlan, cn: str | None) -> str:
    """What the plan's edit needs, for messages: 'an inpaint edit needs ... (e.g. <id>)'."""
    want = _needed(plan, cn)
    need = _describe(want[0]) if want else "a model this executor does not run yet"
    extra = f" with an {cn} ControlNet" if cn else ""
    example = f" (e.g. {REGISTRY[want[0]].default_id})" if want else ""
    return f"{article(plan.mode)} {plan.mode} edit{extra} needs {need}{example}"


def _check_folder(path: Path, name: str, plan: EditPlan, cn: str | None) -> Family:
    family = detect_family(path)
    held = (_read_json(path / "model_index.json") or {}).get("_class_name")
    if family is None and isinstance(held, str):
        raise InputError(
            f"model {name} holds a {held} model, which retouch does not run; "
            + _need_text(plan, cn)
        )
    if family is None:
        raise InputError(
            f"model {name} ({path}) is not a diffusers model folder (no readable model_index.json "
            "with a UNet config); give a folder saved with save_pretrained or a Hugging Face id"
        )
    if pipeline_for(family, plan.mode, cn) is None:
        raise InputError(f"model {name} holds {_describe(family)}; " + _need_text(plan, cn))
    return family


def resolve_model(plan: EditPlan, model: str | None, *, allow_download: bool) -> ModelRef:
    """Find the weights that run ``plan`` on this machine; download only when allowed.

    ``model`` (a folder or a Hugging Face id) overrides the plan's model. Without it the plan's
    model is tried, then its alternates, then any other family that can run the mode.
    """
    cn = plan.controlnet.type if plan.controlnet else None
    if model is not None:
        path = local_path(model)
        if path is None and _looks_like_path(model):
            raise InputError(
                f"model folder {model} does not exist; check the model path", [hint("model")]
            )
        if path is None and wants_download(allow_download):
            path, source = _download(model), "download"
        elif path is None:
            raise ModelMissingError(
                f"model {model} is not on this machine (not a folder, not in the Hugging Face "
                f"cache); fetch it with `hf download {model}` or allow downloads",
                [hint("allow_download")],
            )
        else:
            source = "folder" if Path(model).expanduser().is_dir() else "cache"
        return ModelRef(_check_folder(path, model, plan, cn), model, path, source)  # type: ignore[arg-type]
    candidates = _needed(plan, cn)
    for family in candidates:
        model_id = plan.model.id if family == plan.model.family else REGISTRY[family].default_id
        path = local_path(model_id)
        if path is not None:
            source = "folder" if Path(model_id).expanduser().is_dir() else "cache"
            return ModelRef(_check_folder(path, model_id, plan, cn), model_id, path, source)
    if not candidates:
        raise ModelMissingError(
            f"the diffusers executor cannot run {article(plan.mode)} {plan.mode} edit with {plan.model.family} yet "
            f"(it runs {', '.join(sorted(SUPPORTED_FAMILIES))}); give a model of one of those",
            [hint("model")],
        )
    first = candidates[0]
    first_id = plan.model.id if first == plan.model.family else REGISTRY[first].default_id
    if wants_download(allow_download):
        path = _download(first_id)
        return ModelRef(_check_folder(path, first_id, plan, cn), first_id, path, "download")
    fetch = fetch_text(first, first_id)
    planned = (
        ""
        if first == plan.model.family
        else (
            f"the planned {plan.model.family} ({plan.model.id}) is not run by this executor yet, and "
        )
    )
    raise ModelMissingError(
        f"{planned}model {first_id} ({first}) is not on this machine; fetch it with {fetch}, "
        "give a model folder, or allow downloads",
        [hint("model"), hint("allow_download")],
    )


# The ControlNet classes a folder's config.json may name: SD's, and Z-Image's Union ControlNet.
CONTROLNET_CLASSES = ("ControlNetModel", "ZImageControlNetModel")


def resolve_controlnet(model_id: str, *, allow_download: bool) -> Path:
    """The folder of a ControlNet model (a config.json naming one of ``CONTROLNET_CLASSES``), from
    disk or the HF cache."""
    path = local_path(model_id)
    if path is None and _looks_like_path(model_id):
        raise InputError(
            f"ControlNet folder {model_id} does not exist; check the plan's controlnet.id"
        )
    if path is None:
        if not wants_download(allow_download):
            raise ModelMissingError(
                f"ControlNet {model_id} is not on this machine; fetch it with `hf "
                f"download {model_id}` or allow downloads",
                [hint("allow_download")],
            )
        from huggingface_hub import snapshot_download

        path = Path(
            snapshot_download(
                model_id, allow_patterns=["config.json", "diffusion_pytorch_model.safetensors"]
            )
        )
    config = _read_json(path / "config.json") or {}
    if config.get("_class_name") not in CONTROLNET_CLASSES:
        raise InputError(
            f"{model_id} ({path}) is not a ControlNet folder (its config.json is not a "
            f"{' or '.join(CONTROLNET_CLASSES)}); give an OpenPose ControlNet such as "
            "lllyasviel/control_v11p_sd15_openpose"
        )
    return path


def _download(model_id: str) -> Path:
    from diffusers import DiffusionPipeline

    try:
        return Path(DiffusionPipeline.download(model_id))
    except Exception as exc:  # noqa: BLE001 - network and hub errors of many kinds
        raise ModelMissingError(
            f"could not download {model_id} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); fetch it with "
            f"`hf download {model_id}`"
        ) from exc


# ------------------------------------------------------------------------------------ loading


_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_LOCK = threading.Lock()


def _cache_size() -> int:
    try:
        return max(1, int(os.environ.get(CACHE_SIZE_ENV, "2")))
    except ValueError:
        return 2


def clear_cache() -> None:
    """Drop every cached pipeline and latent (frees their memory once nothing else holds them)."""
    with _LOCK:
        _CACHE.clear()
    latents.clear()


def load_pipeline(
    spec: PipelineSpec,
    ref: ModelRef,
    *,
    device: str,
    dtype: str,
    controlnet: Path | None = None,
    offload: bool = False,
    fused: lora.LoraRef | None = None,
) -> tuple[Any, bool]:
    """The diffusers pipeline for ``spec`` from ``ref`` on ``device``; loaded once per process.

    Returns (pipeline, whether it came from the cache). ``offload`` uses model CPU offload on
    cuda (fits small GPUs; slower) and is ignored elsewhere. ``fused``: a LoRA fused into the
    transformer on load (executors.diffusion.lora), part of the cache key: a pipeline with a
    fused LoRA is never reused for a run without it.
    """
    offload = offload and device.startswith("cuda")
    key = (
        spec.pipeline,
        spec.scheduler,
        str(ref.path.resolve()),
        str(controlnet.resolve()) if controlnet else None,
        device,
        dtype,
        offload,
        str(fused.file.resolve()) if fused else None,
    )
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key], True
        pipe = _load(
            spec,
            ref,
            device=device,
            dtype=dtype,
            controlnet=controlnet,
            offload=offload,
            fused=fused,
        )
        _CACHE[key] = pipe
        while len(_CACHE) > _cache_size():
            _CACHE.popitem(last=False)
        return pipe, False


def _load(
    spec: PipelineSpec,
    ref: ModelRef,
    *,
    device: str,
    dtype: str,
    controlnet: Path | None,
    offload: bool,
    fused: lora.LoraRef | None = None,
) -> Any:
    try:
        import diffusers
        import torch
    except ImportError as exc:  # the one wording of a missing extra (contract/extras.py)
        raise missing_extra(exc) or ModelMissingError(
            f"the diffusers executor needs torch and diffusers ({exc.name} is missing): "
            f"{install_line('gpu')}"
        ) from exc
    # newer diffusers name it dtype (torch_dtype is deprecated there), older ones torch_dtype
    dtype_key = (
        "dtype" if hasattr(diffusers.utils.deprecation_utils, "_resolve_dtype") else ("torch_dtype")
    )
    typed: dict[str, Any] = {dtype_key: getattr(torch, dtype), "local_files_only": True}
    kwargs = {**typed, **dict(spec.load)}
    try:
        if controlnet is not None:
            cn_class = (_read_json(controlnet / "config.json") or {}).get("_class_name")
            cn_class = cn_class if cn_class in CONTROLNET_CLASSES else "ControlNetModel"
            kwargs["controlnet"] = getattr(diffusers, cn_class).from_pretrained(controlnet, **typed)
        if spec.scheduler is not None:
            kwargs["scheduler"] = getattr(diffusers, spec.scheduler).from_pretrained(
                ref.path, subfolder="scheduler", local_files_only=True
            )
        pipe = getattr(diffusers, spec.pipeline).from_pretrained(ref.path, **kwargs)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExecutorError(
            f"cannot load {spec.pipeline} from {ref.path} ({first}); check the "
            "folder is a complete diffusers model of the right family"
        ) from exc
    if offload:
        if fused is not None:
            lora.apply(pipe, fused)  # before the offload hooks move modules around
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)
        if fused is not None:
            lora.apply(pipe, fused)  # on the device: fast on a GPU
    pipe.set_progress_bar_config(disable=True)
    vae = getattr(pipe, "vae", None)
    if vae is not None:
        latents.install(vae)
    return pipe
