"""The weight-free executor: OpenCV fill and canvas extension, on real photos and known images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.classical.fill import ClassicalExecutor, extend_canvas
from retouch.executors.images.composite import ring
from retouch.executors.run import run_plan
from retouch.planner.errors import InputError
from retouch.planner.schema import Extend

from tests.executors.exec_support import box_mask, outside_equal, tiny_plan


def _gradient(w: int = 96, h: int = 64) -> np.ndarray:
    x = np.linspace(0, 255, w)
    y = np.linspace(0, 80, h)[:, None]
    return (
        np.stack(
            [
                np.tile(x, (h, 1)),
                np.tile(255 - x, (h, 1)) * 0.5 + y,
                np.full((h, w), 128.0) + 0 * y,
            ],
            axis=2,
        )
        .round()
        .astype(np.uint8)
    )


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_fill_continues_a_smooth_image(method: str) -> None:
    rgb = _gradient()
    edit = box_mask((96, 64), (40, 24, 52, 36))
    out = ClassicalExecutor(method)(rgb, edit)
    assert np.array_equal(out[~edit], rgb[~edit])
    err = np.abs(out[edit].astype(int) - rgb[edit]).mean()
    flat = np.abs(rgb[edit].astype(int) - rgb[ring(edit, 3)].mean(0)).mean()  # ring-colour patch
    assert err < 3 and err < 0.6 * flat


def test_fill_on_the_box_equals_fill_on_the_frame() -> None:
    import cv2

    rgb = np.ascontiguousarray(skimage.data.astronaut()[:200, :200])
    edit = box_mask((200, 200), (120, 40, 150, 90))
    whole = cv2.inpaint(rgb, edit.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
    assert np.array_equal(ClassicalExecutor(texture=False)(rgb, edit), whole)


def test_fill_refuses_bad_input() -> None:
    rgb = _gradient()
    with pytest.raises(InputError, match="covers the whole image"):
        ClassicalExecutor()(rgb, np.ones((64, 96), dtype=bool))
    with pytest.raises(InputError, match="they must match"):
        ClassicalExecutor()(rgb, np.ones((10, 10), dtype=bool))
    with pytest.raises(InputError, match="telea or ns"):
        ClassicalExecutor("fancy")  # type: ignore[arg-type]


def test_extend_canvas_mirrors_and_blurs_with_distance() -> None:
    rgb = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((64, 64)))
    e = Extend(left=0, top=0, right=48, bottom=0)
    out = extend_canvas(rgb, e)
    assert out.shape == (64, 112, 3) and np.array_equal(out[:, :64], rgb)
    assert np.abs(out[:, 64].astype(int) - rgb[:, 62]).mean() < 3  # mirrored at the edge
    near = out[:, 64:72].astype(float)
    far = out[:, 104:112].astype(float)
    assert np.abs(np.diff(far, axis=0)).mean() < np.abs(np.diff(near, axis=0)).mean()


def test_classical_removal_on_a_photo(tmp_path: Path) -> None:
    img = Image.fromarray(skimage.data.coffee())  # 600x400
    mask = box_mask(img.size, (420, 40, 470, 90))
    plan = tiny_plan(tmp_path, "remove the spot", image=img, mask=mask, hardware="cpu")
    assert plan.executor == "classical"  # the planner picks the fill on a CPU
    out = run_plan(plan, image=img)
    assert out.provenance.executor == "classical" and out.raw is None
    assert out.provenance.crop_boxes == [] and out.provenance.params["classical_method"] == "telea"
    assert out.image.size == img.size and outside_equal(out.image, img, out.edit_mask)


def test_classical_outpaint(tmp_path: Path) -> None:
    img = Image.fromarray(skimage.data.astronaut()).resize((64, 64))
    plan = tiny_plan(tmp_path, "extend the photo", image=img, extend="16,8,0,0", hardware="cpu")
    out = run_plan(plan, image=img)
    assert out.provenance.executor == "classical" and out.image.size == (80, 72)
    src = np.asarray(img)
    keep = ~out.edit_mask[8:, 16:]
    assert np.array_equal(np.asarray(out.image)[8:, 16:][keep], src[keep])
