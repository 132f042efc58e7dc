"""`retouch plan` and `retouch doc` through the CLI runner: outputs, JSON, and every bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


def test_plan_writes_doc_and_json(astronaut_path: Path, write_mask, tmp_path: Path) -> None:
    mask = write_mask((512, 512), (300, 60, 365, 125))
    out = tmp_path / "out"
    r = invoke(
        "plan",
        str(astronaut_path),
        "remove the sign",
        "--mask",
        str(mask),
        "--out",
        str(out),
        "--json",
    )
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    assert plan["mode"] == "inpaint" and plan["mask"]["source"] == "given"
    on_disk = json.loads((out / "plan.json").read_text())
    assert on_disk == plan
    doc = (out / "skill-editing-pipeline.md").read_text()
    for needle in (
        "## Mask",
        "## QA checklist",
        "## Why",
        "retouch edit",
        "run_edit",
        plan["model"]["id"],
        "remove-region",
    ):
        assert needle in doc


def test_plan_points_box_extend(astronaut_path: Path, tmp_path: Path) -> None:
    r = invoke(
        "plan",
        str(astronaut_path),
        "replace the background with a beach",
        "--point",
        "256,200:1",
        "--point",
        "20,20:0",
        "--out",
        str(tmp_path / "a"),
        "--json",
    )
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    assert plan["mask"]["source"] == "sam-points" and plan["mask"]["invert"] is True
    assert [p["label"] for p in plan["request"]["sam"]["points"]] == [1, 0]
    r = invoke(
        "plan",
        str(astronaut_path),
        "remove the helmet",
        "--box",
        "280,340,500,512",
        "--out",
        str(tmp_path / "b"),
        "--json",
    )
    assert json.loads(r.stdout)["mask"]["source"] == "sam-box"
    r = invoke(
        "plan",
        str(astronaut_path),
        "widen the photo",
        "--extend",
        "0,0,256,0",
        "--out",
        str(tmp_path / "c"),
        "--json",
    )
    plan = json.loads(r.stdout)
    assert plan["mode"] == "outpaint" and plan["mask"]["source"] == "canvas"


def _no_partial_files(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["{missing}", "remove it"], "not found"),
        (["{notimage}", "remove it"], "not an image"),
        (["{img}", "   "], "edit text is empty"),
        (["{img}", "remove it", "--mask", "{wrongmask}"], "they must match"),
        (["{img}", "remove it", "--mask", "{emptymask}"], "mask"),
        (["{img}", "remove it", "--point", "900,10"], "outside"),
        (["{img}", "remove it", "--point", "10"], "X,Y"),
        (["{img}", "remove it", "--point", "10,10:7"], "label"),
        (["{img}", "remove it", "--box", "300,300,100,100"], "inverted"),
        (["{img}", "remove it", "--box", "0,0,600,100"], "outside"),
        (["{img}", "remove it", "--mask", "{mask}", "--point", "10,10"], "conflict"),
        (["{img}", "extend", "--extend", "0,0,0,0"], "adds no canvas"),
        (["{img}", "extend", "--extend", "-5,0,10,0"], "non-negative"),
        (["{bomb}", "remove it"], "pixel"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str],
    needle: str,
    tmp_path: Path,
    astronaut_path: Path,
    write_mask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notimage = tmp_path / "notes.png"
    notimage.write_text("this is not a PNG")
    wrongmask = tmp_path / "wrong.png"
    Image.new("L", (100, 100), 255).save(wrongmask)
    emptymask = tmp_path / "empty.png"
    Image.new("L", (512, 512), 0).save(emptymask)
    bomb = tmp_path / "bomb.png"
    Image.new("L", (4000, 4000), 0).save(bomb)
    monkeypatch.setenv("RETOUCH_MAX_PIXELS", "1000000")
    paths = {
        "missing": str(tmp_path / "nope.png"),
        "notimage": str(notimage),
        "img": str(astronaut_path),
        "wrongmask": str(wrongmask),
        "emptymask": str(emptymask),
        "mask": str(write_mask((512, 512), (10, 10, 50, 50))),
        "bomb": str(bomb),
    }
    out = tmp_path / "out"
    r = invoke("plan", *[a.format(**paths) for a in args], "--out", str(out))
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert needle in err
    assert "Traceback" not in r.output
    _no_partial_files(out)


def test_unwritable_out_is_clean_error(astronaut_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = invoke("plan", str(astronaut_path), "make it sunset", "--out", str(blocker / "sub"))
    assert r.exit_code == 2 and r.stderr.startswith("error: ")


def test_exif_rotated_photo_reports_display_size(tmp_path: Path, coffee: Image.Image) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    path = tmp_path / "rotated.jpg"
    coffee.save(path, exif=exif)
    r = invoke("plan", str(path), "make it sunset", "--out", str(tmp_path / "o"), "--json")
    plan = json.loads(r.stdout)
    assert (plan["facts"]["width"], plan["facts"]["height"]) == (400, 600)


def test_doc_batch(tmp_path: Path, astronaut: Image.Image) -> None:
    astronaut.save(tmp_path / "a.png")
    m = np.zeros((512, 512), np.uint8)
    m[100:150, 100:150] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    lines = [
        {"name": "remove", "image": "a.png", "edit": "remove the patch", "mask": "m.png"},
        {
            "name": "sunset",
            "image": "a.png",
            "edit": "make it sunset",
            "preferences": {"hardware": "gpu-80gb"},
        },
        {"image": "a.png", "edit": "extend it", "extend": {"right": 128}},
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "docs"
    r = invoke("doc", str(cases), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert json.loads((out / "remove" / "plan.json").read_text())["mode"] == "inpaint"
    assert (
        json.loads((out / "sunset" / "plan.json").read_text())["model"]["family"]
        == "longcat-image-edit"
    )
    assert (out / "case-003" / "skill-editing-pipeline.md").is_file()


def test_doc_batch_reports_bad_lines_and_renders_the_rest(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    astronaut.save(tmp_path / "a.png")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            [
                json.dumps({"name": "ok", "image": "a.png", "edit": "make it sunset"}),
                "{not json",
                json.dumps({"name": "bad", "image": "a.png", "edit": "x", "colour": "red"}),
                json.dumps({"name": "gone", "image": "missing.png", "edit": "make it sunset"}),
            ]
        )
    )
    r = invoke("doc", str(cases), "--out", str(tmp_path / "d"))
    assert r.exit_code == 2
    assert (tmp_path / "d" / "ok" / "plan.json").is_file()
    errs = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert [e.split(":")[2] for e in errs] == ["2", "3", "4"], errs
    assert not (tmp_path / "d" / "bad").exists()


def test_help_lists_plan_and_doc() -> None:
    r = invoke("--help")
    assert r.exit_code == 0 and "plan" in r.output and "doc" in r.output


def test_relative_out_default(
    astronaut_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke("plan", str(astronaut_path), "make it sunset")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "outputs" / "plan.json").is_file()
    assert sorted(os.listdir(tmp_path / "outputs")) == ["plan.json", "skill-editing-pipeline.md"]
