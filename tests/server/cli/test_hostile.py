"""Hostile and odd input through the console entry point (issue 15): one ``error:`` line and a
documented exit code, never an internal error (70), nothing left behind."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.server.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main([os.fspath(a) for a in args])
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "internal error" not in err and "Traceback" not in err
    return lines[0]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "photo.png"
    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(p)
    return p


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],
        ["nope"],
        ["plan", "photo.png", "remove it", "--steps", "9999"],
        ["plan", "photo.png", "remove it", "--no-such-option"],
        ["history", "--keep-days", "1"],
    ],
)
def test_usage_errors_are_one_error_line(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "--help" in one_error(err)


@pytest.mark.parametrize(
    "extra",
    [
        ["--box", "1,2,nan,4"],
        ["--extend", "inf,0,0,0"],
        ["--point", "nan,3"],
        ["--seed", str(2**40)],
    ],
)
def test_numbers_out_of_range_are_exit_2(
    capsys: pytest.CaptureFixture[str], photo: Path, tmp_path: Path, extra: list[str]
) -> None:
    code, _, err = run(capsys, "plan", photo, "remove it", *extra, "--out", tmp_path / "p")
    assert code == 2
    one_error(err)
    assert not (tmp_path / "p").exists()


def test_a_non_utf8_file_name_is_a_clean_error_leaving_no_plan(
    capsys: pytest.CaptureFixture[str], photo: Path, tmp_path: Path
) -> None:
    odd = tmp_path / os.fsdecode(b"img-\xff\xfe.png")
    odd.write_bytes(photo.read_bytes())
    code, _, err = run(capsys, "plan", odd, "remove it", "--out", tmp_path / "p")
    assert code == 2 and "UTF-8" in one_error(err)
    assert not (tmp_path / "p").exists()
    code, _, err = run(capsys, "plan", photo, "remove it", "--out", tmp_path / ("x" * 300))
    assert code == 2 and "long" in one_error(err)


def test_a_1x1_image_to_mask_is_a_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    Image.new("RGB", (1, 1)).save(tmp_path / "one.png")
    code, _, err = run(
        capsys, "mask", tmp_path / "one.png", "--box", "0,0,1,1", "--out", tmp_path / "m.png"
    )
    assert code == 2 and "GrabCut" in one_error(err)


def test_a_cmyk_photo_edits_and_png_advice_names_tiff(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    Image.new("CMYK", (64, 48), (10, 20, 30, 0)).save(tmp_path / "cmyk.jpg")
    m = np.zeros((48, 64), dtype=np.uint8)
    m[10:30, 10:30] = 255
    Image.fromarray(m, "L").save(tmp_path / "mask.png")
    base = ["edit", tmp_path / "cmyk.jpg", "remove the dot", "--mask", tmp_path / "mask.png"]
    code, out, err = run(capsys, *base, "--executor", "classical", "--out", tmp_path / "r.tif")
    assert code in (0, 1) and "CMYK" in out, err  # 1: a QA verdict, not a failure to run
    assert Image.open(tmp_path / "r.tif").mode == "CMYK"
    code, _, err = run(capsys, *base, "--executor", "classical", "--out", tmp_path / "r.png")
    assert code == 2 and ".tif" in one_error(err)


def test_doc_reports_every_bad_line_and_writes_the_good_ones(
    capsys: pytest.CaptureFixture[str], photo: Path, tmp_path: Path
) -> None:
    lines = [
        b'{"image": 1, "edit": "remove it"}',
        b'{"image": "photo\\u0000.png", "edit": "remove it"}',
        b'{"sam": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"image": "\xff\xfe.png", "edit": "remove it"}',
        b'{"name": null, "image": "photo.png", "edit": "remove it"}',
        b'{"name": ["list"], "image": "photo.png", "edit": "remove it"}',
        b'{"name": "new\\nline", "image": "photo.png", "edit": "remove it"}',
        b'{"name": "good", "image": "photo.png", "edit": "make it a watercolour"}',
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run(capsys, "doc", cases, "--out", tmp_path / "docs")
    assert code == 2 and "1 doc(s) written, 7 line(s) failed" in out
    errors = err.strip().splitlines()
    assert [e.split(":")[2] for e in errors] == [str(n) for n in range(1, 8)], err
    assert {p.name for p in (tmp_path / "docs").iterdir()} == {"good"}


def test_gc_refuses_a_lost_database_and_keeps_the_objects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "objects" / "ab").mkdir(parents=True)
    (data / "objects" / "ab" / "abcd.png").write_bytes(b"stored")
    (data / "history.sqlite3").write_bytes(b"")
    code, _, err = run(capsys, "gc", "--data-dir", data)
    assert code == 6 and "holds no history" in one_error(err)
    assert (data / "objects" / "ab" / "abcd.png").exists()
    code, _, err = run(capsys, "gc", "--data-dir", tmp_path / "fresh", "--keep-days", "nan")
    assert code == 2 and "out of range" in one_error(err)
