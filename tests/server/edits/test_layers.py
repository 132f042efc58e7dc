"""Layers out through the edit service (issue 30, item 2): a weight-free removal (the classical
executor, no fake) asked for with "keep it as a layer" writes result.png, the background, the
removed object (alpha = the edit mask) and the composite as layers/NN-name.png, plus layers.ora
and layers.psd. The layered files are read back by readers retouch did not write: pyora (an
OpenRaster library) and psd-tools; each one's composite equals result.png pixel for pixel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.planner.contract.schema import EditRequest
from retouch.server.edits.job import EditJob, EditOutcome, RunSettings
from retouch.server.edits.sequence import carry_out, plan_for

SIDE = 128


def _job(tmp_path: Path, astronaut: Image.Image, edit: str, **request: object) -> EditJob:
    image = astronaut.resize((SIDE, SIDE))
    image.save(tmp_path / "photo.png")
    mask = np.zeros((SIDE, SIDE), dtype=np.uint8)
    mask[12:44, 78:114] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    req = EditRequest(
        image=str(tmp_path / "photo.png"), edit=edit, mask=str(tmp_path / "mask.png"), **request
    )
    prefs = req.preferences.model_copy(update={"hardware": "cpu"})
    plan = plan_for(req.model_copy(update={"preferences": prefs}))
    settings = RunSettings(executor="classical", device="cpu")
    return EditJob(plan=plan, image=image, mask=mask > 127, settings=settings)


@pytest.fixture
def removal(tmp_path: Path, astronaut: Image.Image) -> EditOutcome:
    job = _job(tmp_path, astronaut, "remove the object but keep it as a layer")
    assert job.plan.layers and job.plan.intent == "remove"
    assert job.plan.prompt.positive and "layer" not in job.plan.prompt.positive
    outcome = carry_out(job, tmp_path / "run" / "result")
    assert outcome.provenance.executor == "classical"  # weight-free
    return outcome


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA"))


def test_a_removal_with_layers_writes_background_object_and_composite(
    removal: EditOutcome,
) -> None:
    files, mask = removal.files, removal.output.edit_mask
    assert files is not None and files.layers_note is None
    folder = files.folder
    assert [p.relative_to(folder).as_posix() for p in files.layers] == [
        "layers/01-background.png",
        "layers/02-removed-object.png",
        "layers/03-composite.png",
        "layers.ora",
        "layers.psd",
    ]
    assert all(p.is_file() for p in files.layers)
    bg, obj, comp = (Image.open(p) for p in files.layers[:3])
    assert {bg.mode, obj.mode, comp.mode} == {"RGBA"}
    assert bg.size == obj.size == comp.size == (SIDE, SIDE)
    assert np.array_equal(np.asarray(obj)[..., 3], np.where(mask, 255, 0))  # alpha = mask
    source = np.asarray(removal.source)
    assert np.array_equal(np.asarray(obj)[..., :3][mask], source[mask])  # the object as it was
    result = _pixels(files.result)
    assert not np.array_equal(result[..., :3][mask], source[mask])  # the region was filled
    assert np.array_equal(np.asarray(bg), result)
    assert np.array_equal(np.asarray(comp), result)  # the composite is result.png


def test_the_ora_reads_back_with_pyora_and_composites_to_the_result(
    removal: EditOutcome,
) -> None:
    from pyora import Project

    files = removal.files
    assert files is not None
    project = Project.load(str(files.folder / "layers.ora"))
    assert project.dimensions == (SIDE, SIDE)
    layers = {layer.name: layer for layer in project.iter_layers}
    assert set(layers) == {"background", "removed-object"}
    assert layers["background"].visible and not layers["removed-object"].visible
    obj = np.asarray(layers["removed-object"].get_image_data(raw=True))
    assert np.array_equal(obj[..., 3], np.where(removal.output.edit_mask, 255, 0))
    result = _pixels(files.result)
    rendered = np.asarray(project.get_image_data(use_original=False).convert("RGBA"))
    assert np.array_equal(rendered, result)  # pyora's own renderer, visible layers only
    merged = np.asarray(project.get_image_data(use_original=True).convert("RGBA"))
    assert np.array_equal(merged, result)  # the stored mergedimage.png


def test_the_psd_opens_with_psd_tools_and_composites_to_the_result(
    removal: EditOutcome,
) -> None:
    from psd_tools import PSDImage

    files = removal.files
    assert files is not None
    psd = PSDImage.open(files.folder / "layers.psd")
    assert psd.size == (SIDE, SIDE)
    assert [(layer.name, layer.visible) for layer in psd] == [
        ("background", True),
        ("removed-object", False),
    ]
    result = _pixels(files.result)[..., :3]
    assert np.array_equal(np.asarray(psd.topil().convert("RGB")), result)  # stored merged image
    forced = psd.composite(force=True)  # psd-tools composites the layers itself
    assert np.array_equal(np.asarray(forced.convert("RGB")), result)
    hidden = list(psd)[1]
    assert not hidden.has_mask()  # alpha is the layer's transparency, not a layer mask
    obj = np.asarray(hidden.topil())
    assert np.array_equal(obj[..., 3], np.where(removal.output.edit_mask, 255, 0))


def test_without_layers_no_layer_files_are_written(tmp_path: Path, astronaut: Image.Image) -> None:
    job = _job(tmp_path, astronaut, "remove the object")
    assert not job.plan.layers
    files = carry_out(job, tmp_path / "run" / "result").files
    assert files is not None and files.layers == () and files.layers_note is None
    assert not (files.folder / "layers").exists() and not (files.folder / "layers.ora").exists()


def test_the_request_option_asks_for_layers_too(tmp_path: Path, astronaut: Image.Image) -> None:
    job = _job(tmp_path, astronaut, "remove the object", layers=True)
    assert job.plan.layers
    files = carry_out(job, tmp_path / "run" / "result").files
    assert files is not None and [p.name for p in files.layers][-2:] == ["layers.ora", "layers.psd"]


def test_an_extension_layers_the_original_at_its_offset(
    tmp_path: Path, astronaut: Image.Image
) -> None:
    from retouch.planner.contract.schema import Extend

    image = astronaut.resize((SIDE, SIDE))
    image.save(tmp_path / "photo.png")
    req = EditRequest(
        image=str(tmp_path / "photo.png"),
        edit="extend the image",
        extend=Extend(left=16, right=32),
        layers=True,
    )
    plan = plan_for(
        req.model_copy(
            update={"preferences": req.preferences.model_copy(update={"hardware": "cpu"})}
        )
    )
    job = EditJob(plan=plan, image=image, settings=RunSettings(executor="classical", device="cpu"))
    files = carry_out(job, tmp_path / "run" / "result").files
    assert files is not None and files.layers_note is None
    original, edit, comp = (np.asarray(Image.open(p)) for p in files.layers[:3])
    assert [p.name for p in files.layers[:2]] == ["01-original.png", "02-edit.png"]
    assert original.shape == (SIDE, SIDE + 48, 4)
    assert np.array_equal(original[:, 16 : 16 + SIDE, :3], np.asarray(image))  # at its offset
    assert not original[:, :16, 3].any() and not original[:, 16 + SIDE :, 3].any()
    assert np.array_equal(comp, _pixels(files.result))
