"""Hypothesis strategies for hostile input (issue 15): numbers, file names, image bytes, plan JSON
mutated field by field, and tool arguments built from each tool's input schema."""

from __future__ import annotations

import io
import json
import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st
from PIL import Image

# ------------------------------------------------------------------------------------- numbers

BAD_NUMBERS = [math.nan, math.inf, -math.inf, -1, -(2**31), 2**32, 2**63, 10**30, 1e308, 0, 0.5]
numbers = st.one_of(
    st.sampled_from(BAD_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
number_text = st.one_of(
    numbers.map(str), st.sampled_from(["nan", "inf", "-inf", "1e999", "0x10", "", " ", "1,2"])
)

# ------------------------------------------------------------------------------------- names

file_names = st.one_of(
    st.sampled_from(
        [
            os.fsdecode(b"img-\xff\xfe.png"),
            "x" * 300 + ".png",
            "a/" * 2100 + "x.png",
            "../outside.png",
            "/etc/passwd",
            "/proc/self/environ",
            "file:///etc/passwd",
            "photo.png\x00.txt",
            "@current",
            "@zzzz",
            "out",
            "",
            " ",
            "nul\n.png",
            "фото.png",
            "😀.png",
        ]
    ),
    st.text(min_size=1, max_size=40).map(lambda s: s + ".png"),
)

# ------------------------------------------------------------------------------------- images


def png_bytes(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def header_bomb() -> bytes:
    """A PNG whose header claims 100000x100000 pixels."""
    raw = bytearray(png_bytes(Image.new("L", (1, 1))))
    raw[16:24] = struct.pack(">II", 100_000, 100_000)
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(raw[12:29])) & 0xFFFFFFFF)
    return bytes(raw)


def _odd(kind: str, w: int, h: int) -> bytes:
    arr = np.random.default_rng(w * 1000 + h).integers(0, 255, (h, w, 3), dtype=np.uint8)
    rgb = Image.fromarray(arr)
    if kind == "cmyk":
        return png_bytes(rgb.convert("CMYK"), "JPEG")
    if kind == "rgba":
        return png_bytes(rgb.convert("RGBA"))
    if kind == "i16":
        return png_bytes(rgb.convert("L").convert("I;16"))
    if kind == "p":
        return png_bytes(rgb.convert("P"))
    if kind == "gif":
        return png_bytes(rgb, "GIF")
    return png_bytes(rgb)


odd_images = st.one_of(
    st.builds(
        _odd,
        st.sampled_from(["rgb", "cmyk", "rgba", "i16", "p", "gif"]),
        st.sampled_from([1, 2, 3, 64, 256]),
        st.sampled_from([1, 2, 3, 48]),
    ),
    st.just(header_bomb()),
    st.binary(max_size=64),
    st.builds(
        lambda b, n: b[:n], st.just(png_bytes(Image.new("RGB", (64, 48)))), st.integers(8, 80)
    ),
)

# ------------------------------------------------------------------------------------- JSON

leaf_values = st.one_of(
    numbers,
    st.none(),
    st.booleans(),
    st.text(max_size=20),
    st.just("x" * 5000),
    st.just([]),
    st.just({}),
    st.just([[[[[[[[1]]]]]]]]),
    file_names,
)


def leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a leaf (and to every container) of a JSON value."""
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            paths += leaf_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            paths += leaf_paths(v, (*prefix, i))
    return paths


@st.composite
def mutated(draw: st.DrawFn, base: dict) -> dict:
    """``base`` with one field (any depth) replaced by a hostile value, or an unknown key added."""
    doc = json.loads(json.dumps(base))
    paths = leaf_paths(doc)
    if not paths or draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(["bogus", "__proto__", "image_base64x"]))] = 1
        return doc
    path = draw(st.sampled_from(paths))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = draw(leaf_values)
    return doc


def snapshot(folder: Path, skip: Path | None = None) -> set[str]:
    """Every file under ``folder`` (not under ``skip``), relative."""
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink()) and (skip is None or not p.is_relative_to(skip))
    }


def workspace(work: Path) -> Path:
    """``work`` with photo.png (64x48 noise) and mask.png (a 20x20 square, white = edit)."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(work / "photo.png")
    m = np.zeros((48, 64), dtype=np.uint8)
    m[10:30, 10:30] = 255
    Image.fromarray(m, "L").save(work / "mask.png")
    return work
