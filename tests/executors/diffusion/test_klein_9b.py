"""FLUX.2 klein 9B (issue 30): the same classes as klein 4B, so it is a variant of the flux2-klein
family found by its name, with its own licence (FLUX Non-Commercial). Weights of the 9B where the
4B was planned run and say so in ``degraded``; under ``licence: open`` they are refused before the
pipeline loads. Built from the tiny klein of ``tests/executors/tiny_edit_families.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from retouch.executors.diffusion import loading
from retouch.planner.contract.errors import InputError

from tests.executors import tiny_edit_families as tiny
from tests.executors.exec_support import go_offline, run_with, tiny_plan


@pytest.fixture(scope="module")
def nine_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return tiny.build_tiny_klein(tmp_path_factory.mktemp("klein") / "FLUX.2-klein-9B")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


def test_klein_9b_weights_run_and_name_their_licence(tmp_path: Path, nine_b: Path) -> None:
    plan = tiny_plan(tmp_path, "make it sunset", priority="latency", hardware="gpu-80gb")
    assert plan.model.family == "flux2-klein" and plan.model.licence == "Apache-2.0"
    out = run_with(plan, nine_b)
    (entry,) = [d for d in out.provenance.degraded if d.what == "model"]
    assert "FLUX.2-klein-9B (FLUX Non-Commercial License)" in entry.used
    assert "FLUX.2-klein-4B (Apache-2.0)" in entry.planned
    assert [h.setting for h in entry.hints] == ["model"]


def test_klein_9b_weights_are_refused_under_an_open_licence(
    tmp_path: Path, nine_b: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tiny_plan(
        tmp_path, "make it sunset", priority="latency", hardware="gpu-80gb", licence="open"
    )
    assert plan.model.family == "flux2-klein"
    loads: list[object] = []
    real = loading.load_pipeline
    monkeypatch.setattr(
        "retouch.executors.diffusion.runner.load_pipeline",
        lambda *a, **k: loads.append(a) or real(*a, **k),
    )
    with pytest.raises(InputError, match="does not allow commercial use"):
        run_with(plan, nine_b)
    assert loads == []  # refused before the pipeline loads


def test_klein_4b_weights_have_no_licence_entry(tmp_path: Path, nine_b: Path) -> None:
    four_b = nine_b.parent / "FLUX.2-klein-4B"
    if not four_b.exists():
        four_b.symlink_to(nine_b, target_is_directory=True)
    plan = tiny_plan(
        tmp_path, "make it sunset", priority="latency", hardware="gpu-80gb", licence="open"
    )
    out = run_with(plan, four_b)
    assert not [d for d in out.provenance.degraded if d.what == "model"]
