"""Texture-restoring fill vs plain Telea, on scikit-image photos with known ground truth. By hand:

    .venv/bin/python tests/bench/bench_texture_fill.py

Boxes (24-63 px) are cut out of real photos at random, filled both ways side by side, and compared
with the pixels that were there: the detail-energy ratio (mean |image - blur(image)| inside the box,
fill over ground truth; 1 = the photo's own grain, a smear is far below 1), PSNR, and time.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import skimage.data

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from retouch.executors.classical.fill import ClassicalExecutor  # noqa: E402
from retouch.executors.classical.texture import detail_layer  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "cat", "immunohistochemistry")


def _energy(img: np.ndarray, m: np.ndarray) -> float:
    return float(np.abs(detail_layer(img)[m]).mean())


def _psnr(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    mse = float(((a[m].astype(float) - b[m].astype(float)) ** 2).mean())
    return 10 * np.log10(255**2 / max(mse, 1e-9))


def main() -> None:
    rng = np.random.default_rng(0)
    plain = ClassicalExecutor("telea", texture=False)
    textured = ClassicalExecutor("telea", texture=True)
    rows = []
    for name in PHOTOS:
        img = np.ascontiguousarray(getattr(skimage.data, name)()[..., :3])
        h, w = img.shape[:2]
        for k in range(8):
            s = int(rng.integers(24, 64))
            y, x = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
            m = np.zeros((h, w), bool)
            m[y : y + s, x : x + s] = True
            t0 = time.perf_counter()
            a = plain(img, m)
            t1 = time.perf_counter()
            b = textured(img, m, seed=k)
            t2 = time.perf_counter()
            truth = _energy(img, m)
            rows.append(
                (
                    _energy(a, m) / truth,
                    _energy(b, m) / truth,
                    _psnr(a, img, m),
                    _psnr(b, img, m),
                    t1 - t0,
                    t2 - t1,
                )
            )
    col = list(zip(*rows, strict=True))
    closer = sum(abs(np.log(r[1])) < abs(np.log(r[0])) for r in rows)
    print(f"{len(rows)} boxes on {len(PHOTOS)} photos")
    print("| fill | detail energy / truth (median, IQR) | PSNR dB (median) | ms (median) |")
    print("| --- | --- | --- | --- |")
    for label, e, p, t in (
        ("Telea", col[0], col[2], col[4]),
        ("Telea + texture", col[1], col[3], col[5]),
    ):
        q1, q3 = np.percentile(e, [25, 75])
        print(
            f"| {label} | {statistics.median(e):.2f} ({q1:.2f}-{q3:.2f}) | "
            f"{statistics.median(p):.2f} | {1000 * statistics.median(t):.1f} |"
        )
    print(f"\ntexture closer to the photo's own grain in {closer} of {len(rows)} boxes")


if __name__ == "__main__":
    main()
