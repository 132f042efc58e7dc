"""Crop-to-mask against full frame on a 2048x2048 image with a small mask. Run by hand:

    .venv/bin/python tests/bench/bench_crop.py [--size 2048] [--steps 2] [--repeats 1]

Target: crop-and-stitch at least 4x faster than running the model on the full frame. One tiny
random SD inpaint model (SD's real VAE factor of 8, built in-process, no download), one photo, one
80x80 mask; the same plan run with crop on (the padded box resized to SD's native 512 px) and off
(the full 2048 px frame), alternating, after a warm-up; medians compared. Both results keep every
pixel outside the mask; the report says so.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from retouch.executors.images import masks  # noqa: E402
from retouch.executors.run import run_plan  # noqa: E402
from retouch.planner import analyze, make_plan  # noqa: E402
from retouch.server.requests import build_request  # noqa: E402

from tests.support import tiny_models  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    s = args.size
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        model = str(tiny_models.save_sd(tmp / "inpaint", "inpaint", vae_levels=4))
        img = Image.fromarray(skimage.data.astronaut()).resize((s, s), Image.Resampling.LANCZOS)
        img.save(tmp / "source.png")
        m = np.zeros((s, s), dtype=bool)
        m[s // 2 : s // 2 + 80, s // 3 : s // 3 + 80] = True
        masks.to_pil(m).save(tmp / "mask.png")
        request = build_request(
            str(tmp / "source.png"), "remove the sign", mask=str(tmp / "mask.png"), steps=args.steps
        )
        plan = make_plan(request, analyze(request))
        crop_on = plan.model_copy(update={"crop": plan.crop.model_copy(update={"enabled": True})})
        crop_off = plan.model_copy(update={"crop": plan.crop.model_copy(update={"enabled": False})})
        runs = {"crop": crop_on, "full": crop_off}
        times: dict[str, list[float]] = {k: [] for k in runs}
        outs = {}
        run_plan(crop_on, image=img, model=model, executor="diffusers")  # load + warm up
        for _ in range(args.repeats):
            for name, p in runs.items():
                t0 = time.perf_counter()
                outs[name] = run_plan(p, image=img, model=model, executor="diffusers")
                times[name].append(time.perf_counter() - t0)
        src = np.asarray(img)
        c, f = statistics.median(times["crop"]), statistics.median(times["full"])
        print(
            f"image {s}x{s}, mask 80x80 ({m.mean():.3%}), {args.steps} steps, tiny SD inpaint "
            f"(VAE factor 8), {args.repeats} repeat(s), medians"
        )
        for name, t in (("crop-and-stitch", c), ("full frame", f)):
            out = outs["crop" if name.startswith("crop") else "full"]
            kept = np.array_equal(np.asarray(out.image)[~out.edit_mask], src[~out.edit_mask])
            print(
                f"{name:16s} {t:8.2f} s  model ran on {out.provenance.params['work_sizes']}  "
                f"outside kept: {kept}"
            )
        print(f"speed-up {f / c:.1f}x  (target >= 4x)")


if __name__ == "__main__":
    main()
