"""`retouch mask --text` through the CLI runner: SAM 3 from a tiny random folder, the instance list,
--instance, and every bad input (exit codes from planner/contract/errors.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.executors.segment.dispatch import segment
from retouch.planner.contract.schema import SamPrompt
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("offline")


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


@pytest.fixture
def photo(tmp_path: Path, astronaut: Image.Image) -> Path:
    path = tmp_path / "photo.png"
    astronaut.resize((96, 72)).save(path)
    return path


def read_mask(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path)) == 255


def test_text_mask_lists_every_instance_and_writes_the_chosen(
    photo: Path, sam3_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dog.png"
    r = invoke("mask", str(photo), "--text", "the dog on the left", "--sam", str(sam3_dir),
               "--out", str(out))  # fmt: skip
    assert r.exit_code == 0, r.output
    want = segment(Image.open(photo), SamPrompt(text="the dog"), checkpoint=str(sam3_dir),
                   pick="left")  # fmt: skip
    assert np.array_equal(read_mask(out), want.mask)
    listed = [line for line in r.stdout.splitlines() if " #" in line[:4]]
    assert len(listed) == len(want.instances) >= 2
    assert [line.startswith("*") for line in listed] == [
        i.id in want.chosen for i in want.instances
    ]
    assert "score" in listed[0] and "area" in listed[0] and f"wrote {out}" in r.stdout


def test_instance_all_is_the_union(photo: Path, sam3_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.png"
    r = invoke("mask", str(photo), "--text", "dog", "--instance", "all", "--sam", str(sam3_dir),
               "--out", str(out))  # fmt: skip
    assert r.exit_code == 0, r.output
    found = segment(
        Image.open(photo), SamPrompt(text="the dog"), checkpoint=str(sam3_dir), pick="all"
    )
    assert np.array_equal(read_mask(out), found.mask)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--text", ""], 2, "names no object"),
        (["--text", "the dog", "--instance", "99"], 2, "out of range"),
        (["--text", "the dog", "--instance", "two"], 2, "must be a number"),
        (["--text", "the dog", "--point", "3,3"], 2, "not both"),
    ],
)
def test_bad_input(photo: Path, sam3_dir: Path, tmp_path: Path, args, code, words) -> None:  # type: ignore[no-untyped-def]
    r = invoke("mask", str(photo), *args, "--sam", str(sam3_dir), "--out", str(tmp_path / "m.png"))
    assert r.exit_code == code, r.output
    assert words in r.stderr


def test_nothing_found_exits_5_and_suggests_clicks(
    photo: Path, sam3_blind_dir: Path, tmp_path: Path
) -> None:
    r = invoke("mask", str(photo), "--text", "the dog", "--sam", str(sam3_blind_dir),
               "--out", str(tmp_path / "m.png"))  # fmt: skip
    assert r.exit_code == 5 and "found no 'the dog'" in r.stderr and "--point" in r.stderr


def test_without_sam3_exit_4_names_the_model(photo: Path, tmp_path: Path) -> None:
    r = invoke("mask", str(photo), "--text", "the dog", "--out", str(tmp_path / "m.png"))
    assert r.exit_code == 4 and "facebook/sam3" in r.stderr and "SAM License" in r.stderr
    assert not (tmp_path / "m.png").exists()


def test_wrong_model_folder_exit_2(photo: Path, sam2_dir: Path, tmp_path: Path) -> None:
    r = invoke("mask", str(photo), "--text", "the dog", "--sam", str(sam2_dir),
               "--out", str(tmp_path / "m.png"))  # fmt: skip
    assert r.exit_code == 2 and "SAM 2 folder" in r.stderr


def test_sam2_folder_for_clicks(photo: Path, sam2_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.png"
    r = invoke("mask", str(photo), "--box", "10,8,70,60", "--sam", str(sam2_dir), "--out", str(out))
    assert r.exit_code == 0, r.output
    want = segment(Image.open(photo), SamPrompt(box=(10, 8, 70, 60)), checkpoint=str(sam2_dir))
    assert np.array_equal(read_mask(out), want.mask) and "SAM sam2.1" in r.stdout


@pytest.mark.parametrize("bad", ["9" * 5000, "\u0663", "12345", "-1", "two"])
def test_instance_that_is_not_a_small_number_is_one_error_line(tmp_path: Path, bad: str) -> None:
    """A 5,000-digit index once reached int()'s digit limit (an internal error); non-ASCII digits
    passed str.isdigit."""
    img = tmp_path / "a.png"
    Image.new("RGB", (32, 32)).save(img)
    r = runner.invoke(
        get_app(), ["mask", str(img), "--text", "the dog", "--instance", bad, "--out", "m.png"]
    )
    assert r.exit_code == 2 and r.stderr.startswith("error: --instance ")
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "m.png").exists()
