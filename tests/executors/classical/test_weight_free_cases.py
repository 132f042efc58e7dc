"""The shared weight-free cases (/work/shared/cases/weight-free.json, mirrored here) that the
classical executor answers: the rocket's mast is removed with the outside untouched, and the
astronaut's 16:9 extension adds no face (or is refused, naming the models that can)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.classical.extend import find_faces
from retouch.executors.qa import content
from retouch.executors.qa.measures import Frame
from retouch.executors.run import run_plan
from retouch.planner import checklist as cl
from retouch.planner.contract.errors import PlanError

from tests.executors.exec_support import box_mask, outside_equal, tiny_plan

MAST_BOX = (434, 118, 468, 402)  # case "mast": XYXY on the rocket (640 x 427)


def test_mast_runs_classical_with_the_outside_identical(tmp_path: Path) -> None:
    img = Image.fromarray(skimage.data.rocket())
    mask = box_mask(img.size, MAST_BOX)
    plan = tiny_plan(
        tmp_path, "remove the lightning mast on the right", image=img, mask=mask, hardware="cpu"
    )
    out = run_plan(plan, image=img)
    assert out.provenance.executor == "classical"
    assert out.provenance.params["classical_method"] == "patchmatch"
    assert outside_equal(out.image, img, out.edit_mask)
    src, res = np.asarray(img), np.asarray(out.image)
    region = out.edit_mask

    # the white pole on the sky (the box's upper half) is gone, the sky continues
    def pole(a: np.ndarray) -> int:  # pixels 40 grey levels brighter than the sky around
        grey = a[118:260, 434:468].astype(float).mean(axis=2)
        return int((grey > np.median(grey) + 40).sum())

    assert pole(src) > 150 and pole(res) < 5
    frame = Frame(
        source=src.astype(np.float32),
        result=res.astype(np.float32),
        known=np.ones(region.shape, bool),
        region=region,
        nan=np.zeros(region.shape, bool),
    )
    got = content.repetition(frame)
    assert got is not None and got[0] <= cl.repetition().threshold, got
    got = content.changed(frame.window(8))  # the mast counts as removed
    assert got is not None and got[0] >= cl.changed().threshold, got


def test_portrait_16x9_adds_no_face_or_is_refused(tmp_path: Path) -> None:
    img = Image.fromarray(skimage.data.astronaut())  # 512 x 512 -> 910 x 512 is 16:9
    plan = tiny_plan(
        tmp_path, "extend the photo to 16:9", image=img, extend="199,0,199,0", hardware="cpu"
    )
    try:
        out = run_plan(plan, image=img)
    except PlanError as err:  # refused before running: says why and what can do it
        assert "background" in str(err) and "SDXL-Inpaint" in str(err)
        return
    w, h = out.image.size
    assert abs(w / h - 16 / 9) <= 0.01 * 16 / 9
    assert len(find_faces(np.asarray(out.image.convert("RGB")))) == 1


@pytest.mark.parametrize("name", ["coffee", "chelsea"])
def test_16x9_extension_of_a_photo_with_background_runs(tmp_path: Path, name: str) -> None:
    img = Image.fromarray(getattr(skimage.data, name)())
    w, h = img.size
    add = round(h * 16 / 9) - w
    ext = f"{add // 2},0,{add - add // 2},0"
    plan = tiny_plan(tmp_path, "extend the photo to 16:9", image=img, extend=ext, hardware="cpu")
    out = run_plan(plan, image=img)
    ow, oh = out.image.size
    assert out.provenance.executor == "classical" and abs(ow / oh - 16 / 9) <= 0.01 * 16 / 9
    assert find_faces(np.asarray(out.image)) == []
    assert out.provenance.params["prefill"] is None  # PatchMatch ignores a prefilled strip
