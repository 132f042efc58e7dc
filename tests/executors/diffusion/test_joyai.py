"""JoyAI-Image-Edit through ``run_plan`` (issue 30): a tiny random JoyImageEditPipeline from
``tests/executors/tiny_new_families.py``, saved once and loaded back through retouch's loading path
with ``local_files_only=True`` while sockets refuse to connect. The pipeline always works at a
~1024 x 1024 bucket, so retouch sends the tile at exactly that bucket: the raw output equals a
direct diffusers call on the same resized source with the same seed, and the result comes back at
the exact source size. Each call takes seconds even with tiny weights (1 step)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
from PIL import Image
from retouch.executors.diffusion import loading
from retouch.executors.diffusion.joyai import joyai_size
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

pytestmark = pytest.mark.slow
LANCZOS = Image.Resampling.LANCZOS


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return tiny.build_tiny_joyai_edit(tmp_path_factory.mktemp("joyai") / "joyai-image-edit")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


def test_joyai_size_is_the_pipelines_bucket() -> None:
    from diffusers.pipelines.joyimage.image_processor import find_best_bucket

    for w, h in [(64, 64), (96, 64), (64, 96), (1920, 1080), (451, 300)]:
        bh, bw = find_best_bucket(h, w, 1024)
        assert joyai_size((w, h)) == (bw, bh) and bw % 16 == 0 and bh % 16 == 0
    assert joyai_size((96, 64)) != joyai_size((64, 96))


def test_joyai_move_raw_equals_direct_call_and_maps_back(tmp_path: Path, folder: Path) -> None:
    assert loading.detect_family(folder) == "joyai-image-edit"
    source = photo(96).resize((96, 64), LANCZOS)
    plan = tiny_plan(
        tmp_path, "move the cup to the left", image=source, hardware="gpu-80gb", steps=1
    )
    assert plan.model.family == "joyai-image-edit" and plan.mode == "instruct"
    steps: list[tuple[int, int]] = []
    out = run_with(plan, folder, progress=lambda i, n: steps.append((i, n)))
    bucket = joyai_size(source.size)
    torch.manual_seed(plan.seed)  # as diffusers' example: the source latent is sampled globally
    direct = direct_call(
        "JoyImageEditPipeline",
        folder,
        seed=plan.seed,
        prompt=plan.prompt.positive,
        negative_prompt=plan.prompt.negative or "",
        image=source.resize(bucket, LANCZOS),
        height=bucket[1],
        width=bucket[0],
        num_inference_steps=1,
        guidance_scale=plan.guidance.text,
        max_sequence_length=4096,
    )
    assert direct.size == bucket and same_image(out.raw, direct)
    assert same_image(out.image, direct.resize(source.size, LANCZOS))  # exact source size
    assert steps == [(1, 1)]
    p = out.provenance
    assert (p.family, p.pipeline, p.guidance_text) == (
        "joyai-image-edit",
        "JoyImageEditPipeline",
        4.0,
    )


def test_joyai_repeats_with_its_seed_and_leaves_the_global_rng(
    tmp_path: Path, folder: Path
) -> None:
    plan = tiny_plan(tmp_path, "view from above", hardware="gpu-80gb", steps=1)
    torch.manual_seed(123)
    a = run_with(plan, folder)
    after_a = torch.rand(1)
    torch.manual_seed(321)
    b = run_with(plan, folder)
    assert same_image(a.raw, b.raw)
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), after_a)  # the run did not consume the caller's state


def test_joyai_cancel(tmp_path: Path, folder: Path) -> None:
    plan = tiny_plan(tmp_path, "rotate the chair", hardware="gpu-80gb", steps=1)
    stop = threading.Event()
    with pytest.raises(ExecutorError, match="cancel"):
        run_with(plan, folder, progress=lambda i, n: stop.set(), cancel=stop)
