"""`retouch batch` through the CLI runner: scikit-image photos with the classical fill (one broken
file reported, the batch finished), masks matched by stem, the summary and contact sheet, exit
codes, and a tiny diffusers model loaded once for every image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.server.cli.app import get_app
from retouch.server.cli.batch import expand_images
from retouch.server.edits.batch import THUMB_PX, folder_names
from typer.testing import CliRunner

from tests.executors.exec_support import tiny_dirs

runner = CliRunner()
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
FILES = ("comparison.png", "plan.json", "provenance.json", "qa.json", "result.png")


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


def write_photos(tmp: Path, names: tuple[str, ...], px: int) -> tuple[Path, Path]:
    """IMAGES/<name>.png (longest side ``px``) and MASKS/<name>.png (a box an eighth of the image
    a side, below the middle: inside the weight-free fill's envelope)."""
    images, masks = tmp / "images", tmp / "masks"
    images.mkdir(exist_ok=True)
    masks.mkdir(exist_ok=True)
    for name in names:
        img = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
        img.thumbnail((px, px), Image.Resampling.LANCZOS)
        img.save(images / f"{name}.png")
        m = np.zeros((img.height, img.width), dtype=np.uint8)
        m[img.height * 5 // 8 : img.height * 3 // 4, img.width * 5 // 8 : img.width * 3 // 4] = 255
        Image.fromarray(m).save(masks / f"{name}.png")
    return images, masks


def test_batch_over_photos_reports_a_broken_file_and_finishes(tmp_path: Path) -> None:
    images, masks = write_photos(tmp_path, PHOTOS, 96)
    (images / "broken.png").write_bytes(b"not a png at all")
    (images / "notes.txt").write_text("not an image suffix: skipped")
    out = tmp_path / "out"
    r = invoke(
        "batch",
        str(images),
        "remove the object",
        "--mask-dir",
        str(masks),
        "--executor",
        "classical",
        "--out",
        str(out),
    )
    assert r.exit_code == 2, r.output
    assert f"error: {images / 'broken.png'}: " in r.stderr and "\n" not in r.stderr.strip()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["edit"] == "remove the object"
    entries = {Path(e["image"]).stem: e for e in summary["images"]}
    assert sorted(entries) == sorted((*PHOTOS, "broken"))  # every image, the broken one too
    broken = entries.pop("broken")
    assert broken["status"] == "error" and broken["verdict"] is None
    assert "not an image" in broken["error"] and broken["folder"] is None
    for name, e in entries.items():
        assert set(e) == {"image", "folder", "status", "verdict", "degraded", "error", "seconds"}
        assert e["status"] == "ok" and e["verdict"] == "clean", e
        assert e["error"] is None and e["degraded"] == [] and e["seconds"] >= 0
        assert all((out / name / f).is_file() for f in FILES), name
        assert json.loads((out / name / "provenance.json").read_text())["executor"] == "classical"
    assert not (out / "broken").exists()
    with Image.open(out / "contact-sheet.png") as sheet:
        assert sheet.mode == "RGB" and sheet.height == 5 * (THUMB_PX + 4)
        rows = np.asarray(sheet)
    # the broken file's row (second, sorted) shows grey panels; the others the photos
    assert (rows[THUMB_PX + 4 : 2 * THUMB_PX + 4, :THUMB_PX] == 128).all()
    assert not (rows[:THUMB_PX, :THUMB_PX] == 128).all()


def test_all_passed_is_exit_0_and_a_glob_expands(tmp_path: Path) -> None:
    images, masks = write_photos(tmp_path, ("coffee", "chelsea"), 64)
    out = tmp_path / "out"
    r = invoke(
        "batch",
        str(images / "c*.png"),
        "remove the object",
        "--mask-dir",
        str(masks),
        "--executor",
        "classical",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    assert "2 ok, 0 qa-failed, 0 error" in r.stdout
    assert [
        Path(e["image"]).stem for e in json.loads((out / "summary.json").read_text())["images"]
    ] == ["chelsea", "coffee"]


def test_a_missing_mask_is_that_images_error(tmp_path: Path) -> None:
    images, masks = write_photos(tmp_path, ("coffee", "chelsea"), 64)
    (masks / "chelsea.png").unlink()
    r = invoke(
        "batch",
        str(images),
        "remove the object",
        "--mask-dir",
        str(masks),
        "--executor",
        "classical",
        "--out",
        str(tmp_path / "out"),
    )
    assert r.exit_code == 2, r.output
    entries = json.loads((tmp_path / "out" / "summary.json").read_text())["images"]
    assert [e["status"] for e in entries] == ["error", "ok"]
    assert "no mask for chelsea" in entries[0]["error"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--mask-dir", "MASKS", "--text", "the cup"], "not both"),
        (["--mask-dir", "nowhere"], "is not a folder"),
    ],
)
def test_bad_batch_options_are_one_line(tmp_path: Path, extra: list[str], words: str) -> None:
    images, masks = write_photos(tmp_path, ("coffee",), 64)
    extra = [
        str(masks) if a == "MASKS" else str(tmp_path / a) if a == "nowhere" else a for a in extra
    ]
    r = invoke("batch", str(images), "remove the cup", *extra, "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.output
    assert not (tmp_path / "o").exists()


def test_no_images_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = invoke("batch", str(tmp_path / "empty"), "remove it", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "no images" in r.stderr


def test_expansion_and_folder_names(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    for p in ("a/x.png", "a/y.JPG", "a/z.txt", "x.jpg"):
        (tmp_path / p).write_bytes(b"")
    got = expand_images([str(tmp_path / "a"), str(tmp_path / "*.jpg"), str(tmp_path / "a/x.png")])
    assert got == [str(tmp_path / "a/x.png"), str(tmp_path / "a/y.JPG"), str(tmp_path / "x.jpg")]
    assert folder_names(got) == ["x", "y", "x-2"]


def test_a_tiny_diffusers_model_is_loaded_once_for_every_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retouch.executors.diffusion import loading

    images, masks = write_photos(tmp_path, ("astronaut", "coffee", "chelsea"), 64)
    big = np.zeros((64, 64), dtype=np.uint8)
    big[8:56, 8:56] = 255  # large: no crop, the tiny model runs whole 64 px frames
    for p in images.iterdir():
        Image.open(p).resize((64, 64)).save(p)
        Image.fromarray(big).save(masks / p.name)
    loads: list[str] = []
    real = loading._load

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        loads.append(args[1].id)
        return real(*args, **kwargs)

    loading.clear_cache()
    monkeypatch.setattr(loading, "_load", counting)
    out = tmp_path / "out"
    r = invoke(
        "batch",
        str(images),
        "remove the sign",
        "--mask-dir",
        str(masks),
        "--executor",
        "diffusers",
        "--model",
        str(tiny_dirs()["inpaint"]),
        "--steps",
        "2",
        "--seed",
        "3",
        "--out",
        str(out),
    )
    loading.clear_cache()
    entries = json.loads((out / "summary.json").read_text())["images"]
    statuses = [e["status"] for e in entries]
    assert set(statuses) <= {"ok", "qa-failed"}, r.output  # a random model may fail QA
    assert r.exit_code == (1 if "qa-failed" in statuses else 0), r.output
    assert len(loads) == 1, loads  # one load, three edits
    for e in entries:
        prov = json.loads((Path(e["folder"]) / "provenance.json").read_text())
        assert prov["pipeline"] == "StableDiffusionInpaintPipeline" and prov["seed"] == 3
