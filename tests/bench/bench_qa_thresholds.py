"""Measure retouch's QA values on real photos: clean composites vs planted defects.

Run by hand: ``.venv/bin/python tests/bench/bench_qa_thresholds.py``. For every scikit-image sample
photo and several box masks it builds clean results (exact paste, OpenCV Telea fill, a soft
feathered edit) and defective ones (a patch from elsewhere pasted hard, a colour offset, a saturated
patch, a black region, a changed outside block), runs executors.qa.check.check without a plan and prints,
per check and scenario, min / median / max of the measured value. The thresholds in
planner/checklist.py were set from this table (their comments quote it). It also prints the SSIM that
the structure check measures for mild and heavy whole-image changes.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PHOTOS = [
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "immunohistochemistry",
    "camera",
    "grass",
    "brick",
]
BOXES_PER_PHOTO = 6
CHECKS = ["seam", "color-shift", "saturation", "blank", "outside-unchanged"]


def photo(name: str) -> np.ndarray:
    import skimage.data

    arr = getattr(skimage.data, name)()
    return np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr[..., :3]


def boxes(h: int, w: int, rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    out = []
    for _ in range(BOXES_PER_PHOTO):
        bw, bh = int(rng.integers(32, w // 3)), int(rng.integers(32, h // 3))
        x0, y0 = int(rng.integers(8, w - bw - 8)), int(rng.integers(8, h - bh - 8))
        out.append((x0, y0, x0 + bw, y0 + bh))
    return out


def inner_ramp(mask: np.ndarray, px: int) -> np.ndarray:
    """float32 (H, W, 1): 0 outside the mask, ramping to 1 over ``px`` pixels inside it."""
    from retouch.executors.images.composite import stitch_weights

    return stitch_weights(mask, px)[..., None]


def scenarios(
    src: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator
) -> dict[str, tuple[np.ndarray, int]]:
    """Scenario name -> (result uint8 (H, W, 3), the composite's inward feather in px)."""
    import cv2

    h, w = mask.shape
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    f = src.astype(np.float32)
    out: dict[str, tuple[np.ndarray, int]] = {"clean: exact paste": (src.copy(), 0)}
    telea = cv2.inpaint(src, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    out["clean: telea fill"] = (telea, 0)
    soft = cv2.GaussianBlur(f, (0, 0), 1.5)
    a = inner_ramp(mask, 6)
    out["clean: soft edit, feathered 6 px"] = (
        np.clip(a * soft + (1 - a) * f, 0, 255).astype(np.uint8),
        6,
    )
    # a patch from elsewhere in the photo, pasted with no feather: a seam
    for _ in range(20):
        sx, sy = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
        if abs(sx - x0) > bw or abs(sy - y0) > bh:
            break
    pasted = src.copy()
    pasted[y0:y1, x0:x1] = src[sy : sy + bh, sx : sx + bw]
    out["defect: foreign patch, hard"] = (pasted, 0)
    a = inner_ramp(mask, 8)
    out["defect: foreign patch, feathered 8 px"] = (
        np.clip(a * pasted + (1 - a) * f, 0, 255).astype(np.uint8),
        8,
    )
    offset = np.array([18.0, -12.0, 14.0])
    shifted = f.copy()
    shifted[mask] += offset
    out["defect: colour offset, hard"] = (np.clip(shifted, 0, 255).astype(np.uint8), 0)
    out["defect: colour offset, feathered 8 px"] = (
        np.clip(f + a * offset, 0, 255).astype(np.uint8),
        8,
    )
    hsv = cv2.cvtColor(src, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * 3.0 + 60, 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * 1.3, 0, 255)
    sat = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    out["defect: saturated patch"] = (np.where(mask[..., None], sat, src), 0)
    out["defect: black region"] = (np.where(mask[..., None], 0, src).astype(np.uint8), 0)
    changed = src.copy()
    cy, cx = (0, 0) if y0 >= 8 else (h - 8, w - 8)  # an 8x8 corner block, clear of the box
    changed[cy : cy + 8, cx : cx + 8] ^= 0x40
    out["defect: outside block changed"] = (changed, 0)
    return out


def plan_with_feather(tmp: Path, src: np.ndarray, mask: np.ndarray, feather: int):  # type: ignore[no-untyped-def]
    """A real plan for removing the masked region, with the composite's feather set to ``feather``."""
    from retouch.executors.images.masks import to_pil
    from retouch.planner import analyze, make_plan
    from retouch.planner.contract.schema import EditRequest

    Image.fromarray(src).save(tmp / "source.png")
    to_pil(mask).save(tmp / "mask.png")
    request = EditRequest(
        image=str(tmp / "source.png"), edit="remove it", mask=str(tmp / "mask.png"), scene="a photo"
    )
    plan = make_plan(request, analyze(request))
    return plan.model_copy(update={"mask": plan.mask.model_copy(update={"feather_px": feather})})


def main() -> None:
    import tempfile

    from retouch.executors.qa.check import check as qa

    from tests.conftest import box_mask

    rng = np.random.default_rng(0)
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    tmp = Path(tempfile.mkdtemp())
    for name in PHOTOS:
        src = photo(name)
        h, w = src.shape[:2]
        for box in boxes(h, w, rng):
            mask = box_mask((w, h), box)
            for scenario, (res, feather) in scenarios(src, mask, box, rng).items():
                plan = plan_with_feather(tmp, src, mask, feather) if feather else None
                report = qa(Image.fromarray(src), Image.fromarray(res), mask, plan)
                for item in report.items:
                    if item.id in CHECKS and item.value is not None:
                        values[(item.id, scenario)].append(item.value)
    print(f"{len(PHOTOS)} photos x {BOXES_PER_PHOTO} boxes; value min / median / max")
    for check in CHECKS:
        print(f"\n{check}")
        for (cid, scenario), vals in sorted(values.items()):
            if cid == check:
                v = np.array(vals)
                print(f"  {scenario:42s} {v.min():8.3f} {np.median(v):8.3f} {v.max():8.3f}")
    structure_table()
    content_table()


def content_defects(
    name: str,
    src: np.ndarray,
    mask: np.ndarray,
    box: tuple[int, int, int, int],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Results for the weight-free content checks (changed, repetition): clean fills and the
    planted defects of issue 13 (an unchanged or near-unchanged region, a copy of the photo), and
    new textured content that is no copy (another photo's patch, a noise-textured fill)."""
    import cv2
    from retouch.executors.classical.fill import ClassicalExecutor

    h, w = src.shape[:2]
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    f = src.astype(np.float32)
    inside = mask[..., None]
    out = {
        "clean: telea": cv2.inpaint(src, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA),
        "clean: classical fill": ClassicalExecutor()(src, mask),
        "defect: exact paste (unchanged)": src.copy(),
        "defect: noise sigma 2": np.where(
            inside, np.clip(f + rng.normal(0, 2, f.shape), 0, 255), f
        ).astype(np.uint8),
    }
    sx = x0 - bw if x0 >= bw else x1  # the strip beside the box, mirrored into it
    mirrored = src.copy()
    mirrored[y0:y1, x0:x1] = src[y0:y1, sx : sx + bw][:, ::-1]
    out["defect: mirrored neighbour"] = mirrored
    for _ in range(20):  # a shifted copy from a place clear of the box
        cx, cy = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
        if abs(cx - x0) > bw or abs(cy - y0) > bh:
            break
    shifted = src.copy()
    shifted[y0:y1, x0:x1] = src[cy : cy + bh, cx : cx + bw]
    out["defect: shifted copy"] = shifted
    # new textured content that is no copy: another photo's patch, and a noise-textured fill
    other = photo(PHOTOS[(PHOTOS.index(name) + 1) % len(PHOTOS)])
    other = cv2.resize(other, (w, h), interpolation=cv2.INTER_AREA)
    out["clean: another photo's patch"] = np.where(inside, other, src)
    grain = np.random.default_rng(x0 + y0).normal(0, 25, f.shape)
    grain = cv2.GaussianBlur(grain.astype(np.float32), (0, 0), 1.0)
    out["clean: noise-textured fill"] = np.clip(
        np.where(inside, out["clean: telea"] + grain, f), 0, 255
    ).astype(np.uint8)
    return out


def content_table() -> None:
    """changed and repetition on clean fills vs planted copies; repetition on outpaints too."""
    from retouch.executors.classical.fill import extend_canvas
    from retouch.executors.qa import content
    from retouch.executors.qa import measures as m
    from retouch.planner.contract.schema import Extend

    from tests.conftest import box_mask

    def frame(src: np.ndarray, res: np.ndarray, region: np.ndarray, known: np.ndarray) -> m.Frame:
        return m.Frame(
            source=src.astype(np.float32),
            result=res.astype(np.float32),
            known=known,
            region=region,
            nan=np.zeros(region.shape, bool),
        )

    rng = np.random.default_rng(0)
    rows: dict[tuple[str, str], list[float]] = defaultdict(list)
    slowest = 0.0
    for name in PHOTOS:
        src = photo(name)
        h, w = src.shape[:2]
        everywhere = np.ones((h, w), bool)
        for box in boxes(h, w, rng):
            mask = box_mask((w, h), box)
            for label, res in content_defects(name, src, mask, box, rng).items():
                fr = frame(src, res, mask, everywhere)
                start = time.perf_counter()
                repeated = content.repetition(fr)
                slowest = max(slowest, time.perf_counter() - start)
                for check, got in (
                    ("changed", content.changed(fr.window(8))),
                    ("repetition", repeated),
                ):
                    if got is not None:
                        rows[(check, label)].append(got[0])
        ext = Extend(right=w // 4, bottom=h // 4)  # outpaint: the mirrored canvas vs a Telea fill
        canvas = extend_canvas(src, ext)
        known = np.zeros(canvas.shape[:2], bool)
        known[:h, :w] = True
        placed = np.zeros_like(canvas)
        placed[:h, :w] = src
        telea = cv2_inpaint(placed, ~known)
        for label, res in (
            ("defect: outpaint mirror+blur", canvas),
            ("clean: outpaint telea", telea),
        ):
            start = time.perf_counter()
            got = content.repetition(frame(placed, res, ~known, known))
            slowest = max(slowest, time.perf_counter() - start)
            if got is not None:
                rows[("repetition", label)].append(got[0])
    from retouch.planner import checklist as cl

    limits = {"changed": cl.changed().threshold, "repetition": cl.repetition().threshold}
    print("\ncontent checks: min / median / max, and the share that fails the check")
    for (check, label), vals in sorted(rows.items()):
        v = np.array(vals)
        fails = v < limits[check] if check == "changed" else v > limits[check]
        print(
            f"  {check:10s} {label:36s} {v.min():8.3f} {np.median(v):8.3f} {v.max():8.3f}"
            f"  fails {fails.mean():4.0%} of {len(v)}"
        )
    print(f"  repetition: slowest check {slowest * 1000:.0f} ms")


def cv2_inpaint(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.inpaint(image, hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)


def structure_table() -> None:
    """SSIM (the structure measure) of whole-image changes of growing strength, per photo."""
    import cv2
    from retouch.executors.qa import measures as m

    print("\nstructure: whole-image SSIM, min / median / max over photos")
    rows: dict[str, list[float]] = defaultdict(list)
    rng = np.random.default_rng(1)
    srcs = {n: photo(n) for n in PHOTOS}
    for name, src in srcs.items():
        f = src.astype(np.float32)
        other = next(p for n, p in srcs.items() if n != name)
        other = cv2.resize(other, (src.shape[1], src.shape[0]))
        changes = {
            "same image": f,
            "tone/colour grade (x1.1 +8)": np.clip(f * 1.1 + 8, 0, 255),
            "blur sigma 1": cv2.GaussianBlur(f, (0, 0), 1),
            "blur sigma 2": cv2.GaussianBlur(f, (0, 0), 2),
            "noise sigma 10": np.clip(f + rng.normal(0, 10, f.shape), 0, 255),
            "noise sigma 25": np.clip(f + rng.normal(0, 25, f.shape), 0, 255),
            "blur sigma 4": cv2.GaussianBlur(f, (0, 0), 4),
            "blur 4 + noise 25": np.clip(
                cv2.GaussianBlur(f, (0, 0), 4) + rng.normal(0, 25, f.shape), 0, 255
            ),
            "noise sigma 60": np.clip(f + rng.normal(0, 60, f.shape), 0, 255),
            "a different photo": other.astype(np.float32),
        }
        h, w = src.shape[:2]
        for label, res in changes.items():
            frame = m.Frame(
                source=f,
                result=res.astype(np.float32),
                known=np.ones((h, w), bool),
                region=np.ones((h, w), bool),
                nan=np.zeros((h, w), bool),
            )
            got = m.structure(frame)
            assert got is not None
            rows[label].append(got[0])
    for label, vals in rows.items():
        v = np.array(vals)
        print(f"  {label:42s} {v.min():8.3f} {np.median(v):8.3f} {v.max():8.3f}")


if __name__ == "__main__":
    main()
