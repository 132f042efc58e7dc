"""`retouch mask` through the CLI runner: GrabCut and SAM paths, --invert/--dilate, every bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.images import masks
from retouch.executors.segment import sam as segment
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

from tests.support import tiny_segment

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.set_num_threads(1)
    monkeypatch.delenv(segment.CHECKPOINT_ENV, raising=False)
    segment.clear_model_cache()


@pytest.fixture
def scene(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A 128x96 PNG: noisy dark background, a clear yellow rectangle. Returns (path, truth)."""
    img = np.random.default_rng(0).integers(0, 90, (96, 128, 3)).astype(np.uint8)
    obj = np.zeros((96, 128), bool)
    obj[24:72, 40:88] = True
    img[obj] = [235, 190, 60]
    path = tmp_path / "scene.png"
    Image.fromarray(img).save(path)
    return path, obj


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("sam") / "sam_test_tiny.pth"
    torch.save(tiny_segment.build_test_tiny().state_dict(), path)
    return path


def read_mask(path: Path) -> np.ndarray:
    img = Image.open(path)
    arr = np.asarray(img)
    assert img.mode == "L" and set(np.unique(arr)) <= {0, 255}
    return arr == 255


def test_grabcut_box_writes_the_object_and_says_it_is_the_fallback(scene, tmp_path: Path) -> None:
    image, obj = scene
    out = tmp_path / "masks" / "obj.png"
    r = invoke("mask", str(image), "--box", "30,15,100,80", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "GrabCut fallback (no SAM checkpoint)" in r.stderr and "lower quality" in r.stderr
    assert f"wrote {out}" in r.stdout and "GrabCut" in r.stdout
    assert np.array_equal(read_mask(out), obj)
    assert [p.name for p in out.parent.iterdir()] == ["obj.png"]  # no temp file left behind


def test_invert_and_dilate_are_applied_after_segmenting(scene, tmp_path: Path) -> None:
    image, obj = scene
    plain, prepared = tmp_path / "plain.png", tmp_path / "prepared.png"
    assert invoke("mask", str(image), "--point", "64,48", "--out", str(plain)).exit_code == 0
    r = invoke(
        "mask",
        str(image),
        "--point",
        "64,48:1",
        "--point",
        "5,5:0",
        "--invert",
        "--dilate",
        "3",
        "--out",
        str(prepared),
    )
    assert r.exit_code == 0, r.output
    assert np.array_equal(read_mask(plain), obj)
    assert np.array_equal(read_mask(prepared), masks.dilate(~obj, 3))
    assert "inverted" in r.stdout and "dilated 3 px" in r.stdout


def test_out_is_replaced_atomically(scene, tmp_path: Path) -> None:
    image, obj = scene
    out = tmp_path / "m.png"
    out.write_bytes(b"old")
    assert invoke("mask", str(image), "--box", "30,15,100,80", "--out", str(out)).exit_code == 0
    assert np.array_equal(read_mask(out), obj)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png", "scene.png"]


def _sam_best(ckpt: Path, image: Path, box: tuple[float, ...]) -> np.ndarray:
    from segment_anything import SamPredictor

    sam = tiny_segment.build_test_tiny()
    sam.load_state_dict(torch.load(ckpt, weights_only=True))
    pred = SamPredictor(sam.eval())
    pred.set_image(np.asarray(Image.open(image).convert("RGB")))
    m, s, _ = pred.predict(box=np.array(box), multimask_output=True)
    return m[int(np.argmax(s))]


def test_sam_checkpoint_gives_sampredictors_mask(scene, tiny_ckpt: Path, tmp_path: Path) -> None:
    image, _ = scene
    out = tmp_path / "sam.png"
    r = invoke(
        "mask",
        str(image),
        "--box",
        "20,10,110,90",
        "--sam",
        str(tiny_ckpt),
        "--sam-type",
        "test_tiny",
        "--invert",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    assert "GrabCut" not in r.stderr and "SAM test_tiny" in r.stdout
    expected = _sam_best(tiny_ckpt, image, (20, 10, 110, 90))
    assert expected.any() and np.array_equal(read_mask(out), ~expected)


def test_sam_checkpoint_from_the_environment(
    scene, tiny_ckpt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, _ = scene
    monkeypatch.setenv(segment.CHECKPOINT_ENV, str(tiny_ckpt))
    out = tmp_path / "env.png"
    r = invoke("mask", str(image), "--box", "20,10,110,90", "--sam-type", "auto", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "SAM test_tiny" in r.stdout  # the type was read from the file
    assert np.array_equal(read_mask(out), _sam_best(tiny_ckpt, image, (20, 10, 110, 90)))


@pytest.mark.parametrize(
    "args, code, needle",
    [
        (["--point", "128,10"], 2, "point (128, 10) is outside the 128x96 image"),
        (["--point", "10,-3"], 2, "outside the 128x96 image"),
        (["--box", "0,0,129,50"], 2, "reaches outside the 128x96 image"),
        (["--box", "60,10,20,40"], 2, "inverted or empty"),
        (["--box", "1,2,3"], 2, "not 4 comma-separated numbers"),
        (["--point", "5,5:2"], 2, "label"),
        ([], 2, "no prompt"),
        (["--point", "5,5:0"], 2, "only background clicks"),
        (["--point", "5,5", "--sam-type", "vit_x"], 2, "SAM type 'vit_x' is unknown"),
        (["--point", "5,5", "--sam", "/nonexistent/sam.pth"], 4, "SAM checkpoint not found"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(
    scene, tmp_path: Path, args: list[str], code: int, needle: str
) -> None:
    image, _ = scene
    out = tmp_path / "never.png"
    r = invoke("mask", str(image), *args, "--out", str(out))
    assert r.exit_code == code, r.output
    assert r.stderr.startswith("error: ") and needle in r.stderr and r.stderr.count("\n") == 1
    assert not out.exists()


def test_checkpoint_not_matching_sam_type(scene, tiny_ckpt: Path, tmp_path: Path) -> None:
    image, _ = scene
    out = tmp_path / "never.png"
    r = invoke(
        "mask",
        str(image),
        "--point",
        "5,5",
        "--sam",
        str(tiny_ckpt),
        "--sam-type",
        "vit_b",
        "--out",
        str(out),
    )
    assert r.exit_code == 2
    assert "test_tiny checkpoint" in r.stderr and "not vit_b" in r.stderr
    assert "--sam-type test_tiny" in r.stderr and not out.exists()


def test_failed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retouch.server.cli.mask import write_png

    out = tmp_path / "m.png"
    out.write_bytes(b"old")

    def broken_save(self, fp, format=None, **kw):  # type: ignore[no-untyped-def]
        Path(fp).write_bytes(b"half a png")  # retouch saves to a temp path, then renames
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    from retouch.planner.contract.errors import InputError

    with pytest.raises(
        InputError, match="disk full"
    ):  # one clear error (planner/contract/atomic.py)
        write_png(Image.new("L", (4, 4)), out)
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["m.png"]


def test_bad_files(scene, tmp_path: Path) -> None:
    image, _ = scene
    r = invoke(
        "mask", str(tmp_path / "nope.png"), "--point", "5,5", "--out", str(tmp_path / "m.png")
    )
    assert r.exit_code == 2 and "image not found" in r.stderr
    r = invoke("mask", str(image), "--point", "5,5", "--out", str(tmp_path / "m.jpg"))
    assert r.exit_code == 2 and "must end in .png" in r.stderr
    r = invoke("mask", str(image), "--point", "5,5")
    assert r.exit_code == 2 and "--out" in r.output
    r = invoke(
        "mask", str(image), "--point", "5,5", "--dilate", "-1", "--out", str(tmp_path / "m.png")
    )
    assert r.exit_code == 2 and not (tmp_path / "m.png").exists()


def test_an_empty_result_is_an_error_not_an_empty_file(
    scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, obj = scene
    empty = segment.MaskResult(
        mask=np.zeros_like(obj),
        score=0.0,
        method="grabcut",
        sam_type=None,
        candidates=[],
        scores=[],
        note="GrabCut fallback",
    )
    from retouch.executors.segment import dispatch

    monkeypatch.setattr(dispatch, "segment", lambda *a, **k: empty)
    out = tmp_path / "m.png"
    r = invoke("mask", str(image), "--point", "5,5", "--out", str(out))
    assert r.exit_code == 5 and "found no object" in r.stderr and not out.exists()
