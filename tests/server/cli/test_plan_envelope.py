"""`retouch plan` on the weight-free cases (../shared/cases/weight-free.json) through the CLI
runner, on a machine with no weights and no SAM checkpoint: the plan exits 0 but its first line
says what cannot run here (a face the fill would smear, words without SAM 3) or what runs instead
(a portrait extended by the background fill)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.faces import faces_available
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

CASES = Path(__file__).resolve().parents[4] / "shared" / "cases" / "weight-free.json"
needs_faces = pytest.mark.skipif(not faces_available(), reason="needs dlib (retouch[faces])")
runner = CliRunner()


@pytest.fixture(autouse=True)
def no_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("RETOUCH_SAM_CHECKPOINT", raising=False)


def plan(tmp_path: Path, case_id: str, *extra: str):  # type: ignore[no-untyped-def]
    if not CASES.is_file():
        pytest.skip(f"{CASES} is not in this checkout")
    c = next(c for c in json.loads(CASES.read_text())["cases"] if c["id"] == case_id)
    image = tmp_path / f"{c['photo']}.png"
    Image.fromarray(np.asarray(getattr(skimage.data, c["photo"])())).save(image)
    args = ["plan", str(image), c["edit"], "--hardware", "cpu", "--out", str(tmp_path / "out")]
    if "box" in c:
        args += ["--box", ",".join(str(v) for v in c["box"])]
    result = runner.invoke(get_app(), [*args, *extra])
    assert result.exit_code == 0, result.output
    return c, result


@needs_faces
def test_face_region_plan_says_first_that_it_cannot_run(tmp_path: Path) -> None:
    _, result = plan(tmp_path, "face-region")
    first = result.stdout.splitlines()[0]
    assert first.startswith("here    cannot run on this machine: model: the weight-free fill")
    assert "cannot rebuild a face" in first and "GB VRAM" in first
    saved = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert saved["runnable"] is False and "envelope-face" in [r["id"] for r in saved["rules"]]


def test_words_without_sam3_plan_says_first_that_sam3_is_missing(tmp_path: Path) -> None:
    c, result = plan(tmp_path, "words-no-sam3")
    first = result.stdout.splitlines()[0]
    assert first.startswith("here    cannot run on this machine: SAM 3")
    assert c["expect"]["missing_mentions"] in first
    plan_json = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan_json["runnable"] is False


@needs_faces
def test_portrait_extension_plan_leads_with_the_background_fill(tmp_path: Path) -> None:
    _, result = plan(tmp_path, "portrait-16x9")
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        "here    Ran the weight-free fill (it only continues the background and cannot extend "
        "a person) instead of "
    )


def test_the_mast_plan_is_inside_the_envelope(tmp_path: Path) -> None:
    _, result = plan(tmp_path, "mast", "--json")
    saved = json.loads(result.stdout)
    assert saved["runnable"] is True and saved["executor"] == "classical"
    assert not [r for r in saved["rules"] if r["id"].startswith("envelope-")]


@needs_faces
def test_edit_over_a_face_with_a_mask_file_is_refused_before_the_fill_runs(tmp_path: Path) -> None:
    """The envelope is measured on the real region in run_plan, not only at plan time: a mask
    FILE over the astronaut's face (no box for the planner to see) is still refused under auto,
    with the model that can do it named, and no result is written."""
    image, mask = tmp_path / "astronaut.png", tmp_path / "mask.png"
    Image.fromarray(np.asarray(skimage.data.astronaut())).save(image)
    region = np.zeros((512, 512), dtype=np.uint8)
    region[76:166, 175:265] = 255  # the face-region case's box
    Image.fromarray(region).save(mask)
    out = tmp_path / "out" / "result.png"
    result = runner.invoke(
        get_app(),
        ["edit", str(image), "remove the freckles on her face", "--mask", str(mask),
         "--hardware", "cpu", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "face" in result.output and "GB VRAM" in result.output
    assert not out.exists()


def test_plan_renders_a_degraded_entry_fix_as_flags(tmp_path: Path) -> None:
    """The GrabCut stand-in's fix carries hints (data); `retouch plan` renders them as flags."""
    image = tmp_path / "coffee.png"
    Image.fromarray(np.asarray(skimage.data.coffee())).save(image)
    result = runner.invoke(
        get_app(),
        ["plan", str(image), "remove the spoon", "--point", "365,285", "--hardware", "cpu",
         "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if "GrabCut" in x]
    assert "Fix:" in line and "--sam PATH" in line and "--mask MASK.png" in line
