"""Ranges and OS-name checks (issue 15): every number has a documented range the schema enforces,
expensive ones are capped by the image, names the OS cannot take are clean errors, result files
follow the umask, and a failed call's files are removed."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from retouch.executors.images import masks
from retouch.planner.contract.atomic import atomic_write, undo_on_failure
from retouch.planner.contract.bounds import check_path_text
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import EditPlan, EditRequest
from retouch.server.requests import build_request, validation_message


@pytest.fixture
def plan_fixture(tmp_path: Path) -> EditPlan:
    from PIL import Image
    from retouch.planner import analyze, make_plan

    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(tmp_path / "a.png")
    request = EditRequest(image=str(tmp_path / "a.png"), edit="make it look like a watercolour")
    return make_plan(request, analyze(request))


def _plan_json(plan: EditPlan) -> dict:
    return json.loads(plan.model_dump_json())


@pytest.mark.parametrize(
    ("path", "value", "range_"),
    [
        (("mask", "dilate_px"), 100_000, "0..4096"),
        (("seed",), -1, "0..4294967295"),
        (("strength",), 99, "0..1"),
        (("steps",), 10**9, "1..500"),
        (("guidance", "text"), -50, "0..100"),
        (("guidance", "text"), math.nan, "0..100"),
        (("mask", "feather_px"), math.inf, "0..4096"),
    ],
)
def test_a_plan_field_out_of_range_is_one_error_naming_field_value_and_range(
    path: tuple[str, ...], value: float, range_: str, plan_fixture: EditPlan
) -> None:
    data = _plan_json(plan_fixture)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ValidationError) as err:
        EditPlan.model_validate(data)
    msg = validation_message(err.value)
    assert msg.startswith(".".join(path)) and range_ in msg and "out of range" in msg


def test_request_numbers_nan_inf_and_sizes_are_refused() -> None:
    base = {"image": "a.png", "edit": "remove it"}
    for bad in (
        {"sam": {"box": [0, 0, math.nan, 4]}},
        {"sam": {"points": [{"x": math.inf, "y": 1}]}},
        {"sam": {"points": [{"x": 1, "y": 1}] * 65}},
        {"extend": {"right": 10**9}},
        {"preferences": {"seed": 2**40}},
        {"edit": "x" * 2001},
        {"sam": {}},
        {"sam": {"points": []}},
        {"extend": {}},
    ):
        with pytest.raises(ValidationError):
            EditRequest.model_validate({**base, **bad})
    with pytest.raises(InputError, match="not finite"):
        build_request("a.png", "extend it", extend="nan,0,0,0")
    with pytest.raises(InputError, match="not finite"):
        build_request("a.png", "remove it", box="0,0,inf,4")


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("img-\udcff\udcfe.png", "not valid UTF-8"),
        ("x" * 300 + ".png", "255-byte"),
        ("a/" * 3000 + "x.png", "4096-byte"),
        ("a\x00b.png", "NUL"),
    ],
)
def test_names_the_os_or_the_encoder_rejects_are_clean_errors(path: str, why: str) -> None:
    with pytest.raises(InputError, match=why):
        check_path_text(path, "image")
    with pytest.raises(ValidationError, match=why):
        EditRequest(image=path, edit="remove it")


def test_dilation_and_feather_are_capped_by_the_image_and_large_radii_stay_cheap() -> None:
    edit = np.zeros((40, 30), dtype=bool)
    edit[10:20, 10:20] = True
    with pytest.raises(InputError, match="long side"):
        masks.prepare(edit, dilate_px=100_000)
    with pytest.raises(InputError, match="long side"):
        masks.prepare(edit, feather_px=41)
    big = np.zeros((1500, 1500), dtype=bool)
    big[700:800, 700:800] = True
    t0 = time.perf_counter()
    grown = masks.dilate(big, 1400)  # a 2801x2801 kernel took minutes; a distance transform not
    assert time.perf_counter() - t0 < 5 and grown.all()


def test_result_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "r.png", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "r.png").stat().st_mode & 0o777 == 0o644


def test_a_failed_block_removes_the_files_it_created_and_only_those(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("kept")
    with pytest.raises(RuntimeError), undo_on_failure():
        atomic_write(tmp_path / "runs" / "new.txt", "gone")
        atomic_write(tmp_path / "old.txt", "overwritten, not created")
        raise RuntimeError("the call failed")
    assert not (tmp_path / "runs").exists()
    assert (tmp_path / "old.txt").exists()


def test_a_plan_with_an_area_but_no_box_still_renders(plan_fixture: EditPlan) -> None:
    """Found by the fuzz suite: a plan.json with mask_area set and mask_bbox null crashed the
    skill doc's template (join of None) with an internal error."""
    from retouch.planner.render import render

    facts = plan_fixture.facts.model_copy(update={"mask_area": 0.1, "mask_bbox": None})
    assert "bounding box unknown" in render(plan_fixture.model_copy(update={"facts": facts}))
