"""retouch's executor overhead against calling the same diffusers pipeline directly. Run by hand:

    .venv/bin/python tests/bench/bench_executor_overhead.py [--size 512] [--repeats 5]

Target: ``run_plan`` within 5% of the direct call. Both run the same loaded pipeline object (a tiny
random SD inpaint model with SD's real VAE factor of 8, built in-process, no download) on the same
photo, mask, prompt, seed and steps, no crop, alternating, after one warm-up each; the medians are
compared, and run_plan's own stage timings (total minus the pipeline call) are reported
beside them, since wall-time medians on a busy machine carry a few % of noise. The overhead measured is everything retouch adds around the pipeline: reading the plan's
mask, mask preparation, mode split/merge, the composite, colour match and the mask hash.
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

import torch  # noqa: E402
from retouch.executors.diffusion import loading  # noqa: E402
from retouch.executors.diffusion.pipelines import PIPELINES  # noqa: E402
from retouch.executors.images import masks  # noqa: E402
from retouch.executors.run import run_plan  # noqa: E402
from retouch.planner import analyze, make_plan  # noqa: E402
from retouch.server.requests import build_request  # noqa: E402

from tests.support import tiny_models  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512, help="image side in pixels")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        model = tiny_models.save_sd(tmp / "inpaint", "inpaint", vae_levels=4)
        img = Image.fromarray(skimage.data.astronaut()).resize((args.size, args.size))
        img.save(tmp / "source.png")
        m = np.zeros((args.size, args.size), dtype=bool)
        s = args.size
        m[s // 4 : s // 2, s // 3 : 2 * s // 3] = True
        masks.to_pil(m).save(tmp / "mask.png")
        request = build_request(
            str(tmp / "source.png"), "remove the sign", mask=str(tmp / "mask.png"), steps=args.steps
        )
        plan = make_plan(request, analyze(request))
        plan = plan.model_copy(update={"crop": plan.crop.model_copy(update={"enabled": False})})
        first = run_plan(plan, image=img, model=str(model), executor="diffusers")  # warm-up+load
        ref = loading.resolve_model(plan, str(model), allow_download=False)
        pipe, cached = loading.load_pipeline(
            PIPELINES[("sd-inpaint", "inpaint", None)],
            ref,
            device=first.provenance.device,
            dtype=first.provenance.dtype or "float32",
        )
        assert cached, "the benchmark must call the very pipeline run_plan used"
        mask_img = masks.to_pil(first.edit_mask)

        def direct() -> Image.Image:
            return pipe(
                prompt=plan.prompt.positive,
                negative_prompt=plan.prompt.negative or None,
                image=img,
                mask_image=mask_img,
                height=s,
                width=s,
                strength=1.0,
                num_inference_steps=plan.steps,
                guidance_scale=plan.guidance.text,
                generator=torch.Generator("cpu").manual_seed(plan.seed),
            ).images[0]

        own: list[float] = []  # run_plan's time outside the pipeline call, from its timings

        def retouch() -> Image.Image:
            out = run_plan(plan, image=img, model=str(model), executor="diffusers")
            own.append(out.provenance.timings["total"] - out.provenance.timings["model"])
            return out.raw

        same = np.array_equal(np.asarray(direct()), np.asarray(retouch()))  # warm-up both
        t_direct, t_retouch = [], []
        for _ in range(args.repeats):
            for fn, acc in ((direct, t_direct), (retouch, t_retouch)):
                t0 = time.perf_counter()
                fn()
                acc.append(time.perf_counter() - t0)
        d, r = statistics.median(t_direct), statistics.median(t_retouch)
        print(
            f"image {s}x{s}, {plan.steps} steps, tiny SD inpaint (VAE factor 8), "
            f"{torch.get_num_threads()} threads, {args.repeats} repeats, medians"
        )
        print(f"direct pipeline call   {d:8.3f} s")
        print(f"retouch run_plan       {r:8.3f} s")
        print(f"overhead               {r - d:8.3f} s  ratio {r / d:.3f}  (target <= 1.05)")
        o = statistics.median(own)
        print(
            f"retouch's own stages   {o:8.3f} s  = {o / d:.1%} of the direct call (mask, "
            "tiles, stitch, colour match, composite, mode merge, hash)"
        )
        print(f"raw output identical to the direct call: {same}")


if __name__ == "__main__":
    main()
