"""`retouch compare` through the CLI runner: two tiny SD-inpaint arms on two tasks (scores.csv,
report.md, sheet.png; the same seed per task across arms), the tie rule, bad arms files; the
lesson's exercise (``--example faces``) run on its first two tasks with tiny random SD-inpaint +
ControlNet and FLUX.1 Fill builds; the pose and identity scorers skipped or refused as they should.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.evaluation.base import ENV
from retouch.executors.evaluation.identity import IDENTITY, PROXY
from retouch.executors.evaluation.pose import DISTANCE, PCK
from retouch.server.cli.app import get_app
from retouch.server.edits.batch import THUMB_PX
from typer.testing import CliRunner

from tests.executors.exec_support import tiny_dirs

REAL = {PCK, DISTANCE, IDENTITY}

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_scorer_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)
    # without the faces extra (the LBP proxy's path); identity-dlib: tests/executors/evaluation
    monkeypatch.setenv("RETOUCH_FACE_MODELS", str(tmp_path / "no-face-models"))


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


def write_tasks(tmp: Path) -> Path:
    """Two 64 px photos with a large mask each, as TASKS.jsonl (relative paths, one named)."""
    m = np.zeros((64, 64), dtype=np.uint8)
    m[8:56, 8:56] = 255  # large: no crop, the tiny model runs whole 64 px frames
    Image.fromarray(m).save(tmp / "mask.png")
    lines = []
    for name in ("astronaut", "coffee"):
        img = Image.fromarray(getattr(skimage.data, name)()).convert("RGB").resize((64, 64))
        img.save(tmp / f"{name}.png")
        lines.append({"image": f"{name}.png", "mask": "mask.png", "edit": "remove the sign"})
    lines[0]["name"] = "face-1"
    (tmp / "tasks.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return tmp / "tasks.jsonl"


def test_compare_two_tiny_arms(tmp_path: Path) -> None:
    tasks = write_tasks(tmp_path)
    model = str(tiny_dirs()["inpaint"])
    arms = [
        {
            "name": name,
            "executor": "diffusers",
            "model": model,
            "overrides": [{"field": "steps", "op": "set", "value": steps}],
        }
        for name, steps in (("two-steps", 2), ("three-steps", 3))
    ]
    (tmp_path / "arms.json").write_text(json.dumps(arms))
    out = tmp_path / "out"
    r = invoke("compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(out))
    assert r.exit_code == 0, r.output
    with (out / "scores.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"task", "arm", "metric", "value"}
    assert {r["task"] for r in rows} == {"face-1", "case-002"}
    assert {r["arm"] for r in rows} == {"two-steps", "three-steps"}
    metrics = {r["metric"] for r in rows}
    assert {"outside-unchanged", "seconds"} <= metrics
    assert not metrics & REAL  # never faked: no pose model, no face model given
    for task in ("face-1", "case-002"):
        provs = [
            json.loads((out / task / arm / "provenance.json").read_text())
            for arm in ("two-steps", "three-steps")
        ]
        assert provs[0]["seed"] == provs[1]["seed"]  # the same seed per task across arms
        assert [p["steps"] for p in provs] == [2, 3]
    text = (out / "report.md").read_text()
    assert "## seconds (lower is better)" in text and "| two-steps |" in text
    assert "winner:" in text and "## Not scored" in text
    assert "- two-steps: diffusers " in text  # what ran, first
    assert all(f"- {m}: skipped" in text for m in REAL)
    assert "pass --pose-model DIR or set RETOUCH_POSE_MODEL" in text  # the CLI's words
    with Image.open(out / "sheet.png") as sheet:
        assert sheet.size == (3 * (THUMB_PX + 4), 2 * (THUMB_PX + 4))


@pytest.mark.parametrize(
    ("arms", "words"),
    [
        ("[]", "one or more arms"),
        ('[{"name": "a"}, {"name": "a"}]', "distinct names"),
        ('[{"name": "a", "colour": 1}]', "colour"),
    ],
)
def test_bad_arms_are_one_line(tmp_path: Path, arms: str, words: str) -> None:
    tasks = write_tasks(tmp_path)
    (tmp_path / "arms.json").write_text(arms)
    r = invoke(
        "compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(tmp_path / "o")
    )
    assert r.exit_code == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.output


def test_a_bad_line_and_a_failed_run_are_reported(tmp_path: Path) -> None:
    tasks = write_tasks(tmp_path)
    with tasks.open("a") as f:
        f.write("{not json\n")
        f.write(
            json.dumps({"image": "astronaut.png", "edit": "add a dragon", "name": "gen"}) + "\n"
        )
    (tmp_path / "arms.json").write_text('[{"name": "fill", "executor": "classical"}]')
    out = tmp_path / "out"
    r = invoke("compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(out))
    assert r.exit_code == 2, r.output
    assert f"{tasks}:3: not JSON" in r.stderr and "error: gen / fill: " in r.stderr
    text = (out / "report.md").read_text()
    assert "## Runs that failed" in text and "gen / fill" in text
    with (out / "scores.csv").open() as f:
        assert {row["task"] for row in csv.DictReader(f)} == {"face-1", "case-002"}
    # the same error in another task of the arm: told in full once, then "same as", one report line
    with tasks.open("a") as f:
        f.write(json.dumps({"image": "astronaut.png", "edit": "add a cat", "name": "gen2"}) + "\n")
    r = invoke("compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(out))
    first = [line for line in r.stderr.splitlines() if line.startswith("error: gen / fill: ")]
    assert len(first) == 1 and "classical fill" in first[0], r.stderr
    assert "error: gen2 / fill: same as gen\n" in r.stderr
    failed = (out / "report.md").read_text().split("## Runs that failed")[1]
    assert "- gen, gen2 / fill: the classical fill" in failed and "\n- gen2 / fill" not in failed


# ------------------------------------------------------------------- the lesson's exercise


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    r = invoke("compare", "--example", "faces", "--out", str(out))
    assert r.exit_code == 0, r.output
    return out


def test_the_faces_example_is_a_ready_task_set(example: Path) -> None:
    from retouch.executors.qa.pose import face_size, read_skeleton
    from retouch.server.cli.compare import read_arms, read_tasks

    tasks, errors = read_tasks(example / "tasks.jsonl")
    assert not errors and len(tasks) == 20
    assert len({t[1].preferences.seed for t in tasks}) == 20
    assert len({str(t[1].image) for t in tasks}) == 20
    for name, request, control in tasks:
        assert control is not None and Path(control).is_file()
        with Image.open(request.image) as img, Image.open(control) as pose:
            assert img.size == pose.size == (512, 512)
            mask = np.asarray(Image.open(request.mask)) > 0
            joints = read_skeleton(np.asarray(pose.convert("RGB")))
        # the skeleton's face sits inside the face mask; the mask is a part of the frame
        nose = joints[0]
        assert mask[int(nose[1]), int(nose[0])], name
        assert 0.02 < mask.mean() < 0.3 and face_size(joints) is not None
    arms = read_arms(example / "arms.json")
    assert [a.name for a in arms] == ["sd15-inpaint-openpose", "flux1-fill"]
    assert "retouch compare" in (example / "README.md").read_text()


def test_example_tasks_under_tiny_sd_controlnet_and_flux_fill(
    example: Path, tmp_path: Path
) -> None:
    from retouch.executors.evaluation.examples import arms

    from tests.executors.tiny_families import build_tiny_flux_fill

    # 1. the example's first two tasks, and its two arms pointed at tiny random builds
    lines = (example / "tasks.jsonl").read_text().splitlines()[:2]
    for x in ("task", "mask", "pose"):
        for n in ("01", "02"):
            (tmp_path / f"{x}-{n}.png").write_bytes((example / f"{x}-{n}.png").read_bytes())
    (tmp_path / "tasks.jsonl").write_text("\n".join(lines) + "\n")
    small = [
        {"field": "steps", "op": "set", "value": 2},
        {"field": "crop.resize_to", "op": "set", "value": 64},
    ]
    sd, flux = arms()
    sd["model"] = str(tiny_dirs()["inpaint"])
    cn = {"field": "controlnet.id", "op": "set", "value": str(tiny_dirs()["controlnet"])}
    sd["overrides"] = [*sd["overrides"], cn, *small]
    flux["model"] = str(build_tiny_flux_fill(tmp_path / "flux-fill"))
    flux["overrides"] = [*flux["overrides"], *small]
    (tmp_path / "arms.json").write_text(json.dumps([sd, flux]))
    # 2. the run
    out = tmp_path / "out"
    r = invoke(
        "compare", str(tmp_path / "tasks.jsonl"), "--arms", str(tmp_path / "arms.json"),
        "--out", str(out),
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    # 3. scores.csv: both tasks under both arms, the identity proxy under its own name only
    with (out / "scores.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {(r["task"], r["arm"]) for r in rows} == {
        (t, a) for t in ("face-01", "face-02") for a in ("sd15-inpaint-openpose", "flux1-fill")
    }
    proxy = [float(r["value"]) for r in rows if r["metric"] == PROXY]
    assert len(proxy) == 4 and all(0 < v < 1 for v in proxy)  # regenerated faces differ
    assert not {r["metric"] for r in rows} & REAL
    # 4. what ran, with the same seed per task across arms
    for task, seed in (("face-01", 2024), ("face-02", 2025)):
        provs = {
            arm: json.loads((out / task / arm / "provenance.json").read_text())
            for arm in ("sd15-inpaint-openpose", "flux1-fill")
        }
        assert {p["seed"] for p in provs.values()} == {seed}
        assert (
            provs["sd15-inpaint-openpose"]["pipeline"] == "StableDiffusionControlNetInpaintPipeline"
        )
        assert provs["flux1-fill"]["pipeline"] == "FluxFillPipeline"
        assert provs["flux1-fill"]["guidance_text"] == 30.0
    # 5. report.md and the sheet
    text = (out / "report.md").read_text()
    assert f"## {PROXY} (higher is better)" in text
    assert "a proxy, not identity" in text and "| flux1-fill |" in text
    assert f"- {IDENTITY}: skipped — no face-embedding model given" in text
    assert f"- {PCK}: skipped — no OpenPose detector weights given" in text
    with Image.open(out / "sheet.png") as sheet:
        assert sheet.size == (3 * (THUMB_PX + 4), 2 * (THUMB_PX + 4))


@pytest.mark.parametrize(
    ("option", "make", "words"),
    [
        ("--pose-model", lambda p: p / "nowhere", "pose model folder"),
        ("--pose-model", lambda p: p, "has no body_pose_model.pth"),
        ("--face-model", lambda p: p / "nowhere.onnx", "does not exist"),
        ("--face-model", lambda p: p / "astronaut.png", "cannot load"),
    ],
)
def test_a_bad_scorer_model_is_one_line(tmp_path: Path, option: str, make, words: str) -> None:  # type: ignore[no-untyped-def]
    tasks = write_tasks(tmp_path)
    (tmp_path / "arms.json").write_text('[{"name": "fill", "executor": "classical"}]')
    out = tmp_path / "out"
    r = invoke(
        "compare", str(tasks), "--arms", str(tmp_path / "arms.json"), "--out", str(out),
        option, str(make(tmp_path)),
    )  # fmt: skip
    assert r.exit_code == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.output
    assert "Traceback" not in r.output and not out.exists()  # refused before anything ran
