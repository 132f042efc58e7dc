"""`retouch check` through the CLI runner: the table, --json, exit codes, --plan, --fixed-out, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

runner = CliRunner()
BOX = (300, 60, 364, 124)


def invoke(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), [str(a) for a in args])


@pytest.fixture
def files(tmp_path: Path, astronaut: Image.Image, write_mask) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    src = tmp_path / "source.png"
    astronaut.save(src)
    same = tmp_path / "same.png"
    astronaut.save(same)
    res = np.asarray(astronaut).copy()
    res[10:18, 10:18] ^= 0x40  # an outside block changed
    bad = tmp_path / "bad.png"
    Image.fromarray(res).save(bad)
    return {"source": src, "same": same, "bad": bad, "mask": write_mask((512, 512), BOX)}


def test_clean_result_exits_0_with_a_table(files: dict[str, Path]) -> None:
    r = invoke("check", files["source"], files["same"], "--mask", files["mask"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["check", "status", "value", "limit"]
    assert any(line.startswith("outside-unchanged") and " pass " in line for line in lines)
    assert lines[-1] == "passed (not measured: prompt, prompt-adherence)"


def test_defect_exits_1_and_names_the_check(files: dict[str, Path]) -> None:
    r = invoke("check", files["source"], files["bad"], "--mask", files["mask"])
    assert r.exit_code == 1
    assert "FAILED: outside-unchanged" in r.stdout
    assert "fix outside-unchanged: re-composite" in r.stdout
    assert r.stderr.startswith("error: QA failed: outside-unchanged;")


def test_json_is_a_list_of_items(files: dict[str, Path]) -> None:
    r = invoke("check", files["source"], files["bad"], "--mask", files["mask"], "--json")
    assert r.exit_code == 1
    items = json.loads(r.stdout)  # stdout is pure JSON; the verdict goes to stderr
    assert isinstance(items, list)
    by_id = {i["id"]: i for i in items}
    assert {"id", "status", "value", "threshold", "fix"} <= set(items[0])
    assert by_id["outside-unchanged"]["status"] == "fail"
    assert by_id["outside-unchanged"]["value"] == 64
    assert by_id["outside-unchanged"]["fix"]["summary"]
    assert by_id["seam"]["status"] == "pass" and by_id["seam"]["fix"] is None
    assert by_id["prompt"]["status"] == "skipped" and by_id["prompt"]["value"] is None


def _plan(tmp_path: Path, files: dict[str, Path]) -> Path:
    out = tmp_path / "planned"
    r = invoke(
        "plan", files["source"], "remove the flag", "--mask", files["mask"], "--scene",
        "an astronaut", "--out", out,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return out / "plan.json"


def test_plan_dilation_is_applied_to_the_mask(
    tmp_path: Path, files: dict[str, Path], astronaut
) -> None:  # type: ignore[no-untyped-def]
    plan_path = _plan(tmp_path, files)
    dilate = json.loads(plan_path.read_text())["mask"]["dilate_px"]
    assert dilate >= 4
    res = np.asarray(astronaut).copy()
    x0, y0, x1, y1 = BOX
    res[y0 - 2 : y1 + 2, x0 - 2 : x1 + 2] = res[y0 - 2 : y1 + 2, x0 - 2 : x1 + 2] // 2 + 40
    ring = tmp_path / "ring.png"
    Image.fromarray(res).save(ring)  # changed 2 px beyond the mask: inside the plan's dilation
    r = invoke(
        "check", files["source"], ring, "--mask", files["mask"], "--plan", plan_path, "--json"
    )
    outside = {i["id"]: i for i in json.loads(r.stdout)}["outside-unchanged"]
    assert outside["status"] == "pass", r.output
    r = invoke(
        "check", files["source"], ring, "--mask", files["mask"], "--plan", plan_path, "--as-run",
        "--json",
    )  # fmt: skip
    assert {i["id"]: i for i in json.loads(r.stdout)}["outside-unchanged"]["status"] == "fail"


def test_fixed_out_writes_the_fixed_plan(tmp_path: Path, files: dict[str, Path], astronaut) -> None:  # type: ignore[no-untyped-def]
    plan_path = _plan(tmp_path, files)
    plan = json.loads(plan_path.read_text())
    m = np.zeros((512, 512), dtype=bool)
    m[BOX[1] : BOX[3], BOX[0] : BOX[2]] = True
    from retouch.executors.images.masks import dilate

    region = dilate(m, plan["mask"]["dilate_px"])
    res = np.asarray(astronaut).copy()
    res[region] = np.roll(np.asarray(astronaut), (16, 0), axis=(0, 1))[region]  # a seam
    seamed = tmp_path / "seamed.png"
    Image.fromarray(res).save(seamed)
    fixed_dir = tmp_path / "fixed"
    r = invoke(
        "check", files["source"], seamed, "--mask", files["mask"], "--plan", plan_path,
        "--fixed-out", fixed_dir,
    )  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "FAILED: seam" in r.stdout and "wrote the fixed plan" in r.stdout
    fixed = json.loads((fixed_dir / "plan.json").read_text())
    assert fixed["mask"]["dilate_px"] == plan["mask"]["dilate_px"] + 8
    assert "qa-fix-seam" in [h["id"] for h in fixed["rules"]]
    assert (fixed_dir / "skill-editing-pipeline.md").is_file()


def test_whole_image_edit_needs_no_mask(tmp_path: Path, files: dict[str, Path]) -> None:
    r = invoke("check", files["source"], files["same"])
    assert r.exit_code == 0, r.output
    assert "outside-unchanged" not in r.stdout  # no region: nothing is 'outside'


@pytest.mark.parametrize(
    "case,needle",
    [
        ("missing-result", "result not found"),
        ("mask-size", "mask is 100x100, the result is 512x512"),
        ("bad-plan", "is not a valid plan.json"),
        ("fixed-out-without-plan", "--fixed-out needs --plan"),
        ("plan-for-other-image", "the plan was made for a 512x512 image"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, files: dict[str, Path], write_mask, case: str, needle: str
) -> None:  # type: ignore[no-untyped-def]
    args: list[object] = ["check", files["source"], files["same"], "--mask", files["mask"]]
    if case == "missing-result":
        args[2] = tmp_path / "nope.png"
    elif case == "mask-size":
        args[4] = write_mask((100, 100), (10, 10, 20, 20), name="small.png")
    elif case == "bad-plan":
        bad = tmp_path / "plan.json"
        bad.write_text('{"mode": "inpaint"}')
        args += ["--plan", bad]
    elif case == "fixed-out-without-plan":
        args += ["--fixed-out", tmp_path / "x"]
    elif case == "plan-for-other-image":
        plan_path = _plan(tmp_path, files)
        small = tmp_path / "small.png"
        Image.new("RGB", (64, 64), "grey").save(small)
        args = ["check", small, small, "--plan", plan_path]
    r = invoke(*args)
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("error: ") and needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
