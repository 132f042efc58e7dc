"""FLUX.2 klein through ``run_plan`` (issue 17): tiny random pipelines from
``tests/executors/tiny_edit_families.py``, saved once, loaded back through retouch's loading path
with ``local_files_only=True`` while sockets refuse to connect. The raw output must equal a direct
diffusers call with the same inputs and seed; outside the edit region the result is the source,
byte for byte, on the full-frame and the crop-and-stitch paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.diffusion import loading
from retouch.planner.contract.errors import ExecutorError
from retouch.planner.contract.schema import EditPlan

from tests.executors import tiny_edit_families as tiny
from tests.executors.exec_support import (
    box_mask,
    direct_call,
    go_offline,
    outside_equal,
    photo,
    run_with,
    same_image,
    tiny_plan,
)

SIZE = 64
BOX = (20, 18, 40, 36)
FILL = "replace the sign with a red ball"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("editors")
    return {name: build(root / name) for name, build in tiny.EDIT_BUILDERS.items()}


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here runs with sockets refusing to connect and fresh pipeline caches."""
    go_offline(monkeypatch)


def _plan(tmp: Path, edit: str, family: str, **kw: Any) -> EditPlan:
    tmp.mkdir(parents=True, exist_ok=True)
    plan = tiny_plan(tmp, edit, priority="latency", hardware="gpu-80gb", **kw)
    assert plan.model.family == family
    return plan


def test_klein_folders_are_detected_as_klein(dirs: dict[str, Path]) -> None:
    assert {loading.detect_family(p) for p in dirs.values()} == {"flux2-klein"}
    assert sum(p.numel() for p in tiny.tiny_klein_components()["transformer"].parameters()) < 1e5


def test_klein_edit_raw_equals_direct_call(tmp_path: Path, dirs: dict[str, Path]) -> None:
    plan = _plan(tmp_path, "make it sunset", "flux2-klein")
    assert plan.mode == "instruct" and plan.model.pipeline == "Flux2KleinPipeline"
    steps: list[tuple[int, int]] = []
    out = run_with(plan, dirs["flux2-klein"], progress=lambda i, n: steps.append((i, n)))
    direct = direct_call(
        "Flux2KleinPipeline",
        dirs["flux2-klein"],
        seed=plan.seed,
        prompt=plan.prompt.positive,
        image=photo(),
        height=SIZE,
        width=SIZE,
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
        max_sequence_length=512,
    )
    assert same_image(out.raw, direct)
    assert np.array_equal(np.asarray(out.image), np.asarray(direct))  # whole frame, same size
    assert steps and steps[-1][0] == steps[-1][1]  # one report per step, the last = the total
    p = out.provenance
    assert (p.family, p.pipeline, p.guidance_text) == ("flux2-klein", "Flux2KleinPipeline", 1.0)
    assert p.params["negative_prompt"] is None


def test_klein_fill_raw_equals_direct_call_and_keeps_outside(
    tmp_path: Path, dirs: dict[str, Path]
) -> None:
    mask = box_mask((SIZE, SIZE), BOX)
    plan = _plan(tmp_path, FILL, "flux2-klein", mask=mask, crop=False)
    assert plan.mode == "inpaint" and plan.model.pipeline == "Flux2KleinInpaintPipeline"
    out = run_with(plan, dirs["flux2-klein-inpaint"])
    direct = direct_call(
        "Flux2KleinInpaintPipeline",
        dirs["flux2-klein-inpaint"],
        seed=plan.seed,
        prompt=plan.prompt.positive,
        image=photo(),
        mask_image=Image.fromarray(np.where(out.edit_mask, 255, 0).astype(np.uint8)),
        height=SIZE,
        width=SIZE,
        strength=1.0,
        num_inference_steps=2,
        guidance_scale=plan.guidance.text,
        max_sequence_length=512,
    )
    assert same_image(out.raw, direct)
    assert outside_equal(out.image, photo(), out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(photo())[mask])
    assert out.provenance.pipeline == "Flux2KleinInpaintPipeline"


def test_klein_fill_crop_and_stitch_keeps_outside(tmp_path: Path, dirs: dict[str, Path]) -> None:
    image = photo(128)
    mask = box_mask((128, 128), (70, 40, 90, 62))
    plan = _plan(tmp_path, FILL, "flux2-klein", image=image, mask=mask, crop=True)
    out = run_with(plan, dirs["flux2-klein-inpaint"])
    (box,) = out.provenance.crop_boxes
    x0, y0, x1, y1 = box
    assert out.edit_mask[y0:y1, x0:x1].sum() == out.edit_mask.sum() and x1 - x0 < 128
    work = tuple(int(v) for v in str(out.provenance.params["work_sizes"]).split("x"))
    assert max(work) == SIZE and work[0] % 16 == 0 and work[1] % 16 == 0
    assert out.raw is not None and out.raw.size == work
    assert out.image.size == (128, 128) and outside_equal(out.image, image, out.edit_mask)
    assert not np.array_equal(np.asarray(out.image)[mask], np.asarray(image)[mask])


def test_klein_seed_and_cancel(tmp_path: Path, dirs: dict[str, Path]) -> None:
    import threading

    plan = _plan(tmp_path, "make it sunset", "flux2-klein")
    a, b = run_with(plan, dirs["flux2-klein"]), run_with(plan, dirs["flux2-klein"])
    c = run_with(plan.model_copy(update={"seed": 7}), dirs["flux2-klein"])
    assert same_image(a.raw, b.raw) and not same_image(a.raw, c.raw)  # type: ignore[arg-type]
    stop = threading.Event()
    with pytest.raises(ExecutorError, match="cancel"):
        run_with(plan, dirs["flux2-klein"], progress=lambda i, n: stop.set(), cancel=stop)
