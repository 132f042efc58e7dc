"""Shared helpers for the executor tests (not a test module).

``tiny_dirs()`` builds every tiny random model once per test process (tests/support/tiny_models.py) into
a temporary folder removed at exit; ``tiny_plan()`` plans a request on a small real photo and
shrinks the plan to test size (2 steps, crop resized to 64 px).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import skimage.data
from PIL import Image
from retouch.planner import analyze, make_plan
from retouch.planner.catalog.registry import REGISTRY
from retouch.planner.contract.schema import EditPlan, WorkSize
from retouch.planner.language import sizes
from retouch.server.requests import build_request

SIZE = 64


@functools.cache
def tiny_dirs() -> dict[str, Path]:
    """Folders of the tiny models: inpaint, img2img, pix2pix, controlnet, ddpm."""
    import torch

    from tests.support import tiny_models

    torch.set_num_threads(1)
    root = Path(tempfile.mkdtemp(prefix="retouch-tiny-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return tiny_models.build_all(root)


def photo(size: int = SIZE) -> Image.Image:
    """The astronaut photo, ``size`` x ``size`` RGB."""
    return Image.fromarray(skimage.data.astronaut()).resize((size, size), Image.Resampling.LANCZOS)


def box_mask(size: tuple[int, int], *boxes: tuple[int, int, int, int]) -> np.ndarray:
    """Bool (H, W), True inside each XYXY box. ``size`` is (W, H)."""
    m = np.zeros((size[1], size[0]), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        m[y0:y1, x0:x1] = True
    return m


def write(tmp: Path, name: str, img: Image.Image | np.ndarray) -> Path:
    p = tmp / name
    (
        img
        if isinstance(img, Image.Image)
        else Image.fromarray(np.where(img, 255, 0).astype(np.uint8))
    ).save(p)
    return p


def tiny_plan(
    tmp: Path,
    edit: str,
    *,
    image: Image.Image | None = None,
    mask: np.ndarray | None = None,
    resize_to: int = SIZE,
    crop: Any = None,
    **kw: Any,
) -> EditPlan:
    """Plan ``edit`` on ``image`` (default: the 64 px photo) with 2 steps, at test size."""
    img = image if image is not None else photo()
    img_path = write(tmp, "source.tif" if img.mode in ("CMYK", "F") else "source.png", img)
    mask_path = str(write(tmp, "mask.png", mask)) if mask is not None else None
    request = build_request(str(img_path), edit, mask=mask_path, steps=kw.pop("steps", 2), **kw)
    plan = make_plan(request, analyze(request))
    update: dict[str, Any] = {"resize_to": resize_to}
    if crop is not None:
        update["enabled"] = crop
    return plan.model_copy(
        update={
            "crop": plan.crop.model_copy(update=update),
            "work_size": small_work_size(plan, resize_to),
        }
    )


def small_work_size(plan: EditPlan, native: int) -> WorkSize | None:
    """The plan's whole-frame work size at test size: the same rule with ``native`` as the
    family's native side (a 64 px source at native 64 runs at 64 x 64)."""
    if plan.work_size is None:
        return None
    w, h = plan.facts.out_width, plan.facts.out_height
    ww, wh = sizes.work_size(w, h, native, REGISTRY[plan.model.family].multiple_of)
    return plan.work_size.model_copy(update={"width": ww, "height": wh, "scale": round(ww / w, 4)})


def outside_equal(a: Image.Image, b: Image.Image, edit: np.ndarray) -> bool:
    """Whether two images of one mode are byte-identical wherever ``edit`` is False."""
    x, y = np.asarray(a), np.asarray(b)
    return x.shape == y.shape and bool(np.array_equal(x[~edit], y[~edit]))


def go_offline(monkeypatch: Any) -> None:
    """Sockets refuse to connect, and the pipeline and latent caches start empty (for an autouse
    fixture: ``go_offline(monkeypatch)``)."""
    import socket

    from retouch.executors.diffusion import latents, loading

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    loading.clear_cache()
    latents.clear()


def direct_call(cls: str, folder: Path, *, seed: int, **kwargs: Any) -> Image.Image:
    """Output of diffusers pipeline class ``cls`` loaded from ``folder`` (local files only),
    called as a user would with a CPU generator seeded ``seed``."""
    import diffusers
    import torch

    pipe = getattr(diffusers, cls).from_pretrained(folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe(generator=torch.Generator("cpu").manual_seed(seed), **kwargs).images[0]


def same_image(a: Image.Image | None, b: Image.Image) -> bool:
    """Same size and the same pixels."""
    return a is not None and a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))


def run_with(plan: EditPlan, folder: Path, **kw: Any) -> Any:
    """run_plan with the model folder ``folder`` and the diffusers executor."""
    from retouch.executors.run import run_plan

    return run_plan(plan, model=str(folder), executor="diffusers", **kw)
