"""Face models on CPU, per image: detection (HOG, and the CNN once, with the faces it found),
5- and 68-point landmarks, the aligned 128-D embedding, a face-part mask (glasses) and the QA
identity measure (detection in both images + embeddings). Run by hand:

    .venv/bin/python tests/bench/bench_faces.py [--repeats N] [--no-cnn]

Photos: scikit-image's astronaut (one face, 512 px), coffee and chelsea (no face), matplotlib's
Grace Hopper (one face, 512x600), and the astronaut and Grace side by side (two faces). Medians of
``--repeats`` runs after one warm-up (the models load once per process; the load is timed apart).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from retouch.executors.faces import detect_faces, faces_available, models  # noqa: E402
from retouch.executors.faces.embed import embedding  # noqa: E402
from retouch.executors.faces.landmarks import landmarks  # noqa: E402
from retouch.executors.faces.regions import part_mask  # noqa: E402
from retouch.executors.qa.identity import face_distances  # noqa: E402


def photos() -> dict[str, np.ndarray]:
    import matplotlib

    grace = np.asarray(
        Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").convert(
            "RGB"
        )
    )
    astronaut = skimage.data.astronaut()
    pair = np.full((512, 512 + 437, 3), 255, np.uint8)
    pair[:, :512] = astronaut
    pair[:, 512:] = np.asarray(Image.fromarray(grace).resize((437, 512)))
    return {
        "astronaut": astronaut,
        "coffee": skimage.data.coffee(),
        "chelsea": skimage.data.chelsea(),
        "grace-hopper": grace,
        "two-people": pair,
    }


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def load_times() -> None:
    for name in ("hog", "landmarks5", "landmarks68", "embedding", "cnn"):
        t = time.perf_counter()
        models.load(name)  # type: ignore[arg-type]
        print(f"load {name:<12} {1000 * (time.perf_counter() - t):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-cnn", action="store_true", help="skip the CNN detector (~6 s)")
    args = parser.parse_args()
    if not faces_available():
        sys.exit("the face models are not installed: pip install 'retouch[faces]'")
    load_times()
    print(f"{'photo':<14}{'size':>10}{'faces':>6}{'hog ms':>9}{'lm5 ms':>9}{'lm68 ms':>9}"
          f"{'embed ms':>9}{'mask ms':>9}{'qa ms':>9}{'cnn ms':>9}{'cnn':>5}")  # fmt: skip
    for name, rgb in photos().items():
        print(row_for(name, rgb, args.repeats, cnn=not args.no_cnn))


def row_for(name: str, rgb: np.ndarray, repeats: int, cnn: bool) -> str:
    """One photo's line: faces found and the median time of each step."""
    faces = detect_faces(rgb)
    row = [median_ms(lambda: detect_faces(rgb), repeats)]
    if faces:
        f = faces[0]
        row += [
            median_ms(lambda: landmarks(rgb, f, 5), repeats),
            median_ms(lambda: landmarks(rgb, f, 68), repeats),
            median_ms(lambda: embedding(rgb, f), repeats),
            median_ms(lambda: part_mask(rgb, f, "glasses"), repeats),
        ]
    else:
        row += [float("nan")] * 4
    row.append(median_ms(lambda: face_distances(rgb, rgb), repeats))
    cnn_ms = float("nan")
    if cnn:  # once: seconds per image on CPU
        t = time.perf_counter()
        found = detect_faces(rgb, cnn=True)
        cnn_ms = 1000 * (time.perf_counter() - t)
        row.append(len(found))
    else:
        row.append(float("nan"))
    size = f"{rgb.shape[1]}x{rgb.shape[0]}"
    cells = "".join(f"{v:>9.1f}" for v in row[:-1])
    return f"{name:<14}{size:>10}{len(faces):>6}{cells}{cnn_ms:>9.0f}{row[-1]:>5.0f}"


if __name__ == "__main__":
    main()
