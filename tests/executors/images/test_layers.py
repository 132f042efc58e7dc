"""Layers out (issue 30, item 2): a weight-free removal returns the background, the removed object
(alpha = mask) and the composite as ``layers/NN-name.png`` plus an OpenRaster file. The .ora is
read back without retouch's code: unzipped with zipfile and its stack.xml checked against the
OpenRaster 0.0.5 spec with ElementTree; the layers it lists, composited bottom-up with Pillow,
equal result.png."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.images import layers as lay

SIZE = (96, 64)


def _source() -> Image.Image:
    return Image.fromarray(skimage.data.coffee()).resize(SIZE, Image.Resampling.LANCZOS)


def _mask() -> np.ndarray:
    m = np.zeros((SIZE[1], SIZE[0]), bool)
    m[20:44, 30:70] = True
    return m


@pytest.fixture
def removal(tmp_path: Path) -> tuple[Path, Image.Image, Image.Image, np.ndarray]:
    """A weight-free removal through run_plan (the classical executor) and its layers."""
    from retouch.executors.run import run_plan

    from tests.executors.exec_support import tiny_plan

    source = _source()
    (tmp_path / "plan").mkdir()
    plan = tiny_plan(tmp_path / "plan", "remove the cup", image=source, mask=_mask())
    out = run_plan(plan, executor="classical")
    assert out.provenance.executor == "classical"
    out.image.save(tmp_path / "result.png")
    layers = lay.edit_layers(source, out.image, out.edit_mask, removal=True)
    lay.write_layers(tmp_path, layers, out.image)
    return tmp_path, source, out.image, out.edit_mask


def _read_ora(path: Path) -> tuple[ET.Element, dict[str, Image.Image], zipfile.ZipFile]:
    z = zipfile.ZipFile(path)
    root = ET.fromstring(z.read("stack.xml"))
    images = {n: Image.open(z.open(n)).copy() for n in z.namelist() if n.endswith(".png")}
    return root, images, z


def test_removal_layers_are_background_object_and_composite(removal) -> None:  # type: ignore[no-untyped-def]
    folder, source, result, mask = removal
    names = sorted(p.name for p in (folder / "layers").iterdir())
    assert names == ["01-background.png", "02-removed-object.png", "03-composite.png"]
    bg, obj, comp = (Image.open(folder / "layers" / n) for n in names)
    assert {bg.mode, obj.mode, comp.mode} == {"RGBA"} and bg.size == obj.size == SIZE
    alpha = np.asarray(obj)[..., 3]
    assert np.array_equal(alpha, np.where(mask, 255, 0))  # alpha = mask
    assert np.array_equal(np.asarray(obj)[..., :3][mask], np.asarray(source)[mask])
    assert np.array_equal(np.asarray(bg)[..., :3], np.asarray(result))
    assert np.array_equal(np.asarray(comp)[..., :3], np.asarray(Image.open(folder / "result.png")))
    assert not np.array_equal(np.asarray(result)[mask], np.asarray(source)[mask])  # it was filled


def test_ora_follows_the_openraster_spec(removal) -> None:  # type: ignore[no-untyped-def]
    folder, *_ = removal
    root, images, z = _read_ora(folder / "layers.ora")
    first = z.infolist()[0]  # spec: mimetype first, uncompressed, no extra field
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert z.read("mimetype") == b"image/openraster" and first.extra == b""
    assert {"stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png"} <= set(z.namelist())
    assert root.tag == "image" and root.get("version") == "0.0.5"
    assert (int(root.get("w", 0)), int(root.get("h", 0))) == SIZE
    (stack,) = list(root)
    assert stack.tag == "stack"
    for layer in stack:
        assert layer.tag == "layer" and layer.get("src") in images
        assert layer.get("visibility") in ("visible", "hidden")
        assert 0.0 <= float(layer.get("opacity", "1")) <= 1.0
        assert layer.get("composite-op", "svg:src-over").startswith("svg:")
        assert images[layer.get("src")].size == SIZE  # type: ignore[index]
    assert [layer.get("name") for layer in stack] == ["removed-object", "background"]  # top first
    assert max(images["Thumbnails/thumbnail.png"].size) <= 256


def test_ora_layers_composite_to_result_and_the_object_layer_restores_the_source(removal) -> None:  # type: ignore[no-untyped-def]
    folder, source, result, mask = removal
    root, images, _ = _read_ora(folder / "layers.ora")
    bottom_up = list(root.find("stack"))[::-1]  # type: ignore[arg-type]

    def flatten(show_all: bool) -> np.ndarray:
        out = Image.new("RGBA", SIZE, (0, 0, 0, 0))
        for layer in bottom_up:
            if show_all or layer.get("visibility") == "visible":
                out = Image.alpha_composite(out, images[layer.get("src")].convert("RGBA"))  # type: ignore[index]
        return np.asarray(out)

    expected = np.asarray(Image.open(folder / "result.png").convert("RGBA"))
    assert np.array_equal(flatten(False), expected)
    assert np.array_equal(np.asarray(images["mergedimage.png"].convert("RGBA")), expected)
    assert np.array_equal(flatten(True)[..., :3], np.asarray(source))  # object layer on: as before


def test_a_masked_edit_layers_the_edit_over_the_original(tmp_path: Path) -> None:
    source, mask = _source(), _mask()
    edited = np.asarray(source).copy()
    edited[mask] = (200, 30, 30)
    result = Image.fromarray(edited)
    layers = lay.edit_layers(source, result, mask, removal=False)
    assert [(layer.name, layer.visible) for layer in layers] == [("original", True), ("edit", True)]
    paths = lay.write_layers(tmp_path, layers, result)
    assert [p.name for p in paths] == [
        "01-original.png",
        "02-edit.png",
        "03-composite.png",
        "layers.ora",
        "layers.psd",
    ]
    without_edit = lay.composite([layers[0]])
    assert np.array_equal(np.asarray(without_edit)[..., :3], np.asarray(source))


def test_layers_that_do_not_composite_to_the_result_write_nothing(tmp_path: Path) -> None:
    source, mask = _source(), _mask()
    changed_outside = np.asarray(source).copy()
    changed_outside[0, 0] = 255 - changed_outside[0, 0]
    result = Image.fromarray(changed_outside)
    with pytest.raises(ValueError, match="do not composite"):
        lay.write_layers(tmp_path, lay.edit_layers(source, result, mask, removal=False), result)
    assert not (tmp_path / "layers").exists() and not (tmp_path / "layers.ora").exists()
    assert not (tmp_path / "layers.psd").exists()
    with pytest.raises(ValueError, match="must match"):
        lay.edit_layers(source, result, mask[:10], removal=True)


def test_a_split_cuts_the_subject_out_over_the_rest(tmp_path: Path) -> None:
    source, mask = _source(), _mask()
    layers = lay.split_layers(source, mask)
    assert [(layer.name, layer.visible) for layer in layers] == [("rest", True), ("subject", True)]
    rest, subject = (np.asarray(layer.image) for layer in layers)
    assert np.array_equal(subject[..., 3], np.where(mask, 255, 0))  # alpha = mask
    assert np.array_equal(rest[..., 3], np.where(mask, 0, 255))  # a hole where the subject was
    assert np.array_equal(subject[..., :3][mask], np.asarray(source)[mask])
    paths = lay.write_layers(tmp_path, layers, source)  # nothing filled: they composite to it
    assert [p.name for p in paths][:3] == ["01-rest.png", "02-subject.png", "03-composite.png"]
    with pytest.raises(ValueError, match="bool mask"):
        lay.split_layers(source, mask.astype(np.uint8))
