"""SAM 3 at its published size (random weights): one image + phrase, and a second phrase on the
cached vision features, through retouch's Sam3Segmenter. By hand:

    .venv/bin/python tests/bench/bench_sam3.py [--device cuda|cpu] [--size real|tiny] [--repeats N]

``real`` is ``Sam3Config()``'s defaults, the facebook/sam3 architecture (ViT 1024 wide, 32 blocks,
1008 px; CLIP text 1024 wide, 24 blocks; DETR 6+6 layers, 200 queries): 848M parameters, built
directly on the device (bf16 on CUDA, fp32 on CPU); timing does not depend on the weights or the
words, so the tokenizer is the tiny local one (SAM 3 pads every phrase to 32 tokens). Rows, medians
over ``--repeats`` after one warm-up: ``first`` = a new image (vision encoder + detector),
``cached`` = another phrase on an image already seen (text encoder + detector + mask head), and
first/cached. The published anchor is ~88 ms per image on an H100 (SAM 3 paper).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from retouch.executors.segment.sam3 import Sam3Segmenter  # noqa: E402

from tests.support.tiny_segment import TINY_SAM3_SIZE, tiny_clip_tokenizer, tiny_sam3_config  # noqa: E402

ANCHOR_MS = 88.0  # SAM 3 paper: per image on an H100


def build(size: str, device: str) -> Sam3Segmenter:
    from transformers import Sam3Config, Sam3Model, Sam3Processor
    from transformers.models.sam3.image_processing_sam3 import Sam3ImageProcessor

    config = Sam3Config() if size == "real" else tiny_sam3_config()
    config.text_config.vocab_size = max(config.text_config.vocab_size, 80)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(0)
    with torch.device(device):
        model = Sam3Model(config).to(dtype).eval()
    side = config.vision_config.image_size if size == "real" else TINY_SAM3_SIZE
    image_processor = Sam3ImageProcessor(size={"height": side, "width": side})
    processor = Sam3Processor(image_processor=image_processor, tokenizer=tiny_clip_tokenizer())
    return Sam3Segmenter(model, processor, cache_size=64)


def timed(fn, sync: bool) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    if sync:
        torch.cuda.synchronize()
    return (time.perf_counter() - t) * 1000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--size", choices=("real", "tiny"), default="real")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    sync = args.device.startswith("cuda")
    t0 = time.perf_counter()
    seg = build(args.size, args.device)
    params = sum(x.numel() for x in seg.model.parameters()) / 1e6
    print(f"SAM 3 {args.size}: {params:.0f}M parameters on {args.device}, built in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    rng = np.random.default_rng(0)
    images = [
        Image.fromarray(rng.integers(0, 255, (768, 1024, 3), dtype=np.uint8))
        for _ in range(args.repeats + 1)
    ]
    first, cached = [], []
    for n, img in enumerate(images):
        f = timed(lambda img=img: seg(img, "the dog", threshold=0.0), sync)
        c = timed(lambda img=img: seg(img, "the red car", threshold=0.0), sync)
        if n:  # the first image is the warm-up
            first.append(f)
            cached.append(c)
    mf, mc = statistics.median(first), statistics.median(cached)
    print("| SAM 3 | device | first phrase (new image) | second phrase (cached) | first/cached |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {args.size} | {args.device} | {mf:.0f} ms | {mc:.0f} ms | {mf / mc:.1f}x |")
    if sync:
        print(f"published: ~{ANCHOR_MS:.0f} ms per image on an H100 (SAM 3 paper)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
