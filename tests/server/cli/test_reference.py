"""`retouch plan/edit --reference IMG` through the CLI runner (issue 17): a bad reference is one
`error:` line and exit 2 before anything plans or loads; a good one is planned with a family that
reads it, and `retouch edit` runs it on a tiny FLUX.2 klein, recording it in provenance.json; with
--session the reference may be a history version (@current)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

from tests.executors import tiny_edit_families as tiny
from tests.executors.exec_support import photo

EDIT = "put this logo on the shirt"
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    photo().save(tmp_path / "photo.png")
    photo(96).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "logo.png")
    (tmp_path / "notes.png").write_text("not an image")
    return {n: str(tmp_path / f"{n}.png") for n in ("photo", "logo", "notes")}


@pytest.mark.parametrize(
    ("command", "reference", "message"),
    [
        ("plan", "missing.png", "error: reference image not found: missing.png; check the path"),
        ("plan", "notes", "is not an image Pillow can read"),
        ("plan", "", "error: --reference is empty; give the path of an image"),
        ("edit", "missing.png", "error: reference image not found: missing.png; check the path"),
        ("edit", "notes", "is not an image Pillow can read"),
        ("edit", "@current", "--reference @current is a version reference; give --session NAME"),
    ],
)
def test_a_bad_reference_is_one_error_line_and_exit_2(
    tmp_path: Path, files: dict[str, str], command: str, reference: str, message: str
) -> None:
    out = tmp_path / "out"
    target = ["--out", str(out / "r.png" if command == "edit" else out)]
    r = invoke(
        command, files["photo"], EDIT, "--reference", files.get(reference, reference), *target
    )
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert "Traceback" not in r.output and not out.exists()  # nothing planned, nothing written


def test_plan_records_the_reference_and_picks_a_family_that_reads_it(
    tmp_path: Path, files: dict[str, str]
) -> None:
    picks = {"quality": "qwen-image-edit", "latency": "flux2-klein"}
    for priority, family in picks.items():
        out = tmp_path / priority
        r = invoke("plan", files["photo"], EDIT, "--reference", files["logo"], "--priority",
                   priority, "--hardware", "gpu-80gb", "--out", str(out))  # fmt: skip
        assert r.exit_code == 0, r.output
        plan = json.loads((out / "plan.json").read_text())
        assert plan["request"]["guidance"] == {"image": files["logo"]}
        assert plan["model"]["family"] == family and "reference-editor" in r.stdout
        assert "| reference image |" in (out / "skill-editing-pipeline.md").read_text()


@pytest.fixture(scope="module")
def klein(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return tiny.build_tiny_klein(tmp_path_factory.mktemp("klein") / "klein")


def test_edit_runs_the_reference_on_klein_and_a_session_version_works_too(
    tmp_path: Path, files: dict[str, str], klein: Path
) -> None:
    data = tmp_path / "data"
    run = ["--priority", "latency", "--hardware", "gpu-24gb", "--model", str(klein),
           "--executor", "diffusers", "--steps", "2"]  # fmt: skip
    out = tmp_path / "one" / "result.png"
    r = invoke("edit", files["photo"], EDIT, "--reference", files["logo"], *run, "--out", str(out),
               "--session", "chat", "--data-dir", str(data))  # fmt: skip
    assert r.exit_code in (0, 1), r.output  # a random model may fail QA; the files are written
    assert f"refer   {files['logo']} (96x96)" in r.stdout
    prov = json.loads((out.parent / "provenance.json").read_text())
    params = prov["params"]
    assert (prov["family"], prov["pipeline"]) == ("flux2-klein", "Flux2KleinPipeline")
    assert (params["reference"], params["reference_size"]) == (files["logo"], "96x96")
    expected = np.asarray(Image.open(files["logo"]).convert("RGB")).tobytes()
    import hashlib

    assert params["reference_sha256"] == hashlib.sha256(expected).hexdigest()
    with Image.open(out) as res:
        assert res.size == (64, 64)  # the source's size, whatever the reference's
    # the session's current version (the result above) as the reference of the next edit
    out2 = tmp_path / "two" / "result.png"
    r = invoke("edit", files["photo"], EDIT, "--reference", "@current", *run, "--out", str(out2),
               "--session", "chat", "--data-dir", str(data))  # fmt: skip
    assert r.exit_code in (0, 1), r.output
    params = json.loads((out2.parent / "provenance.json").read_text())["params"]
    assert params["reference_size"] == "64x64" and "objects" in str(params["reference"])


def test_a_saved_plan_without_a_reference_takes_none(tmp_path: Path, files: dict[str, str]) -> None:
    plan_dir = tmp_path / "plan"
    r = invoke("plan", files["photo"], EDIT, "--out", str(plan_dir))
    assert r.exit_code == 0, r.output
    r = invoke("edit", files["photo"], EDIT, "--plan", str(plan_dir / "plan.json"),
               "--reference", files["logo"], "--out", str(tmp_path / "e" / "r.png"))  # fmt: skip
    assert r.exit_code == 2 and "cannot be added to a saved plan made without one" in r.stderr
    assert not (tmp_path / "e").exists()


def test_batch_gives_every_image_the_reference_and_refuses_a_bad_one_first(
    tmp_path: Path, files: dict[str, str], klein: Path
) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    for name in ("a", "b"):
        Image.open(files["photo"]).save(folder / f"{name}.png")
    out = tmp_path / "batch"
    r = invoke("batch", str(folder), EDIT, "--reference", "missing.png", "--out", str(out))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.output
    assert "reference image not found: missing.png" in r.stderr and not out.exists()
    r = invoke("batch", str(folder), EDIT, "--reference", files["logo"], "--priority", "latency",
               "--hardware", "gpu-24gb", "--model", str(klein), "--executor", "diffusers",
               "--steps", "2", "--out", str(out))  # fmt: skip
    assert r.exit_code in (0, 1), r.output  # a random model may fail QA
    for name in ("a", "b"):
        params = json.loads((out / name / "provenance.json").read_text())["params"]
        assert (params["reference"], params["reference_size"]) == (files["logo"], "96x96")
