"""Qwen-Image 2.1 through ``run_plan`` (issue 30): a tiny random QwenImage21Pipeline from
``tests/executors/tiny_new_families.py``, saved and loaded back through retouch's loading path with
``local_files_only=True`` while sockets refuse to connect. The raw output equals a direct diffusers
call with the same inputs and seed; the result comes back at the exact source size."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
from PIL import Image
from retouch.executors.diffusion import loading
from retouch.executors.diffusion.qwen21 import QwenImage21Executor, qwen21_size
from retouch.planner.contract.errors import ExecutorError

from tests.executors import tiny_new_families as tiny
from tests.executors.exec_support import (
    direct_call,
    go_offline,
    photo,
    run_with,
    same_image,
    tiny_plan,
)

LANCZOS = Image.Resampling.LANCZOS


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return tiny.build_tiny_qwen21(tmp_path_factory.mktemp("qwen21") / "qwen-image-2.1")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


def test_sizes_are_the_pipelines() -> None:
    from diffusers.pipelines.qwenimage21.pipeline_qwenimage21 import calculate_dimensions

    for size in [(64, 64), (96, 64), (451, 300), (1920, 1080)]:
        for native in (64, 1024):
            w, h, _ = calculate_dimensions(native * native, size[0] / size[1])
            assert qwen21_size(size, native) == (w, h)
            tile = qwen21_size(size, native)
            side = QwenImage21Executor.output_side(tile)
            assert calculate_dimensions(side * side, tile[0] / tile[1])[:2] == tile


def test_qwen21_edit_raw_equals_direct_call_and_maps_back(tmp_path: Path, folder: Path) -> None:
    assert loading.detect_family(folder) == "qwen-image-2.1"
    source = photo(96).resize((96, 64), LANCZOS)
    plan = tiny_plan(
        tmp_path, "make it sunset", image=source, families=["qwen-image-2.1"], priority="quality"
    )
    assert plan.model.family == "qwen-image-2.1" and plan.mode == "instruct"
    assert (plan.model.licence, plan.model.commercial_use) == (
        "Qwen Research License (non-commercial)",
        False,
    )
    steps: list[tuple[int, int]] = []
    out = run_with(plan, folder, progress=lambda i, n: steps.append((i, n)))
    w, h = qwen21_size(source.size, 64)
    direct = direct_call(
        "QwenImage21Pipeline",
        folder,
        seed=plan.seed,
        prompt=plan.prompt.positive,
        image=source.resize((w, h), LANCZOS),
        height=h,
        width=w,
        num_inference_steps=2,
        true_cfg_scale=plan.guidance.text,
        output_resolution=QwenImage21Executor.output_side((w, h)),
    )
    assert direct.mode == "RGBA"  # a four-channel VAE; retouch drops the alpha
    rgb = direct.convert("RGB")
    assert direct.size == (w, h) and same_image(out.raw, rgb)
    assert same_image(out.image, rgb.resize(source.size, LANCZOS))  # exact source size
    assert steps and steps[-1] == (2, 2)
    assert out.provenance.pipeline == "QwenImage21Pipeline"


def test_qwen21_open_licence_refuses_and_cancel_stops(tmp_path: Path, folder: Path) -> None:
    from retouch.planner.contract.errors import PlanError

    with pytest.raises(PlanError, match="Qwen Research License"):
        tiny_plan(
            tmp_path, "make it sunset", families=["qwen-image-2.1"], priority="quality",
            licence="open",
        )  # fmt: skip
    plan = tiny_plan(tmp_path, "make it sunset", families=["qwen-image-2.1"], priority="quality")
    stop = threading.Event()
    with pytest.raises(ExecutorError, match="cancel"):
        run_with(plan, folder, progress=lambda i, n: stop.set(), cancel=stop)
