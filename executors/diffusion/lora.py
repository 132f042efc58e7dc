"""Step-distillation LoRAs (Qwen-Image-Lightning): finding one on this machine, fusing it on load.

A LoRA of ``retouch.planner.catalog.registry.LORAS`` is used when its file is here, for the model it was
distilled from only (the 2509 LoRA with Qwen-Image-Edit-2509, not 2511; none with klein):

- ``$RETOUCH_LORA``: a LoRA file, or a folder holding LoRA files (the downloaded repo); it wins
  over the cache. ``RETOUCH_LORA=none`` turns LoRAs off, the cache's too;
- the local Hugging Face cache: each known file of each repo is looked up in the cache index
  (``try_to_load_from_cache``), so nothing is downloaded or listed online.

With several for the model, the one with the most steps runs (8 before 4), its most precise file
first. A model whose release cannot be told from its id or folder name (``Qwen-Image-Edit-2509``)
gets a LoRA only from ``$RETOUCH_LORA``: the cache's would be a guess.

``apply`` loads the file into the pipeline's transformer (diffusers + peft), fuses it and drops the
adapter layers, so a step costs what a base step costs, then swaps in the scheduler config the LoRA
was distilled with. Finding reads no weights and imports no torch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from retouch.planner.catalog.registry import LORA_SUFFIXES, LORAS, Lora
from retouch.planner.contract.errors import ExecutorError, InputError, ModelMissingError
from retouch.planner.contract.schema import Family

LORA_ENV = "RETOUCH_LORA"
OFF = ("none", "off", "0", "no", "false")
EXT = ".safetensors"


@dataclass(frozen=True)
class LoraRef:
    """A LoRA file found on this machine, and what it is."""

    name: str  # its LORAS key: the file name less the precision suffix and extension
    spec: Lora
    file: Path  # the .safetensors file
    source: Literal["env", "cache"]

    @property
    def id(self) -> str:
        """Where it is published: ``repo/folder/file name``."""
        return f"{self.spec.where}/{self.file.name}"


def known(file_name: str) -> tuple[str, int] | None:
    """(LORAS key, rank of its precision suffix) of a LoRA file name, or None if not a known one."""
    if not file_name.endswith(EXT):
        return None
    stem = file_name[: -len(EXT)]
    for rank, suffix in enumerate(LORA_SUFFIXES):
        name = stem[: len(stem) - len(suffix)]
        if stem.endswith(suffix) and name in LORAS:
            return name, rank
    return None


def model_names(model_id: str, path: Path) -> set[str]:
    """Lowercase names a model goes by: its id, its folder's name, and a cache folder's repo id."""
    names = {model_id.rstrip("/").lower(), Path(model_id).name.lower(), path.name.lower()}
    for part in path.parts:  # .../models--Qwen--Qwen-Image-Edit-2509/snapshots/<hash>
        if part.startswith("models--"):
            repo = part.removeprefix("models--").replace("--", "/").lower()
            names |= {repo, repo.split("/")[-1]}
    return names


def base_of(family: Family, names: set[str]) -> str | None:
    """The LORAS base model id that a model of ``family`` named ``names`` is, if any."""
    for spec in LORAS.values():
        if spec.family == family and {spec.base.lower(), spec.base.split("/")[-1].lower()} & names:
            return spec.base
    return None


def _best(refs: Iterable[tuple[LoraRef, int]]) -> LoraRef | None:
    ranked = sorted(refs, key=lambda r: (-r[0].spec.steps, r[1], r[0].file.name))
    return ranked[0][0] if ranked else None


def _from_env(value: str, family: Family, base: str | None) -> LoraRef | None:
    path = Path(value).expanduser()
    if not path.exists():
        raise InputError(f"{LORA_ENV}={value} does not exist; point it at a LoRA file or unset it")
    files = (
        [path] if path.is_file() else sorted(path.glob(f"*{EXT}")) + sorted(path.glob(f"*/*{EXT}"))
    )
    found = [(f, known(f.name)) for f in files]
    if not any(k for _, k in found):
        raise InputError(
            f"{LORA_ENV}={value} holds no LoRA retouch knows (the Lightning edit LoRAs, named "
            f"like {next(iter(LORAS))}-bf16{EXT}); point it at one, or set {LORA_ENV}=none"
        )
    return _best(
        (LoraRef(k[0], LORAS[k[0]], f, "env"), k[1])
        for f, k in found
        if k and LORAS[k[0]].family == family and base in (None, LORAS[k[0]].base)
    )


def _from_cache(family: Family, base: str) -> LoraRef | None:
    from huggingface_hub import try_to_load_from_cache

    found = []
    for name, spec in LORAS.items():
        if spec.family != family or spec.base != base:
            continue
        repo = "/".join(spec.where.split("/")[:2])
        folder = "/".join(spec.where.split("/")[2:])
        for rank, suffix in enumerate(LORA_SUFFIXES):
            file = f"{folder}/{name}{suffix}{EXT}".lstrip("/")
            hit = try_to_load_from_cache(repo, file)
            if isinstance(hit, str):
                found.append((LoraRef(name, spec, Path(hit), "cache"), rank))
    return _best(found)


def find_lora(family: Family, model_id: str, path: Path) -> LoraRef | None:
    """The LoRA to fuse into the model ``model_id`` (a ``family`` model in folder ``path``):
    ``$RETOUCH_LORA``'s, else the Hugging Face cache's; None when none fits or LoRAs are off.

    Raises InputError when ``$RETOUCH_LORA`` names nothing, or nothing retouch knows."""
    if not any(spec.family == family for spec in LORAS.values()):
        return None
    base = base_of(family, model_names(model_id, path))
    value = os.environ.get(LORA_ENV, "").strip()
    if value.lower() in OFF:
        return None
    if value:
        return _from_env(value, family, base)
    return _from_cache(family, base) if base is not None else None


def apply(pipe: Any, lora: LoraRef) -> None:
    """Fuse ``lora`` into ``pipe``'s transformer and use the scheduler it was distilled with."""
    try:
        import peft  # noqa: F401 - diffusers loads LoRAs through peft
    except ImportError as exc:
        raise ModelMissingError(
            f"the LoRA {lora.file} needs peft to load: pip install peft, or set {LORA_ENV}=none "
            "to run the base model without it"
        ) from exc
    import diffusers

    try:
        pipe.load_lora_weights(
            str(lora.file.parent), weight_name=lora.file.name, local_files_only=True
        )
        pipe.fuse_lora()
        pipe.unload_lora_weights()  # the fused weights stay; the adapter layers go
    except (OSError, ValueError, KeyError, RuntimeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExecutorError(
            f"cannot fuse the LoRA {lora.file} into {type(pipe).__name__} ({first}); it should "
            f"be {lora.id}, for {lora.spec.base}; or set {LORA_ENV}=none"
        ) from exc
    pipe.scheduler = diffusers.FlowMatchEulerDiscreteScheduler.from_config(
        pipe.scheduler.config, **lora.spec.scheduler
    )
