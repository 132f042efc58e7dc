"""A cut-out with no other edit (issue 30, item 2): "put the subject on its own layer" with a
mask is planned as the removal of the subject, weight-free (PatchMatch) here; the run keeps that
fill only as the background layer under the subject (alpha = the mask file's own levels, its
feathered edge kept), and result.png is the source unchanged. On a real photo (astronaut, 256 px)
through the CLI and through MCP run_edit: the layers composite to result.png, which is the
source pixel for pixel; the subject's alpha is the mask; the background has no transparent pixel
and is filled where the subject was; QA measured the fill and says why the result is the source.
The matting solve is checked alone on random soft edges, where some levels have no exact colour
and the background moves instead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.executors.images.layers import CUTOUT_VERDICT, composite, cutout_layers
from typer.testing import CliRunner

SIDE = 256
CENTRE, RADII = (196, 206), (22, 30)  # (x, y); a subject on the right, clear of the face
NAMES = ["01-background.png", "02-subject.png", "03-composite.png"]


def _soft_mask() -> np.ndarray:
    """An ellipse, 255 inside, a 6 px linear ramp across its edge (every level 1..254 occurs)."""
    yy, xx = np.mgrid[:SIDE, :SIDE]
    r = np.hypot((xx - CENTRE[0]) / RADII[0], (yy - CENTRE[1]) / RADII[1])
    return np.clip((1 - r) * RADII[0] * 255 / 6 + 127.5, 0, 255).astype(np.uint8)


@pytest.fixture
def inputs(tmp_path: Path, astronaut: Image.Image) -> tuple[Path, Path, np.ndarray]:
    photo, mask = tmp_path / "photo.png", tmp_path / "m.png"
    astronaut.resize((SIDE, SIDE)).save(photo)
    soft = _soft_mask()
    Image.fromarray(soft, "L").save(mask)
    return photo, mask, soft


def _rgba(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA"))


def _check_cutout(folder: Path, photo: Path, soft: np.ndarray) -> None:
    assert sorted(p.name for p in (folder / "layers").iterdir()) == NAMES
    source, result = _rgba(photo), _rgba(folder / "result.png")
    bg, subject, comp = (np.asarray(Image.open(folder / "layers" / n)) for n in NAMES)
    assert np.array_equal(result, source)  # result.png is the source, by design
    assert np.array_equal(comp, result)  # the written composite
    assert np.array_equal(np.asarray(composite_of(bg, subject)), source)  # and recomputed
    assert subject.shape == bg.shape == (SIDE, SIDE, 4)
    assert np.array_equal(subject[..., 3], soft)  # alpha = the mask, its soft edge kept
    assert ((soft > 0) & (soft < 255)).sum() > 300  # ... and there was a soft edge to keep
    assert (bg[..., 3] == 255).all()  # the background has no hole
    core = soft == 255
    moved = np.abs(bg[..., :3][core].astype(int) - source[..., :3][core].astype(int)).mean()
    assert moved > 10  # filled where the subject was, not the subject again
    assert np.array_equal(bg[soft == 0], source[soft == 0])  # the rest of the photo as it was
    with_pyora = _pyora(folder / "layers.ora")
    assert with_pyora["names"] == ["background", "subject"]  # pyora lists bottom first
    assert np.array_equal(with_pyora["rendered"], source)


def composite_of(bg: np.ndarray, subject: np.ndarray) -> Image.Image:
    return Image.alpha_composite(Image.fromarray(bg, "RGBA"), Image.fromarray(subject, "RGBA"))


def _pyora(path: Path) -> dict[str, object]:
    """The .ora read by pyora (an OpenRaster library retouch did not write)."""
    from pyora import Project

    project = Project.load(str(path))
    layers = list(project.iter_layers)
    assert all(layer.visible for layer in layers)
    rendered = np.asarray(project.get_image_data(use_original=False).convert("RGBA"))
    return {"names": [layer.name for layer in layers], "rendered": rendered}


def test_the_cli_cut_out_keeps_the_source_and_layers_the_subject(
    tmp_path: Path, inputs: tuple[Path, Path, np.ndarray]
) -> None:
    from retouch.server.cli.app import get_app

    photo, mask, soft = inputs
    out = tmp_path / "run" / "result.png"
    args = ["edit", str(photo), "put the subject on its own layer", "--mask", str(mask)]
    r = CliRunner().invoke(get_app(), [*args, "--executor", "classical", "--out", str(out)])
    assert r.exit_code == 0, r.output
    _check_cutout(out.parent, photo, soft)
    assert "layers  layers/01-background.png, layers/02-subject.png" in r.stdout
    import json

    plan = json.loads((out.parent / "plan.json").read_text())
    assert plan["layers"] and plan["intent"] == "remove" and plan["mask"]["dilate_px"] == 0
    assert "layers-subject-cutout" in [hit["id"] for hit in plan["rules"]]
    qa = json.loads((out.parent / "qa.json").read_text())
    items = {i["id"]: i for i in qa["items"]}
    assert items["layers-composite"]["status"] == "pass" and items["layers-composite"]["value"] == 0
    assert items["outside-unchanged"]["status"] == "pass"  # the removal's checks, on the fill
    assert items["changed"]["value"] > 0  # measured on the fill, not on the unchanged source
    assert qa["verdict"].endswith(CUTOUT_VERDICT)
    doc = (out.parent / "skill-editing-pipeline.md").read_text()
    assert "a cut-out" in doc and "`result.png` is the source unchanged" in doc
    # the comparison's third panel is the filled background, not the unchanged result
    from retouch.server.edits.images import COMPARE_PX, GAP

    row = np.asarray(Image.open(out.parent / "comparison.png").convert("RGB"))[:COMPARE_PX]
    w = (row.shape[1] - 2 * GAP) // 3
    left, right = row[:, :w].astype(int), row[:, -w:].astype(int)
    assert np.abs(left - right).mean() > 1.0


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_run_edit_cuts_out_the_subject_too(
    tmp_path: Path, inputs: tuple[Path, Path, np.ndarray]
) -> None:
    from mcp import Client
    from retouch.server.mcp.app import build_server
    from retouch.server.mcp.config import ServerConfig
    from retouch.server.mcp.schemas import RunEditOutput

    photo, mask, soft = inputs
    cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path)
    request = {
        "image": "photo.png",
        "mask": "m.png",
        "edit": "cut out the subject onto its own layer",
    }
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool("run_edit", {"executor": "classical", "request": request})
        assert not result.is_error, result.content[0].text
    out = RunEditOutput.model_validate(result.structured_content)
    assert out.layers is not None
    assert [Path(r.path).name for r in out.layers] == [*NAMES, "layers.ora", "layers.psd"]
    _check_cutout(Path(out.result.path).parent, photo, soft)
    assert CUTOUT_VERDICT in out.verdict


def test_a_source_with_alpha_gets_no_cut_out_and_says_why(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    from retouch.planner.contract.schema import EditRequest
    from retouch.server.edits.job import EditJob, RunSettings
    from retouch.server.edits.sequence import carry_out, plan_for

    image = astronaut.resize((SIDE, SIDE)).convert("RGBA")
    image.save(tmp_path / "photo.png")
    Image.fromarray(_soft_mask(), "L").save(tmp_path / "m.png")
    req = EditRequest(
        image=str(tmp_path / "photo.png"), edit="keep it as a layer", mask=str(tmp_path / "m.png")
    )
    job = EditJob(plan_for(req), image, settings=RunSettings(executor="classical"))
    outcome = carry_out(job, tmp_path / "run" / "result")
    files = outcome.files
    assert files is not None and files.layers == ()
    assert (
        files.layers_note is not None and "8-bit RGB or grey source, not RGBA" in files.layers_note
    )
    assert np.array_equal(_rgba(files.result), np.asarray(image))  # still the source
    item = next(i for i in outcome.report.items if i.id == "layers-composite")
    assert item.status == "skipped"


@pytest.mark.parametrize("seed", [0, 1])
def test_the_soft_edge_solve_composites_back_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = 48, 64
    source = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (h, w)).astype(np.uint8)
    alpha[:8] = 0
    alpha[-8:] = 255
    fill = np.where((alpha >= 128)[..., None], rng.integers(0, 256, (h, w, 3)), source)
    cut = cutout_layers(Image.fromarray(source), Image.fromarray(fill.astype(np.uint8)), alpha)
    bg, subject = (np.asarray(layer.image) for layer in cut.layers)
    assert np.array_equal(np.asarray(composite(cut.layers))[..., :3], source)
    assert np.array_equal(subject[..., 3], alpha)
    assert np.array_equal(subject[..., :3][alpha == 255], source[alpha == 255])
    moved = (bg[..., :3] != fill).any(-1)
    assert cut.moved == moved.sum() > 0  # random fills leave some levels unreachable ...
    assert ((subject[..., :3][moved] == 0) | (subject[..., :3][moved] == 255)).any(-1).all()
    step = np.abs(bg[..., :3][moved].astype(int) - fill[moved]).max(-1)
    far = np.abs(source[moved].astype(int) - fill[moved]).max(-1)
    assert (step <= far).all() and (step < far).mean() > 0.9  # ... moved less than all the way
    solved = (alpha >= 128) & (alpha < 255) & ~moved & (fill != source).any(-1)
    assert solved.sum() > 100 and not np.array_equal(subject[solved], source[solved])


def test_a_cut_out_over_a_face_runs_weight_free_and_a_removal_is_still_refused(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    """The weight-free fill refuses to remove what covers a face (it would smear skin where the
    eyes were); a cut-out of the person is not refused (its result is the source and the face
    goes on the subject layer): it runs under the default executor, degraded, the face said."""
    from retouch.server.cli.app import get_app

    photo, mask = tmp_path / "photo.png", tmp_path / "m.png"
    astronaut.resize((SIDE, SIDE)).save(photo)
    m = np.zeros((SIDE, SIDE), np.uint8)
    m[10:140, 80:180] = 255  # her head, the face (~(88, 41, 133, 85) at this size) inside
    Image.fromarray(m, "L").save(mask)
    base = ["edit", str(photo), "--mask", str(mask), "--hardware", "cpu"]
    removal = CliRunner().invoke(
        get_app(), [*base[:2], "remove her", *base[2:], "--out", str(tmp_path / "r/result.png")]
    )
    assert removal.exit_code != 0 and "cannot rebuild a face" in removal.output
    out = tmp_path / "c" / "result.png"
    cut = CliRunner().invoke(
        get_app(), [*base[:2], "put her on her own layer", *base[2:], "--out", str(out)]
    )
    assert cut.exit_code == 0, cut.output
    assert "cannot rebuild a face" in cut.output and "degraded" in cut.output
    assert np.array_equal(_rgba(out), _rgba(photo))
    assert sorted(p.name for p in (out.parent / "layers").iterdir()) == NAMES
