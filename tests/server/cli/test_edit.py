"""`retouch edit` through the CLI runner: the classical fill on a real photo, a diffusers run on a
tiny model, --plan, and the errors (missing model, mismatched plan, bad output name)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from retouch.executors.images.masks import dilate
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

from tests.executors.exec_support import photo, tiny_dirs

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), list(args))


@pytest.fixture
def empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    (tmp_path / "hf").mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.delenv("RETOUCH_ALLOW_DOWNLOAD", raising=False)


def test_classical_edit_writes_result_and_files(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:
    src = tmp_path / "astronaut.png"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    astronaut.save(src, icc_profile=icc)
    # a hole inside the weight-free fill's envelope (the shuttle, 130 px wide, is past it: the
    # envelope tests cover that), on the plain background right of the shuttle
    mask = write_mask((512, 512), (440, 400, 480, 440))
    out = tmp_path / "run" / "result.png"
    r = invoke(
        "edit",
        str(src),
        "remove the spot",
        "--mask",
        str(mask),
        "--executor",
        "classical",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    assert "weight-free fill (PatchMatch)" in r.stdout and "clean" in r.stdout
    for name in (
        "result.png",
        "plan.json",
        "skill-editing-pipeline.md",
        "provenance.json",
        "comparison.png",
    ):
        assert (out.parent / name).is_file(), name
    with Image.open(out) as res:
        assert res.info.get("icc_profile") == icc
        result = np.asarray(res.convert("RGB"))
    prov = json.loads((out.parent / "provenance.json").read_text())
    assert prov["executor"] == "classical" and prov["mask_sha256"]
    # every pixel beyond the plan's dilation of the mask is the source's, byte for byte
    plan = json.loads((out.parent / "plan.json").read_text())
    edit = np.zeros((512, 512), dtype=bool)
    edit[400:440, 440:480] = True
    regenerated = dilate(edit, plan["mask"]["dilate_px"])
    source = np.asarray(astronaut)
    assert np.array_equal(result[~regenerated], source[~regenerated])
    assert not np.array_equal(result[edit], source[edit])
    with Image.open(out.parent / "comparison.png") as cmp_img:  # + a zoomed row: a small region
        assert cmp_img.size[0] == 3 * 512 + 8 and cmp_img.size[1] > 512


def test_diffusers_edit_on_a_tiny_model(tmp_path: Path) -> None:
    img = tmp_path / "photo.png"
    photo().save(img)
    mask = tmp_path / "mask.png"
    m = np.zeros((64, 64), dtype=np.uint8)
    m[8:56, 8:56] = 255  # large: no crop, the model runs at 64 px
    Image.fromarray(m).save(mask)
    out = tmp_path / "res.png"
    r = invoke(
        "edit",
        str(img),
        "remove the sign",
        "--mask",
        str(mask),
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
    # a random tiny model paints noise: QA fails it (exit 1) but every file is still written
    qa = json.loads((tmp_path / "qa.json").read_text())
    failed = [i["id"] for i in qa["items"] if i["status"] == "fail"]
    assert r.exit_code == (1 if failed else 0), r.output
    if failed:
        assert "QA failed" in r.stderr and all(f in r.stderr for f in failed)
    assert next(i for i in qa["items"] if i["id"] == "outside-unchanged")["status"] == "pass"
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["pipeline"] == "StableDiffusionInpaintPipeline" and prov["seed"] == 3
    assert prov["steps"] == 2 and prov["crop_boxes"] == [[0, 0, 64, 64]]
    with Image.open(out) as res:
        assert res.size == (64, 64)


def test_edit_with_a_saved_plan(tmp_path: Path, astronaut_path: Path, write_mask) -> None:
    mask = write_mask((512, 512), (300, 60, 365, 125))
    plan_dir = tmp_path / "plan"
    r = invoke(
        "plan",
        str(astronaut_path),
        "remove the sign",
        "--mask",
        str(mask),
        "--hardware",
        "cpu",
        "--out",
        str(plan_dir),
    )
    assert r.exit_code == 0, r.output
    plan_file = plan_dir / "plan.json"
    out = tmp_path / "edit" / "result.png"
    r = invoke(
        "edit", str(astronaut_path), "remove the sign", "--plan", str(plan_file), "--out", str(out)
    )
    assert r.exit_code == 0, r.output
    assert out.is_file()
    r = invoke("edit", str(astronaut_path), "remove the flag", "--plan", str(plan_file))
    assert r.exit_code == 2 and "is not the plan's edit" in r.stderr
    r = invoke(
        "edit", str(astronaut_path), "remove the sign", "--plan", str(plan_file), "--point", "10,10"
    )
    assert r.exit_code == 2 and "--point cannot change a saved plan" in r.stderr


def test_missing_model_exit_4(
    tmp_path: Path, astronaut_path: Path, write_mask, empty_hf_cache: None
) -> None:
    mask = write_mask((512, 512), (300, 60, 365, 125))
    r = invoke(
        "edit",
        str(astronaut_path),
        "add a dragon",
        "--mask",
        str(mask),
        "--out",
        str(tmp_path / "r.png"),
    )
    assert r.exit_code == 4
    assert r.stderr.startswith("error: ") and "hf download" in r.stderr
    assert not (tmp_path / "r.png").exists()


def test_bad_output_name_and_jpeg_note(tmp_path: Path, astronaut_path: Path, write_mask) -> None:
    mask = write_mask((512, 512), (300, 60, 365, 125))
    r = invoke(
        "edit",
        str(astronaut_path),
        "remove the sign",
        "--mask",
        str(mask),
        "--out",
        str(tmp_path / "r.gif"),
    )
    assert r.exit_code == 2 and "no image suffix" in r.stderr
    r = invoke(
        "edit",
        str(astronaut_path),
        "remove the sign",
        "--mask",
        str(mask),
        "--executor",
        "classical",
        "--out",
        str(tmp_path / "r.jpg"),
    )
    assert r.exit_code == 0 and "JPEG is lossy" in r.stderr


def test_max_retries_keeps_every_attempt(tmp_path: Path) -> None:
    img = tmp_path / "photo.png"
    photo().save(img)
    mask = tmp_path / "mask.png"
    m = np.zeros((64, 64), dtype=np.uint8)
    m[8:56, 8:56] = 255
    Image.fromarray(m).save(mask)
    out = tmp_path / "res.png"
    args = [
        "edit",
        str(img),
        "remove the sign",
        "--mask",
        str(mask),
        "--executor",
        "diffusers",
        "--model",
        str(tiny_dirs()["inpaint"]),
        "--steps",
        "2",
        "--out",
        str(out),
    ]
    r = invoke(*args, "--max-retries", "2")
    attempts = sorted((tmp_path / "attempts").iterdir())
    assert 2 <= len(attempts) <= 3, r.output  # the noise fails QA, so at least one retry ran
    plans = [json.loads((a / "plan.json").read_text()) for a in attempts]
    # each retry applied the failed checks' fixes to the plan it ran
    assert plans[1] != plans[0]
    assert any(h["id"].startswith("qa-fix-") for h in plans[1]["rules"])
    for a in attempts:
        assert (a / "result.png").is_file() and (a / "qa.json").is_file()
    assert f"attempts {len(attempts)}" in r.output


def test_session_records_versions_and_reads_refs(tmp_path: Path) -> None:
    img = tmp_path / "photo.png"
    photo().save(img)
    mask = tmp_path / "mask.png"
    m = np.zeros((64, 64), dtype=np.uint8)
    m[20:30, 20:30] = 255
    Image.fromarray(m).save(mask)
    store = tmp_path / "store"
    base = ["--executor", "classical", "--session", "chat", "--data-dir", str(store)]
    r1 = invoke(
        "edit",
        str(img),
        "remove the dot",
        "--mask",
        str(mask),
        *base,
        "--out",
        str(tmp_path / "a" / "r.png"),
    )
    assert r1.exit_code == 0, r1.output
    mask2 = tmp_path / "mask2.png"  # the next edit removes something else (the first is gone)
    m[:] = 0
    m[40:50, 36:46] = 255
    Image.fromarray(m).save(mask2)
    r2 = invoke(
        "edit",
        "@current",
        "remove the dot",
        "--mask",
        str(mask2),
        *base,
        "--out",
        str(tmp_path / "b" / "r.png"),
    )
    assert r2.exit_code == 0, r2.output
    hist = invoke("history", "chat", "--json", "--data-dir", str(store))
    versions = json.loads(hist.stdout)
    assert len(versions) == 3  # the original file, then the two edits
    root = next(v for v in versions if v["parent"] is None)
    first = next(v for v in versions if v["parent"] == root["id"])
    second = next(v for v in versions if v["parent"] == first["id"])
    assert root["edit"].startswith("original (") and second["edit"] == first["edit"]
    bad = invoke("edit", "@ffffffffffff", "remove the dot", "--mask", str(mask), *base)
    assert bad.exit_code == 6 and bad.stderr.startswith("error: ")
    no_session = invoke("edit", "@current", "remove the dot", "--mask", str(mask))
    assert no_session.exit_code == 2 and "--session" in no_session.stderr


def test_a_fallback_is_printed_first_and_recorded(
    tmp_path: Path, astronaut_path: Path, write_mask, empty_hf_cache: None
) -> None:
    """A GPU plan run here without its weights: the classical fill stands in, the first line says
    so (with the fix), provenance.json and qa.json list it, and the verdict is not a plain pass."""
    mask = write_mask((512, 512), (300, 60, 365, 125))
    out = tmp_path / "run" / "r.png"
    r = invoke(
        "edit",
        str(astronaut_path),
        "remove the sign",
        "--mask",
        str(mask),
        "--hardware",
        "gpu-24gb",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    first = r.stdout.splitlines()[0]
    assert (
        first.startswith("degraded Ran the weight-free PatchMatch fill") and "hf download" in first
    )
    verdict = r.stdout.splitlines()[-1]
    assert verdict.startswith("verdict Ran the weight-free") and "degraded:" in verdict
    for name in ("provenance.json", "qa.json"):
        entries = json.loads((out.parent / name).read_text())["degraded"]
        assert [e["what"] for e in entries] == ["executor"]
