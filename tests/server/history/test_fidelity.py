"""The history keeps each image as the user gave it (server/history/files.py): a CMYK JPEG comes
back CMYK with its ICC profile (kept as a lossless TIFF object), 16-bit colour and 16-bit grey PNGs
come back with every low byte, and the .tif objects live like the .png ones (dedup, gc, verify,
the planner's source path, the session root reused for the same file)."""

from __future__ import annotations

import base64
import io
from hashlib import sha256
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import deep_pixels, open_image
from retouch.server.history.files import encode_object, encode_png
from retouch.server.history.hooks import record_original, source_path
from retouch.server.history.store import Store

from tests.executors.images.fidelity_cases import make

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "data")


def _cmyk(tmp_path: Path) -> Image.Image:
    """The fidelity cases' CMYK JPEG, opened as a front opens it, carrying an ICC profile."""
    image = open_image(make("cmyk-jpeg", tmp_path / "in").source)
    assert image.mode == "CMYK"
    image.info["icc_profile"] = SRGB  # any profile: the store keeps its bytes, never reads them
    return image


def test_a_cmyk_jpeg_comes_back_cmyk_with_its_profile(store: Store, tmp_path: Path) -> None:
    image = _cmyk(tmp_path)
    v = store.add_version("s", parent=None, edit="original", image=image)
    path = store.object_path(v.image_sha256)
    assert path.name == f"{v.image_sha256}.tif"
    assert sha256(path.read_bytes()).hexdigest() == v.image_sha256
    back = store.load_image(v)
    assert back.mode == "CMYK" and back.size == image.size
    assert np.array_equal(np.asarray(back), np.asarray(image))  # lossless: no JPEG re-encode
    assert back.info.get("icc_profile") == SRGB
    # content-addressed like a PNG: the same image again adds a version, not a file
    again = store.add_version("s", parent=v.id, edit="again", image=image)
    assert again.image_sha256 == v.image_sha256
    assert sorted(p.name for p in store.objects.glob("*/*")) == [path.name]


@pytest.mark.parametrize(("name", "mode"), [("rgb16", "RGB"), ("grey16", "I;16")])
def test_16bit_pngs_come_back_with_every_low_byte(
    name: str, mode: str, store: Store, tmp_path: Path
) -> None:
    image = open_image(make(name, tmp_path / "in").source)
    v = store.add_version("s", parent=None, edit="original", image=image)
    assert store.object_path(v.image_sha256).suffix == ".png"
    back = store.load_image(v)
    assert back.mode == mode
    if name == "rgb16":
        assert np.array_equal(deep_pixels(back), deep_pixels(image))
        assert back.info.get("icc_profile") == image.info["icc_profile"]
    else:
        low = np.asarray(image, dtype=np.uint16) & 0xFF
        assert low.any() and np.array_equal(np.asarray(back), np.asarray(image))


def test_tiff_objects_are_collected_and_verified_like_pngs(store: Store, tmp_path: Path) -> None:
    kept = store.add_version("s", parent=None, edit="original", image=_cmyk(tmp_path))
    orphan = store.put_file(encode_object(Image.new("CMYK", (8, 8), (1, 2, 3, 4))))
    assert store.object_path(orphan).suffix == ".tif"
    report = store.gc()
    assert report.files_removed == 1 and report.files_kept == 1
    assert not store.object_path(orphan).exists()
    assert store.object_path(kept.image_sha256).exists() and store.verify() == []
    store.object_path(kept.image_sha256).write_bytes(b"II*\x00 damaged")
    assert store.verify() == [
        f"version {kept.id}: image_sha256 file {kept.image_sha256}.tif is damaged"
    ]


def test_a_cmyk_session_root_is_reused_and_read_back_from_its_file(
    store: Store, tmp_path: Path
) -> None:
    image = _cmyk(tmp_path)
    first = record_original(store, "s", image, request=None)
    assert record_original(store, "s", image.copy(), request=None).id == first.id
    path = source_path("@current", store, "s")  # what the planner reads for a version source
    assert path.suffix == ".tif" and open_image(path).mode == "CMYK"


def test_encoding_is_stable_and_png_stays_png() -> None:
    cmyk = Image.new("CMYK", (8, 8), (10, 20, 30, 40))
    assert encode_object(cmyk) == encode_object(cmyk.copy())
    assert encode_object(cmyk)[:4] == b"II*\x00"
    with pytest.raises(InputError, match="kept as TIFF"):
        encode_png(cmyk)
    ycbcr = Image.new("RGB", (8, 8), (200, 10, 10)).convert("YCbCr")  # no format holds it
    assert Image.open(io.BytesIO(encode_object(ycbcr))).mode == "RGB"


# ------------------------------------------------------------------ the fronts reading it back


def test_show_writes_the_cmyk_version_as_tiff_and_refuses_png(store: Store, tmp_path: Path) -> None:
    """`retouch show --out x.tif` writes the CMYK image whole; `--out x.png` is refused with the
    formats that can hold it, never a TIFF named .png."""
    from retouch.server.cli.app import get_app
    from typer.testing import CliRunner

    image = _cmyk(tmp_path)
    v = store.add_version("s", parent=None, edit="original", image=image)
    show = ["show", f"@{v.id}", "--data-dir", str(store.data_dir), "--out"]
    got = CliRunner().invoke(get_app(), [*show, str(tmp_path / "x.tif")])
    assert got.exit_code == 0, got.output
    back = open_image(tmp_path / "x.tif")
    assert back.mode == "CMYK" and np.array_equal(np.asarray(back), np.asarray(image))
    assert back.info.get("icc_profile") == SRGB
    got = CliRunner().invoke(get_app(), [*show, str(tmp_path / "x.png")])
    assert got.exit_code != 0 and not (tmp_path / "x.png").exists()
    assert "PNG cannot hold" in got.output and ".tif" in got.output, got.output


def test_the_version_resource_shows_a_cmyk_version_as_an_rgb_png(
    store: Store, tmp_path: Path
) -> None:
    """retouch://version/<id>.png is image/png: a version kept as TIFF is served converted for
    the screen, a PNG one byte for byte."""
    import anyio
    from mcp import Client
    from retouch.server.mcp.app import build_server
    from retouch.server.mcp.config import ServerConfig

    image = _cmyk(tmp_path)
    cmyk = store.add_version("s", parent=None, edit="original", image=image)
    rgb = store.add_version("s", parent=cmyk.id, edit="rgb", image=Image.new("RGB", (8, 8), 7))
    cfg = ServerConfig.create(out=tmp_path / "out", base=tmp_path, data_dir=store.data_dir)

    async def read(version_id: str) -> bytes:
        async with Client(build_server(cfg)) as client:
            got = await client.read_resource(f"retouch://version/{version_id}.png")
        return base64.b64decode(got.contents[0].blob)

    served = anyio.run(read, cmyk.id)
    shown = Image.open(io.BytesIO(served))
    assert served.startswith(b"\x89PNG") and shown.mode == "RGB" and "icc_profile" not in shown.info
    assert np.array_equal(np.asarray(shown), np.asarray(image.convert("RGB")))
    assert anyio.run(read, rgb.id) == store.read_file(rgb.image_sha256)
