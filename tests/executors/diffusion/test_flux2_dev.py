"""FLUX.2 dev through ``run_plan`` (issue 30): a tiny random Flux2Pipeline from
``tests/executors/tiny_new_families.py``, saved and loaded back through retouch's loading path with
``local_files_only=True`` while sockets refuse to connect. The raw output equals a direct diffusers
call with the same inputs and seed; the whole-frame edit keeps the source's exact size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from retouch.executors.diffusion import loading
from retouch.planner.contract.errors import PlanError

from tests.executors import tiny_new_families as tiny
from tests.executors.exec_support import (
    direct_call,
    go_offline,
    photo,
    run_with,
    same_image,
    tiny_plan,
)

SIZE = 64


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return tiny.build_tiny_flux2_dev(tmp_path_factory.mktemp("flux2dev") / "flux2-dev")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


def test_flux2_dev_edit_raw_equals_direct_call(tmp_path: Path, folder: Path) -> None:
    assert loading.detect_family(folder) == "flux2-dev"
    plan = tiny_plan(
        tmp_path, "make it sunset", families=["flux2-dev"], priority="quality", hardware="gpu-80gb"
    )
    assert plan.model.family == "flux2-dev" and plan.model.pipeline == "Flux2Pipeline"
    assert plan.guidance.kind == "distilled" and plan.guidance.text == 2.5
    assert plan.model.offload  # 112 GB in bf16: only with CPU offload, even on an 80 GB card
    steps: list[tuple[int, int]] = []
    out = run_with(plan, folder, progress=lambda i, n: steps.append((i, n)))
    direct = direct_call(
        "Flux2Pipeline",
        folder,
        seed=plan.seed,
        prompt=plan.prompt.positive,
        image=photo(),
        height=SIZE,
        width=SIZE,
        num_inference_steps=2,
        guidance_scale=2.5,
        max_sequence_length=512,
    )
    assert same_image(out.raw, direct)
    assert np.array_equal(np.asarray(out.image), np.asarray(direct))
    assert steps and steps[-1] == (2, 2)
    assert (out.provenance.family, out.provenance.pipeline) == ("flux2-dev", "Flux2Pipeline")


def test_flux2_dev_is_never_an_open_licence_pick(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="FLUX.2 \\[dev\\] Non-Commercial"):
        tiny_plan(
            tmp_path, "make it sunset", families=["flux2-dev"], priority="quality", licence="open"
        )
