"""Measures the weight-free fill's envelope thresholds (planner/envelope.py) on real photos.

Square holes of growing side at seeded random places in scikit-image photos are filled with
PatchMatch (on a crop: the hole grown by two hole-widths, as executors/classical does); each hole's
PSNR against the true pixels is compared with a flat fill of the ring's mean colour, and grouped by
the hole's width / the short side and by how many strong edges enter it (executors/envelope).
Where PatchMatch's gain over the flat fill vanishes, the fill restores nothing the surroundings
tell: that is the large-hole limit. Holes with edges entering show the structure limit.

    .venv/bin/python tests/bench/bench_envelope.py [--quick]

A benchmark, not a test: it prints a table and the time per fill.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from retouch.executors.envelope import edge_crossings

PHOTOS = ("astronaut", "coffee", "rocket", "chelsea", "immunohistochemistry", "camera", "brick")
SIDES = (16, 32, 64, 96, 128, 160)


def photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    return np.stack([img] * 3, axis=-1) if img.ndim == 2 else img[..., :3]


def fill(rgb: np.ndarray, hole: np.ndarray, side: int) -> np.ndarray:
    import patchmatch

    ys, xs = np.nonzero(hole)
    pad = max(32, 2 * side)
    y0, y1 = max(0, ys.min() - pad), min(rgb.shape[0], ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(rgb.shape[1], xs.max() + 1 + pad)
    patchmatch.set_random_seed(0)
    crop = patchmatch.inpaint(
        np.ascontiguousarray(rgb[y0:y1, x0:x1]),
        np.ascontiguousarray(hole[y0:y1, x0:x1].astype(np.uint8)),
        patch_size=3,
    )
    out = rgb.copy()
    out[y0:y1, x0:x1] = crop
    return out


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def one(rgb: np.ndarray, y: int, x: int, side: int) -> tuple[float, float, int, float]:
    hole = np.zeros(rgb.shape[:2], bool)
    hole[y : y + side, x : x + side] = True
    ring = np.zeros_like(hole)
    ring[max(0, y - 4) : y + side + 4, max(0, x - 4) : x + side + 4] = True
    ring &= ~hole
    t0 = time.perf_counter()
    filled = fill(rgb, hole, side)
    seconds = time.perf_counter() - t0
    flat = rgb.copy()
    flat[hole] = rgb[ring].mean(axis=0).round().astype(np.uint8)
    gain = psnr(filled[hole], rgb[hole]) - psnr(flat[hole], rgb[hole])
    return gain, psnr(filled[hole], rgb[hole]), edge_crossings(rgb, hole), seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2 places per size, 4 photos")
    args = parser.parse_args()
    places = 2 if args.quick else 6
    photos = PHOTOS[:4] if args.quick else PHOTOS
    rows: list[tuple[str, float, float, float, int, float, int]] = []
    rng = np.random.default_rng(0)
    for name in photos:
        rgb = photo(name)
        h, w = rgb.shape[:2]
        for side in SIDES:
            for _ in range(places):
                y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
                gain, p, crossings, s = one(rgb, y, x, side)
                rows.append((name, side / min(h, w), gain, p, crossings, s, side))
    print("width/short-side  holes  PSNR(PM)  gain over flat (dB)  [no edges | >=2 edges]")
    edges = sorted({0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4})
    for lo, hi in zip(edges, edges[1:] + [9.0], strict=True):
        sel = [r for r in rows if lo <= r[1] < hi]
        if not sel:
            continue
        plain = [r[2] for r in sel if r[4] < 2]
        crossed = [r[2] for r in sel if r[4] >= 2]
        print(
            f"{lo:4.2f}-{hi:4.2f}  {len(sel):5d}  {np.mean([r[3] for r in sel]):7.2f}  "
            f"{np.mean([r[2] for r in sel]):+6.2f}  "
            f"[{np.mean(plain) if plain else float('nan'):+6.2f} n={len(plain)} | "
            f"{np.mean(crossed) if crossed else float('nan'):+6.2f} n={len(crossed)}]"
        )
    print("side px  holes  gain (no edges)  gain (>=2 edges)")
    for side in SIDES:
        sel = [r for r in rows if r[6] == side]
        plain = [r[2] for r in sel if r[4] < 2]
        crossed = [r[2] for r in sel if r[4] >= 2]
        print(
            f"{side:7d}  {len(sel):5d}  {np.mean(plain) if plain else float('nan'):+6.2f} "
            f"n={len(plain):3d}  {np.mean(crossed) if crossed else float('nan'):+6.2f} "
            f"n={len(crossed):3d}"
        )
    print(f"mean seconds per fill: {np.mean([r[5] for r in rows]):.2f} ({len(rows)} fills)")


if __name__ == "__main__":
    main()
