"""`retouch edit --layers` through the CLI runner: a weight-free removal on a real photo writes
result.png, layers/NN-name.png, layers.ora and layers.psd, and the layers composite to the result;
a saved plan run with --layers writes them too, and the words alone ask as well."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from retouch.server.cli.app import get_app
from typer.testing import CliRunner

runner = CliRunner()
SIDE = 256
BOX = (200, 190, 236, 226)  # plain background right of the shuttle


def _edit(tmp_path: Path, astronaut: Image.Image, write_mask, *extra: str):  # type: ignore[no-untyped-def]
    src = tmp_path / "astronaut.png"
    astronaut.resize((SIDE, SIDE)).save(src)
    mask = write_mask((SIDE, SIDE), BOX)
    out = tmp_path / "run" / "result.png"
    args = ["edit", str(src), *extra[:1], "--mask", str(mask), "--executor", "classical"]
    r = runner.invoke(get_app(), [*args, "--out", str(out), *extra[1:]])
    assert r.exit_code == 0, r.output
    return r, out.parent


def _layer_names(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "layers").iterdir())


def _check_layers(folder: Path) -> None:
    assert _layer_names(folder) == [
        "01-background.png",
        "02-removed-object.png",
        "03-composite.png",
    ]
    result = np.asarray(Image.open(folder / "result.png").convert("RGBA"))
    assert np.array_equal(np.asarray(Image.open(folder / "layers" / "03-composite.png")), result)
    obj = np.asarray(Image.open(folder / "layers" / "02-removed-object.png"))
    edit = np.asarray(Image.open(folder / "mask.png")) > 127
    assert np.array_equal(obj[..., 3], np.where(edit, 255, 0))  # alpha = the edit mask
    with zipfile.ZipFile(folder / "layers.ora") as z:
        assert z.read("mimetype") == b"image/openraster"
    assert (folder / "layers.psd").read_bytes()[:4] == b"8BPS"


def test_edit_with_layers_writes_the_layer_files(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:  # type: ignore[no-untyped-def]
    r, folder = _edit(tmp_path, astronaut, write_mask, "remove the spot", "--layers")
    _check_layers(folder)
    assert "layers  layers/01-background.png" in r.stdout and "layers.psd" in r.stdout
    assert json.loads((folder / "plan.json").read_text())["layers"] is True


def test_the_words_ask_for_layers_and_a_saved_plan_takes_the_flag(
    tmp_path: Path, astronaut: Image.Image, write_mask
) -> None:  # type: ignore[no-untyped-def]
    _, folder = _edit(tmp_path, astronaut, write_mask, "remove the spot but keep it as a layer")
    _check_layers(folder)
    plain = tmp_path / "plain"
    plain.mkdir()
    _, first = _edit(plain, astronaut, write_mask, "remove the spot")
    assert not (first / "layers").exists() and not (first / "layers.ora").exists()
    plan = first / "plan.json"
    again = tmp_path / "again" / "result.png"
    args = ["edit", str(plain / "astronaut.png"), "remove the spot", "--plan", str(plan)]
    r = runner.invoke(
        get_app(), [*args, "--executor", "classical", "--out", str(again), "--layers"]
    )
    assert r.exit_code == 0, r.output
    _check_layers(again.parent)
