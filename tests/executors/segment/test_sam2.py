"""SAM 2.1 for clicks and boxes: a tiny random Sam2Model saved with save_pretrained, loaded back
through executors.segment (local_files_only, sockets blocked), against a direct transformers call."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.segment import sam2
from retouch.executors.segment.dispatch import segment
from retouch.planner.contract.schema import SamPoint, SamPrompt

pytestmark = pytest.mark.usefixtures("offline")
PROMPTS = {
    "click": SamPrompt(points=[SamPoint(x=40, y=30)]),
    "box": SamPrompt(box=(10, 8, 70, 60)),
    "box + clicks": SamPrompt(
        points=[SamPoint(x=30, y=30), SamPoint(x=80, y=60, label=0)], box=(5, 5, 60, 50)
    ),
}


@pytest.fixture(scope="module")
def photo(astronaut: Image.Image) -> Image.Image:
    return astronaut.resize((96, 72))


def direct(folder: Path, image: Image.Image, prompt: SamPrompt) -> tuple[np.ndarray, np.ndarray]:
    """transformers alone: Sam2Processor -> Sam2Model(pixel_values, ...) -> post_process_masks."""
    from transformers import Sam2Model, Sam2Processor

    model = Sam2Model.from_pretrained(folder, local_files_only=True).eval()
    processor = Sam2Processor.from_pretrained(folder, local_files_only=True)
    kw: dict[str, object] = {}
    if prompt.points:
        kw["input_points"] = [[[[p.x, p.y] for p in prompt.points]]]
        kw["input_labels"] = [[[p.label for p in prompt.points]]]
    if prompt.box:
        kw["input_boxes"] = [[list(prompt.box)]]
    inputs = processor(images=image, return_tensors="pt", **kw)
    with torch.no_grad():
        out = model(**inputs, multimask_output=True)
    masks = processor.post_process_masks(out.pred_masks, inputs["original_sizes"])[0][0]
    return masks.numpy().astype(bool), out.iou_scores[0, 0].numpy()


@pytest.mark.parametrize("name", list(PROMPTS))
def test_mask_equals_a_direct_transformers_call(
    name: str, sam2_dir: Path, photo: Image.Image
) -> None:
    got = segment(photo, PROMPTS[name], checkpoint=str(sam2_dir), device="cpu")
    masks, ious = direct(sam2_dir, photo, PROMPTS[name])
    best = int(np.argmax(ious))
    assert got.method == "sam" and got.sam_type.startswith("sam2.1")
    assert np.array_equal(got.mask, masks[best])
    assert got.score == pytest.approx(float(ious[best]), abs=1e-6)
    assert len(got.candidates) == 3


def test_a_second_prompt_reuses_the_image_embedding(sam2_dir: Path, photo: Image.Image) -> None:
    seg = sam2.get_sam2(sam2_dir, "cpu")
    calls: list[int] = []
    seg.model.vision_encoder.register_forward_hook(lambda *_: calls.append(1))
    for prompt in PROMPTS.values():
        seg(photo, prompt)
    assert len(calls) == 1 and seg.cached_images == 1
