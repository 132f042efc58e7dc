"""Fidelity below the fronts: reading 16-bit colour, the one encoder (executors/images/encode.py),
split/merge in the source's mode and depth, a transparent extension, and QA's size-mode on what was
written. Every case of issue 25 runs through run_plan (the weight-free classical executor) and is
written by encode.save_image, then compared byte-exactly outside the edit (fidelity_cases)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.executors.images import encode
from retouch.executors.images import modes as imagemodes
from retouch.executors.qa.check import check, with_written
from retouch.executors.run import run_plan
from retouch.planner import analyze, make_plan
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.imageio import (
    bit_depth,
    deep_pixels,
    open_image,
    upright,
    with_deep_pixels,
)
from retouch.server.requests import build_request

from tests.executors.images.fidelity_cases import CASES, SRGB, assert_faithful, make, photo

RNG = np.random.default_rng(7)


def deep_photo(alpha: bool = False) -> np.ndarray:
    """uint16 (128, 128, 3|4): the photo in the high bytes, noise in the low bytes."""
    rgb = photo()
    if alpha:
        rgb = np.dstack([rgb, np.tile(np.linspace(0, 255, 128, dtype=np.uint8), (128, 1))])
    return (rgb.astype(np.uint16) << 8) | RNG.integers(0, 256, rgb.shape, dtype=np.uint16)


# ------------------------------------------------------------------------------- reading


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("how", ["cv2-png", "tiff", "tiff-zlib"])
def test_16bit_colour_is_read_with_every_bit(tmp_path: Path, channels: int, how: str) -> None:
    import cv2
    import tifffile

    deep = deep_photo(alpha=channels == 4)
    if how == "cv2-png":  # written by another program, not by retouch
        path = tmp_path / "deep.png"
        order = [2, 1, 0, 3][:channels]
        cv2.imwrite(str(path), deep[..., order])
    else:
        path = tmp_path / "deep.tif"
        extra = {"extrasamples": ("unassalpha",)} if channels == 4 else {}
        compression = "zlib" if how == "tiff-zlib" else None
        tifffile.imwrite(path, deep, photometric="rgb", compression=compression, **extra)
    img = open_image(path)
    assert img.mode == ("RGB" if channels == 3 else "RGBA") and bit_depth(img) == 16
    assert np.array_equal(deep_pixels(img), deep)


def test_planning_can_skip_the_second_decode(tmp_path: Path) -> None:
    case = make("rgb16", tmp_path)
    quick = open_image(case.source, deep=False)
    assert bit_depth(quick) == 8 and bit_depth(open_image(case.source)) == 16
    assert np.array_equal(np.asarray(quick), np.asarray(open_image(case.source)))


def test_changed_8bit_pixels_drop_the_stale_16bit_ones() -> None:
    img = with_deep_pixels(deep_photo())
    assert deep_pixels(img) is not None
    img.putpixel((3, 3), (0, 0, 0) if img.getpixel((3, 3)) != (0, 0, 0) else (9, 9, 9))
    assert deep_pixels(img) is None and bit_depth(img) == 8
    assert deep_pixels(img.resize((64, 64))) is None


def test_exif_rotated_16bit_png_is_read_upright(tmp_path: Path) -> None:
    deep = deep_photo()[:, :96]  # 96 wide, 128 tall as shown
    stored = np.rot90(deep, k=1).copy()  # rotated 90 degrees counter-clockwise on disk
    exif = Image.Exif()
    exif[0x0112] = 6  # show rotated 90 degrees clockwise
    png = encode.encode_image(with_deep_pixels(stored), "PNG")
    # the encoder writes no orientation (it stores upright), so add the tag as a camera would
    chunk = encode._chunk(b"eXIf", exif.tobytes())
    path = tmp_path / "rotated.png"
    path.write_bytes(png[:33] + chunk + png[33:])
    assert np.array_equal(deep_pixels(open_image(path)), deep)


def test_an_image_given_with_an_orientation_is_made_upright_at_16_bits() -> None:
    deep = deep_photo()[:, :96]
    exif = Image.Exif()
    exif[0x0112] = 6
    given = with_deep_pixels(
        np.rot90(deep, k=1).copy(), {"exif": exif.tobytes(), "icc_profile": SRGB}
    )
    shown = upright(given)
    assert shown.size == (96, 128) and np.array_equal(deep_pixels(shown), deep)
    assert shown.getexif().get(0x0112, 1) == 1 and shown.info["icc_profile"] == SRGB
    assert upright(shown) is shown


# ------------------------------------------------------------------------------- writing

EXACT = {  # mode -> a way to build it from the photo
    "1": lambda: Image.fromarray(photo()).convert("1"),
    "L": lambda: Image.fromarray(photo()).convert("L"),
    "LA": lambda: Image.fromarray(photo()).convert("RGBA").convert("LA"),
    "P": lambda: Image.fromarray(photo()).convert("P", palette=Image.Palette.ADAPTIVE),
    "RGB": lambda: Image.fromarray(photo()),
    "RGBA": lambda: Image.fromarray((deep_photo(alpha=True) >> 8).astype(np.uint8)),
    "I;16": lambda: Image.fromarray(deep_photo()[..., 0]),
    "CMYK": lambda: Image.fromarray(photo()).convert("CMYK"),
    "LAB": lambda: Image.fromarray(photo()).convert("LAB"),
    "RGB;16": lambda: with_deep_pixels(deep_photo()),
    "RGBA;16": lambda: with_deep_pixels(deep_photo(alpha=True)),
}


def held(image: Image.Image) -> np.ndarray:
    deep = deep_pixels(image)
    return deep if deep is not None else np.asarray(image)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "WEBP", "JPEG"])
@pytest.mark.parametrize("kind", list(EXACT))
def test_a_format_keeps_the_mode_exactly_or_refuses(kind: str, fmt: str, tmp_path: Path) -> None:
    img = EXACT[kind]()
    img.info["icc_profile"] = SRGB if kind not in ("CMYK", "LAB") else None
    assert encode.kind(img) == kind
    if kind not in encode.HOLDS[fmt]:
        with pytest.raises(InputError) as err:
            encode.encode_image(img, fmt)
        can = [f"{f} ({encode.SUFFIX[f]})" for f in encode.HOLDS if kind in encode.HOLDS[f]]
        assert f"{fmt} cannot hold" in str(err.value) and all(c in str(err.value) for c in can)
        assert "--" not in str(err.value)
        return
    path = tmp_path / f"out{encode.SUFFIX[fmt]}"
    encode.save_image(img, path)
    got = encode.read_back(path.read_bytes())
    assert (got.mode, got.depth, got.size) == (kind, bit_depth(img), img.size)
    assert got.icc == img.info["icc_profile"]
    back = open_image(path)
    if fmt != "JPEG":  # lossless: every value comes back
        assert np.array_equal(held(back), held(img))


def test_an_opaque_rgba_is_refused_by_webp_which_would_drop_its_alpha() -> None:
    img = Image.fromarray(photo()).convert("RGBA")
    with pytest.raises(InputError, match="WEBP cannot hold an RGBA image.*PNG"):
        encode.encode_image(img, "WEBP")


def test_16bit_png_is_standard_and_deterministic(tmp_path: Path) -> None:
    import cv2

    img = with_deep_pixels(deep_photo(alpha=True), {"icc_profile": SRGB})
    data = encode.encode_image(img, "PNG")
    assert data == encode.encode_image(img, "PNG")
    (tmp_path / "x.png").write_bytes(data)
    other = cv2.imread(str(tmp_path / "x.png"), cv2.IMREAD_UNCHANGED)  # another decoder
    assert other.dtype == np.uint16 and np.array_equal(other[..., [2, 1, 0, 3]], held(img))
    assert encode.suffix_for(img) == ".png"
    img.info["dpi"] = (300, 300)
    with Image.open(io.BytesIO(encode.encode_image(img, "PNG"))) as back:
        assert tuple(round(d) for d in back.info["dpi"]) == (300, 300)
    assert encode.suffix_for(Image.new("CMYK", (4, 4))) == ".tif"


def test_exif_is_written_without_its_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "camera"
    img = Image.fromarray(photo())
    img.info["exif"] = exif.tobytes()
    deep = with_deep_pixels(deep_photo(), {"exif": exif.tobytes()})
    for fmt, image in [(f, img) for f in ("PNG", "JPEG", "TIFF", "WEBP")] + [("PNG", deep)]:
        with Image.open(io.BytesIO(encode.encode_image(image, fmt))) as back:
            tags = back.getexif()
            assert 0x0112 not in tags and tags.get(0x010F) == "camera", fmt


def test_unknown_suffix_is_one_clear_error() -> None:
    with pytest.raises(InputError, match=r"\.png, \.tif, \.jpg or \.webp"):
        encode.format_of("result.bmp")


# ------------------------------------------------------------------------------- split / merge


def test_merge_keeps_16bit_values_outside_the_change_and_scales_inside() -> None:
    deep = deep_photo(alpha=True)
    src = imagemodes.split(with_deep_pixels(deep, {"icc_profile": SRGB}))
    assert src.scale == 257 and np.array_equal(
        src.rgb[src.alpha > 0], (deep >> 8)[..., :3][src.alpha > 0]
    )
    changed = np.zeros((128, 128), dtype=bool)
    changed[40:60, 40:60] = True
    new = np.full((128, 128, 3), 200, dtype=np.uint8)
    out = held(imagemodes.merge(src, new, changed))
    assert out.dtype == np.uint16 and np.array_equal(out[~changed], deep[~changed])
    assert (out[changed][:, :3] == 200 * 257).all()
    assert np.array_equal(out[changed][:, 3], deep[changed][:, 3])  # alpha stays the source's


def test_colour_under_alpha_zero_is_hidden_from_the_models() -> None:
    rgba = np.dstack([photo(), np.full((128, 128), 255, dtype=np.uint8)])
    rgba[:, :30, 3] = 0
    src = imagemodes.split(Image.fromarray(rgba))
    assert (src.rgb[:, :30] == 0).all() and np.array_equal(src.rgb[:, 30:], photo()[:, 30:])


def test_canvas_alpha_mirrors_the_edge() -> None:
    rgba = np.dstack([photo(), np.full((128, 128), 255, dtype=np.uint8)])
    rgba[:, :10, 3] = 0  # transparent left edge, opaque elsewhere
    src = imagemodes.split(Image.fromarray(rgba))
    alpha = imagemodes.canvas_alpha(src, (128 + 8 + 8, 128 + 4), (8, 4))
    assert (alpha[:, :8] == 0).all()  # left: transparent, as the edge it continues
    assert (alpha[:, -8:] == 255).all() and (alpha[:4, 20:] == 255).all()
    assert np.array_equal(alpha[4:, 8:-8], rgba[..., 3])


# ------------------------------------------------------------------------------- run_plan


def plan_for(case, edit: str | None = None):  # type: ignore[no-untyped-def]
    extend = ",".join(map(str, case.extend)) if case.extend else None
    mask = str(case.mask) if case.mask else None
    request = build_request(str(case.source), edit or case.edit, mask=mask, extend=extend)
    return make_plan(request, analyze(request))


@pytest.mark.parametrize("name", CASES)
def test_every_case_runs_and_is_written_faithfully(name: str, tmp_path: Path) -> None:
    case = make(name, tmp_path / "in")
    plan = plan_for(case)
    out = run_plan(plan, executor="classical")
    path = tmp_path / f"result{encode.suffix_for(out.image)}"
    assert path.suffix == case.out_suffix
    encode.save_image(out.image, path)
    assert_faithful(case, path)
    ran = plan.model_copy(update={"executor": "classical"})  # as the edit service checks
    report = check(
        open_image(case.source), out.image, out.edit_mask, ran, written=path.read_bytes()
    )
    statuses = {i.id: i.status for i in report.items}
    assert statuses["size-mode"] == "pass"
    if case.extend:  # the new canvas is transparent: no pixel measure judges it
        assert "fail" not in statuses.values(), report.verdict
        assert out.provenance.params["new_canvas_alpha"] == "mirrored from the source's edge"


def test_an_extension_that_asks_to_fill_is_opaque(tmp_path: Path) -> None:
    case = make("rgba-extend", tmp_path)
    out = run_plan(plan_for(case, "extend the canvas and fill it"), executor="classical")
    alpha = np.asarray(out.image)[..., 3]
    assert (alpha[:16] == 255).all() and (alpha[:, :16] == 255).all()
    assert out.provenance.params["new_canvas_alpha"] == "opaque (the edit asks to fill)"


def test_size_mode_fails_a_16bit_source_written_8bit(tmp_path: Path) -> None:
    case = make("rgb16", tmp_path)
    plan = plan_for(case)
    out = run_plan(plan, executor="classical")
    source = open_image(case.source)
    buf = io.BytesIO()
    out.image.save(buf, format="PNG")  # Pillow's own PNG writer: 8-bit
    lost = buf.getvalue()
    report = check(source, out.image, out.edit_mask, plan, written=lost)
    item = next(i for i in report.items if i.id == "size-mode")
    assert item.status == "fail" and "RGB 8-bit (as written)" in item.detail
    assert "expected 128x128 RGB;16 16-bit" in item.detail and not report.passed
    # a report made before writing, corrected by what was written
    before = check(source, out.image, out.edit_mask, plan)
    assert next(i for i in before.items if i.id == "size-mode").status == "pass"
    after = with_written(before, source, lost, plan)
    assert next(i for i in after.items if i.id == "size-mode").status == "fail"
    kept = with_written(before, source, encode.encode_image(out.image, "PNG"), plan)
    assert next(i for i in kept.items if i.id == "size-mode").status == "pass"


def test_size_mode_fails_cmyk_written_as_rgb(tmp_path: Path) -> None:
    case = make("cmyk-jpeg", tmp_path)
    plan = plan_for(case)
    out = run_plan(plan, executor="classical")
    assert out.image.mode == "CMYK"
    rgb = encode.encode_image(out.image.convert("RGB"), "PNG")
    report = check(open_image(case.source), out.image, out.edit_mask, plan, written=rgb)
    item = next(i for i in report.items if i.id == "size-mode")
    assert item.status == "fail" and "expected 128x128 CMYK" in item.detail


def test_a_result_name_is_refused_before_the_run(tmp_path: Path) -> None:
    source = open_image(make("cmyk-jpeg", tmp_path).source)  # the result has the source's mode
    assert encode.check_holds(source, "TIFF") == "CMYK"
    with pytest.raises(InputError, match=r"PNG cannot hold a CMYK image.*TIFF \(\.tif\)"):
        encode.check_holds(source, encode.format_of(tmp_path / "result.png"))
