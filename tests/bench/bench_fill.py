"""The weight-free fill against Telea on real photos with known truth, and the copied-subject check.
By hand (about a minute on one core):

    .venv/bin/python tests/bench/bench_fill.py

1. Fill: 8 box holes (4 scikit-image photos x a small and a medium box, at seeded random places)
   are cut out, filled by PatchMatch (the default) and by plain Telea, and compared with the pixels
   that were there: mean PSNR in the hole, the texture ratio (sum over holes of the fill's mean
   |Laplacian| in the hole / the truth's; 1 = the photo's own detail, a smear is far below 1), and
   the time per fill. Acceptance (issue 26): PatchMatch PSNR >= Telea's, texture 0.7-1.3.
2. Extension: each photo extended to 16:9 (or 200 px more height) from the background:
   ``extension_background_ok``'s numbers per side, and whether it runs.
3. The copied-subject part of the repetition check (executors/qa/subjects.py ``copied_subjects``)
   on clean fills (false alarms) and on planted copies of the astronaut's face (misses).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import skimage.data

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from retouch.executors.classical.extend import (  # noqa: E402
    band_measures,
    extension_background_ok,
    extension_subject,
)
from retouch.executors.classical.fill import ClassicalExecutor, extend_canvas  # noqa: E402
from retouch.executors.qa.measures import Frame  # noqa: E402
from retouch.executors.qa.subjects import copied_subjects  # noqa: E402
from retouch.planner.contract.errors import PlanError  # noqa: E402
from retouch.planner.contract.schema import Extend  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
SIDES = (24, 64)  # px: the small and the medium box
QA_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "cat", "camera")


def photo(name: str) -> np.ndarray:
    arr = getattr(skimage.data, name)()
    arr = np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr[..., :3]
    return np.ascontiguousarray(arr)


def laplacian(img: np.ndarray, m: np.ndarray) -> float:
    import cv2

    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[m].mean())


def psnr(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    mse = float(((a[m].astype(float) - b[m].astype(float)) ** 2).mean())
    return 10 * np.log10(255**2 / max(mse, 1e-9))


def holes(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    for name in PHOTOS:
        img = photo(name)
        h, w = img.shape[:2]
        for s in SIDES:
            y, x = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
            m = np.zeros((h, w), bool)
            m[y : y + s, x : x + s] = True
            out.append((name, img, m))
    return out


def bench_fill() -> None:
    fills = {"PatchMatch": ClassicalExecutor(), "Telea": ClassicalExecutor("telea", texture=False)}
    cases = holes(np.random.default_rng(0))
    print(f"## fill: {len(cases)} box holes ({', '.join(PHOTOS)} x {SIDES} px)\n")
    print("| fill | mean PSNR in the hole, dB | texture ratio | ms per fill (mean, max) |")
    print("| --- | --- | --- | --- |")
    for label, fill in fills.items():
        scores, got, truth, times = [], 0.0, 0.0, []
        for k, (_, img, m) in enumerate(cases):
            t0 = time.perf_counter()
            out = fill(img, m, seed=k)
            times.append(time.perf_counter() - t0)
            scores.append(psnr(out, img, m))
            got, truth = got + laplacian(out, m), truth + laplacian(img, m)
        print(
            f"| {label} | {np.mean(scores):.2f} | {got / truth:.2f} | "
            f"{1000 * np.mean(times):.0f}, {1000 * max(times):.0f} |"
        )


def to_16x9(h: int, w: int) -> Extend:
    want = round(h * 16 / 9)
    if want > w:
        return Extend(left=(want - w) // 2, top=0, right=want - w - (want - w) // 2, bottom=0)
    return Extend(left=0, top=100, right=0, bottom=100)


def bench_extension() -> None:
    print("\n## extension to 16:9 from the background\n")
    print("| photo | side: subject at edge, background share, on strong edges | runs | s |")
    print("| --- | --- | --- | --- |")
    for name in QA_PHOTOS:
        img = photo(name)
        e = to_16x9(*img.shape[:2])
        subject = extension_subject(img, e)
        sides = "; ".join(
            f"{s}: {a:.2f}, {b:.2f}, {c:.2f}"
            for s, (a, b, c) in band_measures(img, e, subject).items()
        )
        ok, _ = extension_background_ok(img, e, subject)
        t0 = time.perf_counter()
        ran = "refused"
        if ok:
            ClassicalExecutor().extend(extend_canvas(img, e), _new_area(img, e), e)
            ran = "runs"
        print(f"| {name} | {sides} | {ran} | {time.perf_counter() - t0:.1f} |")


def _new_area(img: np.ndarray, e: Extend) -> np.ndarray:
    h, w = img.shape[:2]
    new = np.ones((h + e.top + e.bottom, w + e.left + e.right), bool)
    new[e.top : e.top + h, e.left : e.left + w] = False
    return new


def frame(src: np.ndarray, res: np.ndarray, region: np.ndarray, known: np.ndarray) -> Frame:
    return Frame(
        source=np.where(known[..., None], src, 0).astype(np.float32),
        result=res.astype(np.float32),
        known=known,
        region=region,
        nan=np.zeros(region.shape, bool),
    )


def bench_copied_subjects() -> None:
    import cv2

    print("\n## copied subjects (the repetition check fails these outright)\n")
    alarms, clean = [], 0
    rng = np.random.default_rng(1)
    for name in QA_PHOTOS:
        img = photo(name)
        h, w = img.shape[:2]
        for k, (_, _, m) in enumerate(holes(rng)[:4]):
            m = cv2.resize(m.astype(np.uint8), (w, h)) > 0
            for fill in (ClassicalExecutor(), ClassicalExecutor("telea")):
                clean += 1
                why = copied_subjects(frame(img, fill(img, m, seed=k), m, np.ones((h, w), bool)))
                alarms += [f"{name} fill: {why}"] if why else []
        e = to_16x9(h, w)
        canvas = extend_canvas(img, e)
        new = _new_area(img, e)
        src = np.zeros_like(canvas)
        src[~new] = img.reshape(-1, 3)
        try:
            out, _ = ClassicalExecutor().extend(canvas, new, e)
        except PlanError:
            out = None
        for label, res in (("PatchMatch extension", out), ("Telea extension", _telea(canvas, new))):
            if res is not None:
                clean += 1
                why = copied_subjects(frame(src, res, new, ~new))
                alarms += [f"{name} {label}: {why}"] if why else []
    print(f"clean fills and extensions: {clean}, false alarms: {len(alarms)}")
    for a in alarms:
        print("  -", a)
    print(f"planted copies of the astronaut's face caught: {_planted()}")


def _telea(canvas: np.ndarray, new: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.inpaint(canvas, new.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)


def _planted() -> str:
    """The astronaut extended 200 px left and right, the strips filled with (a) the mirror prefill
    (b) the face pasted (c) the face mirrored and blurred (d) the whole photo shifted in."""
    import cv2

    img = photo("astronaut")
    e = Extend(left=200, top=0, right=200, bottom=0)
    canvas = extend_canvas(img, e)
    new = _new_area(img, e)
    src = np.zeros_like(canvas)
    src[~new] = img.reshape(-1, 3)
    face = img[60:190, 160:280]
    pasted = canvas.copy()
    pasted[60:190, 40:160] = face
    blurred = canvas.copy()
    blurred[200:330, 720:840] = cv2.GaussianBlur(face[:, ::-1], (0, 0), 4)
    shifted = canvas.copy()
    shifted[:, :200] = img[:, 100:300]
    cases = {"mirror prefill": canvas, "pasted": pasted, "mirrored+blurred": blurred}
    cases["shifted photo"] = shifted
    caught = [k for k, res in cases.items() if copied_subjects(frame(src, res, new, ~new))]
    return f"{len(caught)} of {len(cases)} ({', '.join(caught) or 'none'})"


if __name__ == "__main__":
    bench_fill()
    bench_extension()
    bench_copied_subjects()
