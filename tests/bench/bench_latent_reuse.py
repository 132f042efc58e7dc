"""Latent reuse: the second edit of a region, on the previous result, with and without the cache.

    .venv/bin/python tests/bench/bench_latent_reuse.py [--family sd-inpaint] [--vae tiny|real]
        [--size 256] [--steps 4] [--repeats 5] [--out FILE.md]

Per family, side by side in one run: edit 1 inpaints a region of a photo; edit 2 inpaints the same
region of edit 1's result with another seed (a retry or a second try on the result). The masked
image edit 2 encodes is edit 1's (the result equals the source outside the region), so with the
cache edit 2 skips its VAE encode (Flux Fill also encodes the unmasked image, which is new: one of
its two encodes is saved). Conditions alternate every repeat (cache on / off, order swapped); each
repeat starts with an empty cache and runs edit 1 first. Reported: medians of edit 2's VAE-encode
time (``provenance.timings["vae_encode"]``) and total time, their ratios (without / with), edit 1's
total with / without (the cost of hashing on a miss), and whether edit 2's bytes match across
the two conditions (they must).

Models are the tiny random ones of the tests, on the CPU (no GPU needed, nothing downloaded);
``--vae real`` swaps in a VAE of Stable Diffusion's real size (random weights; SD/SDXL only), so
the encode costs what it costs in production while the denoiser stays tiny: the encode's *share*
of an edit is then far larger than with a real UNet, so read the total ratio as an upper bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import skimage.data
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402
from retouch.executors.diffusion import latents  # noqa: E402
from retouch.executors.images import masks  # noqa: E402
from retouch.executors.run import RunOutput, run_plan  # noqa: E402
from retouch.planner import analyze, make_plan  # noqa: E402
from retouch.planner.contract.schema import EditPlan  # noqa: E402
from retouch.server.requests import build_request  # noqa: E402

from tests.executors import tiny_families  # noqa: E402
from tests.support import tiny_models  # noqa: E402

FAMILIES = ("sd-inpaint", "sdxl-inpaint", "flux-fill")
REAL_VAE = {  # Stable Diffusion's (and SDXL's) AutoencoderKL layout, 83.7M parameters
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 512,
}


def build(family: str, folder: Path, vae: str) -> Path:
    """Save the tiny ``family`` pipeline to ``folder``, with a real-size VAE if asked."""
    import diffusers

    if family == "sd-inpaint":
        tiny_models.save_sd(folder, "inpaint", vae_levels=4)
    else:
        tiny_families.TINY_BUILDERS[family](folder)
    if vae == "real":
        if family == "flux-fill":
            raise SystemExit("--vae real is for sd-inpaint and sdxl-inpaint (Flux's VAE differs)")
        index = (folder / "model_index.json").read_text()
        cls = getattr(diffusers, index.split('"_class_name": "')[1].split('"')[0])
        pipe = cls.from_pretrained(folder, local_files_only=True)
        torch.manual_seed(0)
        pipe.register_modules(vae=diffusers.AutoencoderKL(**REAL_VAE))
        pipe.save_pretrained(folder)
    return folder


def plan_for(tmp: Path, image: Image.Image, mask: np.ndarray, family: str, steps: int) -> EditPlan:
    tmp.mkdir(parents=True, exist_ok=True)
    image.save(tmp / "source.png")
    masks.to_pil(mask).save(tmp / "mask.png")
    request = build_request(
        str(tmp / "source.png"),
        "remove the sign",
        mask=str(tmp / "mask.png"),
        steps=steps,
        families=[family],
        hardware="gpu-80gb",
    )
    plan = make_plan(request, analyze(request))
    crop = plan.crop.model_copy(update={"enabled": False})
    return plan.model_copy(update={"crop": crop})


def edit_twice(
    tmp: Path, model: Path, image: Image.Image, mask: np.ndarray, family: str, steps: int
) -> tuple[RunOutput, RunOutput]:
    first = plan_for(tmp / "1", image, mask, family, steps)
    one = run_plan(first, model=str(model), executor="diffusers")
    second = plan_for(tmp / "2", one.image, mask, family, steps).model_copy(update={"seed": 1})
    return one, run_plan(second, model=str(model), executor="diffusers")


def measure(family: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    model = build(family, tmp / f"{family}-model", args.vae)
    s = args.size
    image = Image.fromarray(skimage.data.astronaut()).resize((s, s), Image.Resampling.LANCZOS)
    mask = np.zeros((s, s), dtype=bool)
    mask[s // 4 : s // 2, s // 3 : 2 * s // 3] = True
    edit_twice(tmp / "warm", model, image, mask, family, args.steps)  # load once, warm up
    rows: dict[str, list[RunOutput]] = {"on": [], "off": [], "on1": [], "off1": []}
    for r in range(args.repeats):
        for cond in ("on", "off") if r % 2 == 0 else ("off", "on"):
            os.environ[latents.CACHE_ENV] = "0" if cond == "off" else "32"
            latents.clear()
            one, two = edit_twice(tmp / f"{cond}{r}", model, image, mask, family, args.steps)
            rows[cond].append(two)
            rows[cond + "1"].append(one)
    os.environ.pop(latents.CACHE_ENV, None)

    def med(cond: str, key: str) -> float:
        return statistics.median(o.provenance.timings[key] for o in rows[cond])

    same = all(
        np.array_equal(np.asarray(a.image), np.asarray(b.image))
        for a, b in zip(rows["on"], rows["off"], strict=True)
    )
    p = rows["on"][0].provenance.params
    return {
        "family": family,
        "encodes": f"{p['vae_encode_hits']}/{p['vae_encodes']}",
        "enc_off": med("off", "vae_encode"),
        "enc_on": med("on", "vae_encode"),
        "tot_off": med("off", "total"),
        "tot_on": med("on", "total"),
        "first_ratio": med("on1", "total") / med("off1", "total"),
        "same": same,
    }


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = (
        f"Latent reuse, edit 2 of the same region on edit 1's result: {args.size}x{args.size}, "
        f"{args.steps} steps, CPU ({torch.get_num_threads()} threads), tiny random denoisers, "
        f"{args.vae} VAE, median of {args.repeats}.\n\n"
        "| family | hits/encodes | VAE encode off s | on s | encode ratio | total off s | on s "
        "| total ratio | edit 1 on/off | same bytes |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines = [
        f"| {r['family']} | {r['encodes']} | {r['enc_off']:.4f} | {r['enc_on']:.4f} | "
        f"{r['enc_off'] / max(r['enc_on'], 1e-9):.1f}x | {r['tot_off']:.3f} | {r['tot_on']:.3f} | "
        f"{r['tot_off'] / r['tot_on']:.2f}x | {r['first_ratio']:.3f} | {r['same']} |"
        for r in results
    ]
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", choices=FAMILIES, action="append")
    ap.add_argument("--vae", choices=("tiny", "real"), default="tiny")
    ap.add_argument("--size", type=int, default=256, help="image side in pixels")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = ap.parse_args()
    families = args.family or (
        [f for f in FAMILIES if f != "flux-fill"] if args.vae == "real" else list(FAMILIES)
    )
    with tempfile.TemporaryDirectory() as tmp_dir:
        results = [measure(f, args, Path(tmp_dir)) for f in families]
    text = table(results, args)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
