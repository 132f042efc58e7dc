"""Which Segment Anything a checkpoint is, told apart by its files, and where SAM 3 is found.

    kind_of(path)        "sam1" (a .pth state dict) | "sam2" | "sam3" (a transformers folder, by the
                         model_type in its config.json) | None (not a Segment Anything checkpoint)
    resolve(name)        a local path, or a Hugging Face id's snapshot in the local cache
    find_sam3(given)     the SAM 3 folder a text prompt uses, or ModelMissingError naming how to get it

Reads JSON only (no weights, no torch); downloads nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from retouch.planner.catalog.registry import SAM3_HINT, SAM3_HINTS, SAM3_ID
from retouch.planner.contract.errors import InputError, ModelMissingError

Kind = Literal["sam1", "sam2", "sam3"]
CHECKPOINT_ENV = "RETOUCH_SAM_CHECKPOINT"
# config.json model_type -> kind; the video configs hold the image model too.
MODEL_TYPES: dict[str, Kind] = {
    "sam3": "sam3",
    "sam3_video": "sam3",
    "sam2": "sam2",
    "sam2_video": "sam2",
}
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
        "sam3": "a SAM 3 folder",
    }[kind]
    needs = " or ".join({"sam1": "a SAM 1 .pth", "sam2": "a SAM 2.1 folder",
                         "sam3": "a SAM 3 folder"}[k] for k in want)  # fmt: skip
    raise InputError(f"{path} is {found}; {what} need {needs}")


def find_sam3(given: str | None) -> Path:
    """The SAM 3 folder for a text prompt: ``given``, else $RETOUCH_SAM_CHECKPOINT when it is a SAM 3
    folder, else facebook/sam3 in the local Hugging Face cache.

    Raises InputError when ``given`` is another kind, ModelMissingError when SAM 3 is nowhere.
    """
    if given:
        path = resolve(given)
        if path is None:
            raise ModelMissingError(f"{given} does not exist; {SAM3_HINT}", SAM3_HINTS)
        check_kind(path, ("sam3",), "words")
        return path
    env = os.environ.get(CHECKPOINT_ENV)
    if env and (path := resolve(env)) is not None and kind_of(path) == "sam3":
        return path
    cached = resolve(SAM3_ID)
    if cached is not None and kind_of(cached) == "sam3":
        return cached
    raise ModelMissingError(SAM3_HINT[0].upper() + SAM3_HINT[1:], SAM3_HINTS)
