"""The weight-free executor: PatchMatch and OpenCV fills, canvas prefill, on real photos and known
images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.classical.fill import ClassicalExecutor, extend_canvas
from retouch.executors.images.composite import ring
from retouch.executors.run import run_plan
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import Extend

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


def _laplacian(img: np.ndarray, m: np.ndarray) -> float:
    import cv2

    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[m].mean())


def _psnr(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    mse = float(((a[m].astype(float) - b[m].astype(float)) ** 2).mean())
    return 10 * np.log10(255**2 / max(mse, 1e-9))


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_opencv_fill_continues_a_smooth_image(method: str) -> None:
    rgb = _gradient()
    edit = box_mask((96, 64), (40, 24, 52, 36))
    out = ClassicalExecutor(method)(rgb, edit)
    assert np.array_equal(out[~edit], rgb[~edit])
    err = np.abs(out[edit].astype(int) - rgb[edit]).mean()
    flat = np.abs(rgb[edit].astype(int) - rgb[ring(edit, 3)].mean(0)).mean()  # ring-colour patch
    assert err < 3 and err < 0.6 * flat


def test_telea_on_the_box_equals_telea_on_the_frame() -> None:
    import cv2

    rgb = np.ascontiguousarray(skimage.data.astronaut()[:200, :200])
    edit = box_mask((200, 200), (120, 40, 150, 90))
    whole = cv2.inpaint(rgb, edit.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
    assert np.array_equal(ClassicalExecutor("telea", texture=False)(rgb, edit), whole)


def test_patchmatch_is_the_default_and_keeps_the_photos_texture() -> None:
    img = np.ascontiguousarray(skimage.data.astronaut())
    hole = box_mask((512, 512), (310, 120, 350, 170))  # the mottled backdrop left of the shuttle
    fill = ClassicalExecutor()
    assert fill.method == "patchmatch" and not fill.texture
    out = fill(img, hole, seed=0)
    telea = ClassicalExecutor("telea", texture=False)(img, hole)
    assert np.array_equal(out[~hole], img[~hole])
    truth = _laplacian(img, hole)
    assert _laplacian(telea, hole) < 0.5 * truth  # Telea smears ...
    assert 0.6 * truth < _laplacian(out, hole) < 1.6 * truth  # ... PatchMatch keeps the grain
    assert _psnr(out, img, hole) >= _psnr(telea, img, hole) - 1.0


def test_patchmatch_is_deterministic_per_seed() -> None:
    img = np.ascontiguousarray(skimage.data.coffee())
    hole = box_mask((600, 400), (60, 40, 110, 90))
    fill = ClassicalExecutor()
    a = fill(img, hole, seed=1)
    assert np.array_equal(a, fill(img, hole, seed=1))
    assert not np.array_equal(a, fill(img, hole, seed=2))


def test_patchmatch_cost_follows_the_hole() -> None:
    img = np.ascontiguousarray(skimage.data.coffee())
    hole = box_mask((600, 400), (60, 40, 90, 70))
    fill = ClassicalExecutor()
    x0, y0, x1, y1 = fill.crop(hole)
    assert (x0, y0, x1, y1) == (0, 0, 150, 130)  # the hole's box grown by 2 hole-widths
    far = img.copy()
    far[y1:, :] = 0  # the photo beyond the crop is never read
    far[:, x1:] = 255
    assert np.array_equal(fill(img, hole)[hole], fill(far, hole)[hole])


@pytest.mark.parametrize("rows", [1, 3, 12])
def test_patchmatch_fills_a_strip_thinner_than_its_pyramid(rows: int) -> None:
    img = np.full((rows, 40, 3), 120, np.uint8)  # the library alone returns 23-91 here
    hole = np.zeros((rows, 40), bool)
    hole[:, 5:30] = True
    out = ClassicalExecutor()(img, hole)
    assert np.abs(out.astype(int) - 120).max() <= 2


def test_exclude_keeps_patches_from_a_region() -> None:
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(110, 12, (96, 96, 3)), 0, 255).astype(np.uint8)
    img[:, :40] = (220, 30, 30)  # a red subject reaching into the hole
    hole = box_mask((96, 96), (32, 30, 62, 60))  # over the red edge
    red = lambda a: int(((a[..., 0] > 180) & (a[..., 1] < 80))[hole].sum())  # noqa: E731
    subject = np.zeros((96, 96), bool)
    subject[:, :40] = True
    fill = ClassicalExecutor()
    assert red(fill(img, hole, seed=0)) > 0  # next to the hole, red is copied in ...
    assert red(fill(img, hole, seed=0, exclude=subject)) == 0  # ... unless it is excluded


def test_fill_refuses_bad_input() -> None:
    rgb = _gradient()
    with pytest.raises(InputError, match="covers the whole image"):
        ClassicalExecutor()(rgb, np.ones((64, 96), dtype=bool))
    with pytest.raises(InputError, match="they must match"):
        ClassicalExecutor()(rgb, np.ones((10, 10), dtype=bool))
    with pytest.raises(InputError, match="patchmatch, telea or ns"):
        ClassicalExecutor("fancy")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="patchmatch copies texture"):
        ClassicalExecutor("patchmatch", texture=True)


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
    params = out.provenance.params
    assert params["classical_method"] == "patchmatch" and params["classical_patch_size"] == 3
    x0, y0, x1, y1 = (int(v) for v in str(params["classical_crop"]).split(","))
    rows, cols = np.flatnonzero(out.edit_mask.any(1)), np.flatnonzero(out.edit_mask.any(0))
    assert x0 < cols[0] and y0 <= rows[0] and x1 > cols[-1] and y1 > rows[-1]
    assert (x1 - x0) * (y1 - y0) < 0.5 * 600 * 400  # a crop, not the photo
    assert out.image.size == img.size and outside_equal(out.image, img, out.edit_mask)


def test_classical_outpaint(tmp_path: Path) -> None:
    img = Image.fromarray(skimage.data.coffee()).resize((150, 100))
    plan = tiny_plan(tmp_path, "extend the photo", image=img, extend="24,8,0,0", hardware="cpu")
    out = run_plan(plan, image=img)
    assert out.provenance.executor == "classical" and out.image.size == (174, 108)
    assert out.provenance.params["classical_method"] == "patchmatch"
    assert 0 < float(out.provenance.params["classical_source_share"]) < 1
    src = np.asarray(img)
    keep = ~out.edit_mask[8:, 24:]
    assert np.array_equal(np.asarray(out.image)[8:, 24:][keep], src[keep])
