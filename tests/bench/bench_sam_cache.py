"""A second SAM prompt on a cached image embedding against the first call on that image. By hand:

    .venv/bin/python tests/bench/bench_sam_cache.py [--type vit_b|vit_l|vit_h|test_tiny]
                                                    [--device cpu|cuda] [--repeats N]

The model has random weights built by segment-anything's own builder for ``--type`` (no download;
timing does not depend on the weights), saved to a temp .pth and loaded back through retouch's
``get_segmenter``. Measured side by side in one run, medians over repeats, warm model:
- first call: a new image (the image encoder runs) + one prompt;
- cached call: another prompt on an image already seen (prompt encoder + mask decoder only).
Prints both in ms and first/cached as a ratio. GrabCut on the same image is printed for scale.
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
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from retouch.executors.segment import sam as segment  # noqa: E402
from retouch.executors.segment.grabcut import GrabCutSegmenter  # noqa: E402
from retouch.planner.contract.schema import SamPoint, SamPrompt  # noqa: E402

from tests.support import tiny_segment  # noqa: E402, F401 - registers the test_tiny type


def timed(fn, sync: bool) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    if sync:
        torch.cuda.synchronize()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--type", default="vit_b", choices=sorted(segment.SAM_ARCHS))
    ap.add_argument("--device", default=None)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    device = segment.pick_device(args.device)
    sync = device.startswith("cuda")

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / f"sam_{args.type}_random.pth"
        torch.manual_seed(0)
        torch.save(segment.SAM_ARCHS[args.type].build().state_dict(), ckpt)
        t = time.perf_counter()
        seg = segment.get_segmenter(ckpt, args.type, device)
        load_s = time.perf_counter() - t

    base = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((1024, 1024)))
    prompts = [
        SamPrompt(points=[SamPoint(x=500, y=300)]),
        SamPrompt(box=(200, 150, 800, 900)),
        SamPrompt(points=[SamPoint(x=450, y=260), SamPoint(x=900, y=100, label=0)]),
    ]
    seg(base, prompts[0])  # warm-up (kernels, allocator)
    first, cached = [], []
    for i in range(args.repeats):
        image = np.ascontiguousarray(np.roll(base, 7 * (i + 1), axis=1))  # new content, new key
        first.append(timed(lambda im=image: seg(im, prompts[0]), sync))
        for p in prompts[1:] * 2:
            cached.append(timed(lambda im=image, p=p: seg(im, p), sync))
    grab = [timed(lambda: GrabCutSegmenter()(base, prompts[1]), False) for _ in range(3)]

    f, c = statistics.median(first), statistics.median(cached)
    print(
        f"SAM {args.type} on {device} ({torch.get_num_threads()} CPU threads), image 1024x1024, "
        f"random weights, load {load_s:.1f} s"
    )
    print(f"  first call (encoder + prompt):  {f:9.1f} ms   median of {len(first)}")
    print(f"  cached prompt (decoder only):   {c:9.1f} ms   median of {len(cached)}")
    print(f"  ratio first / cached:           {f / c:9.1f} x")
    print(f"  GrabCut fallback (box, 512 px): {statistics.median(grab):9.1f} ms   median of 3")


if __name__ == "__main__":
    main()
