"""Stitch weights, the exact composite, and colour matching on the border ring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from retouch.executors.images.composite import color_match, composite, ring, stitch_weights
from retouch.executors.run import run_plan

from tests.executors.exec_support import SIZE, box_mask, outside_equal, photo, tiny_dirs, tiny_plan


def test_stitch_weights_feather_inward_only() -> None:
    edit = box_mask((40, 40), (10, 10, 30, 30))
    w = stitch_weights(edit, 4)
    assert (w[~edit] == 0).all() and (w[edit] > 0).all()
    assert (w[15:25, 15:25] == 1).all()  # deeper than the feather: fully the model's
    row = w[20, 10:15]  # depth 1..5 px: 0.2 .. 1.0
    assert np.all(np.diff(row) > 0) and row[0] < 0.5  # ramps up from the edge
    assert np.array_equal(stitch_weights(edit, 0), edit.astype(np.float32))


def test_composite_is_exact_outside_and_blends_inside() -> None:
    rng = np.random.default_rng(0)
    src = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    gen = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    w = np.zeros((16, 16), dtype=np.float32)
    w[4:8, 4:8] = 1.0
    w[10, 10] = 0.5
    out = composite(src, gen, w)
    assert np.array_equal(out[w == 0], src[w == 0])
    assert np.array_equal(out[4:8, 4:8], gen[4:8, 4:8])
    half = np.rint((src[10, 10].astype(float) + gen[10, 10]) / 2)
    assert np.abs(out[10, 10] - half).max() <= 1


def test_color_match_removes_a_cast() -> None:
    src = np.asarray(photo()).copy()
    edit = box_mask((SIZE, SIZE), (20, 20, 44, 44))
    cast = np.clip(src.astype(int) + np.array([25, -15, 10]), 0, 255).astype(np.uint8)
    fixed = color_match(cast, src, edit, ring_px=6)
    band = ring(edit, 6)
    before = np.abs(cast[edit].mean(0) - src[edit].mean(0)).max()
    after = np.abs(fixed[edit].mean(0) - src[edit].mean(0)).max()
    assert before > 9 and after < before / 3
    assert np.array_equal(fixed[~edit], cast[~edit])  # only the region is corrected
    assert band.sum() > 16 and not band[edit].any()


def test_color_match_skips_without_a_ring() -> None:
    src = np.asarray(photo())
    edit = np.ones((SIZE, SIZE), dtype=bool)
    assert color_match(src, src, edit, ring_px=4) is src


def test_color_match_in_a_run_changes_only_the_region(tmp_path: Path) -> None:
    mask = box_mask((SIZE, SIZE), (20, 18, 40, 36))
    plan = tiny_plan(tmp_path, "remove the sign", mask=mask, crop=False)
    assert plan.color_match  # the planner asks for it after a diffusion fill
    model = str(tiny_dirs()["inpaint"])
    on = run_plan(plan, model=model, executor="diffusers")
    off = run_plan(
        plan.model_copy(update={"color_match": False}), model=model, executor="diffusers"
    )
    assert on.provenance.params["color_match"] is True
    assert off.provenance.params["color_match"] is False
    assert outside_equal(on.image, photo(), on.edit_mask)
    assert not np.array_equal(np.asarray(on.image), np.asarray(off.image))
    assert np.array_equal(np.asarray(on.raw), np.asarray(off.raw))  # matching is after the model
