"""Segment Anything through retouch: a tiny random SAM built from segment-anything's own classes,
saved to a .pth and loaded back through retouch's loading path; the GrabCut fallback; the plan."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.images import masks
from retouch.executors.segment import sam as segment
from retouch.executors.segment.sam import SamSegmenter, get_segmenter, load_sam
from retouch.planner.contract.errors import InputError, ModelMissingError
from retouch.planner.contract.schema import EditRequest, Preferences, SamPoint, SamPrompt

from tests.support.tiny_segment import build_test_tiny

PROMPTS = {
    "one click": SamPrompt(points=[SamPoint(x=40, y=30)]),
    "click + background": SamPrompt(points=[SamPoint(x=40, y=30), SamPoint(x=80, y=60, label=0)]),
    "box": SamPrompt(box=(10, 8, 70, 60)),
    "box + click": SamPrompt(points=[SamPoint(x=30, y=30)], box=(5, 5, 60, 50)),
}


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.set_num_threads(1)
    monkeypatch.delenv(segment.CHECKPOINT_ENV, raising=False)
    segment.clear_model_cache()


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("sam") / "sam_test_tiny.pth"
    torch.save(build_test_tiny().state_dict(), path)
    return path


@pytest.fixture(scope="module")
def photo(astronaut: Image.Image) -> Image.Image:
    """A real photo, 96x72 (not square: exercises SAM's padding)."""
    return astronaut.resize((96, 72))


def reference_predictor(ckpt: Path):  # type: ignore[no-untyped-def]
    """segment-anything's own SamPredictor on the same weights, loaded without retouch."""
    from segment_anything import SamPredictor

    sam = build_test_tiny()
    sam.load_state_dict(torch.load(ckpt, weights_only=True))
    return SamPredictor(sam.eval())


def encoder_calls(seg: SamSegmenter) -> list[int]:
    calls: list[int] = []
    seg.model.image_encoder.register_forward_hook(lambda *_: calls.append(1))
    return calls


@pytest.mark.parametrize("name", list(PROMPTS))
def test_mask_equals_sampredictors_best(name: str, tiny_ckpt: Path, photo: Image.Image) -> None:
    prompt = PROMPTS[name]
    got = segment.segment(
        photo, prompt, checkpoint=str(tiny_ckpt), sam_type="test_tiny", device="cpu"
    )
    ref = reference_predictor(tiny_ckpt)
    ref.set_image(np.asarray(photo.convert("RGB")))
    coords = np.array([[p.x, p.y] for p in prompt.points]) if prompt.points else None
    labels = np.array([p.label for p in prompt.points]) if prompt.points else None
    box = np.array(prompt.box) if prompt.box else None
    ref_masks, ref_scores, _ = ref.predict(
        point_coords=coords, point_labels=labels, box=box, multimask_output=True
    )
    best = int(np.argmax(ref_scores))
    assert got.method == "sam" and got.sam_type == "test_tiny"
    assert got.mask.dtype == bool and got.mask.shape == (72, 96)
    assert np.array_equal(got.mask, ref_masks[best])
    assert got.score == pytest.approx(float(ref_scores[best]), abs=1e-6)
    assert got.scores == sorted(got.scores, reverse=True) and len(got.candidates) == 3
    assert sorted(got.scores) == pytest.approx(sorted(ref_scores.tolist()), abs=1e-6)
    for cand, score in zip(got.candidates, got.scores, strict=True):
        i = int(np.argmin(np.abs(ref_scores - score)))
        assert np.array_equal(cand, ref_masks[i])
    assert "test_tiny" in got.note


def test_second_prompt_reuses_the_embedding(tiny_ckpt: Path, photo: Image.Image) -> None:
    seg = get_segmenter(tiny_ckpt, "test_tiny", "cpu")
    calls = encoder_calls(seg)
    first = seg(photo, PROMPTS["one click"])
    assert len(calls) == 1
    second = seg(photo, PROMPTS["box"])
    third = seg(photo.copy(), PROMPTS["click + background"])  # equal pixels, another object
    assert len(calls) == 1 and seg.cached_images == 1
    assert not np.array_equal(first.mask, second.mask) or first.scores != second.scores
    other = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    seg(other, PROMPTS["one click"])
    assert len(calls) == 2 and seg.cached_images == 2
    # the cached path gives exactly what a fresh encoder run gives
    fresh = SamSegmenter(load_sam(tiny_ckpt, "test_tiny", "cpu"), "test_tiny")
    assert np.array_equal(fresh(photo, PROMPTS["click + background"]).mask, third.mask)
    # segment() goes through the same cached model
    segment.segment(
        photo, PROMPTS["box + click"], checkpoint=str(tiny_ckpt), sam_type="test_tiny", device="cpu"
    )
    assert len(calls) == 2


def test_embedding_cache_is_bounded_lru(tiny_ckpt: Path, photo: Image.Image) -> None:
    seg = SamSegmenter(load_sam(tiny_ckpt, "test_tiny", "cpu"), "test_tiny", cache_size=2)
    calls = encoder_calls(seg)
    images = [photo, photo.rotate(180), photo.transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    for img in images:
        seg(img, PROMPTS["one click"])
    assert len(calls) == 3 and seg.cached_images == 2
    seg(images[2], PROMPTS["box"])  # still cached
    assert len(calls) == 3
    seg(images[0], PROMPTS["box"])  # evicted first, encoded again
    assert len(calls) == 4 and seg.cached_images == 2
    with pytest.raises(ValueError, match="cache_size"):
        SamSegmenter(seg.model, "test_tiny", cache_size=0)


def test_models_are_cached_per_checkpoint_and_reloaded_when_replaced(
    tiny_ckpt: Path, tmp_path: Path
) -> None:
    a = get_segmenter(tiny_ckpt, "test_tiny", "cpu")
    assert get_segmenter(str(tiny_ckpt), "test_tiny", "cpu") is a
    copy = tmp_path / "copy.pth"
    copy.write_bytes(tiny_ckpt.read_bytes())
    b = get_segmenter(copy, "test_tiny", "cpu")
    assert b is not a
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert get_segmenter(copy, "test_tiny", "cpu") is not b


def test_checkpoint_from_the_environment(
    tiny_ckpt: Path, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(segment.CHECKPOINT_ENV, str(tiny_ckpt))
    r = segment.segment(photo, PROMPTS["box"], sam_type="test_tiny", device="cpu")
    assert r.method == "sam"


def test_no_checkpoint_falls_back_to_grabcut_and_says_so() -> None:
    img = np.full((60, 80, 3), 30, np.uint8)
    img[20:40, 25:55] = [240, 200, 30]
    r = segment.segment(Image.fromarray(img), SamPrompt(box=(15, 10, 65, 50)))
    assert r.method == "grabcut" and r.sam_type is None
    assert "GrabCut fallback (no SAM checkpoint)" in r.note and "lower quality" in r.note
    assert r.mask[20:40, 25:55].all() and r.mask.sum() == 20 * 30


def test_checkpoint_of_another_type_names_both(tiny_ckpt: Path, tmp_path: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"test_tiny checkpoint.*not vit_b; give the type test_tiny",
    ):
        load_sam(tiny_ckpt, "vit_b", "cpu")
    # a vit_l-shaped file given as vit_h: read from its tensors, refused before building vit_h
    fake = {"image_encoder.patch_embed.proj.weight": torch.zeros(1024, 1, 1, 1)}
    fake |= {f"image_encoder.blocks.{i}.norm1.weight": torch.zeros(1) for i in range(24)}
    path = tmp_path / "sam_vit_l.pth"
    torch.save(fake, path)
    with pytest.raises(InputError, match=r"is a vit_l checkpoint .*not vit_h; give the type vit_l"):
        load_sam(path, "vit_h", "cpu")


def test_auto_reads_the_type_from_the_checkpoint(
    tiny_ckpt: Path, photo: Image.Image, tmp_path: Path
) -> None:
    r = segment.segment(
        photo, PROMPTS["box"], checkpoint=str(tiny_ckpt), sam_type="auto", device="cpu"
    )
    assert r.method == "sam" and r.sam_type == "test_tiny" and "test_tiny" in r.note
    odd = {
        "image_encoder.patch_embed.proj.weight": torch.zeros(20, 1, 1, 1),
        "image_encoder.blocks.0.norm1.weight": torch.zeros(1),
    }
    path = tmp_path / "odd.pth"
    torch.save(odd, path)
    with pytest.raises(InputError, match=r"unknown architecture \(encoder width 20, 1 blocks\)"):
        load_sam(path, "auto")


def test_bad_checkpoint_files(tiny_ckpt: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="SAM checkpoint not found.*sam_vit_b"):
        load_sam(tmp_path / "missing.pth", "vit_b")
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(InputError, match="not a PyTorch state dict"):
        load_sam(text, "vit_b")
    other = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(2)}, other)
    with pytest.raises(InputError, match="not a Segment Anything checkpoint"):
        load_sam(other, "vit_b")
    partial = tmp_path / "partial.pth"
    state = torch.load(tiny_ckpt, weights_only=True)
    state.pop("mask_decoder.iou_token.weight")
    torch.save(state, partial)
    with pytest.raises(InputError, match="does not fit test_tiny"):
        load_sam(partial, "test_tiny")
    with pytest.raises(InputError, match="SAM type 'vit_x' is unknown; use one of vit_b, vit_l"):
        load_sam(tiny_ckpt, "vit_x")


@pytest.mark.parametrize(
    "prompt, needle",
    [
        (SamPrompt(), "no prompt"),
        (SamPrompt(points=[SamPoint(x=96, y=10)]), r"point \(96, 10\) is outside the 96x72 image"),
        (SamPrompt(points=[SamPoint(x=10, y=-1)]), "outside the 96x72 image"),
        (SamPrompt(box=(0, 0, 97, 50)), "reaches outside the 96x72 image"),
        (SamPrompt.model_construct(points=[], box=(50, 10, 20, 40)), "inverted or empty"),
        (SamPrompt(points=[SamPoint(x=10, y=10, label=0)]), "only background clicks"),
    ],
)
def test_bad_prompts_are_refused_before_any_model_loads(
    prompt: SamPrompt, needle: str, photo: Image.Image
) -> None:
    # the checkpoint does not exist: a prompt error proves the prompt is checked first
    with pytest.raises(InputError, match=needle):
        segment.segment(photo, prompt, checkpoint="/nonexistent/sam.pth")


def test_vit_b_plans_a_cheaper_mask_stage_than_vit_h(astronaut_path: Path) -> None:
    from retouch.planner import analyze, make_plan

    def mask_stage(priority: str) -> tuple[str | None, float]:
        req = EditRequest(
            image=str(astronaut_path),
            edit="replace the object with a lamp",
            sam=SamPrompt(points=[SamPoint(x=250, y=200)]),
            preferences=Preferences(priority=priority),
        )
        plan = make_plan(req, analyze(req))
        stage = next(s for s in plan.latency.stages if s.stage.startswith("mask"))
        return plan.mask.sam_model, stage.seconds

    (b_type, b_s), (h_type, h_s) = mask_stage("balanced"), mask_stage("quality")
    assert (b_type, h_type) == ("vit_b", "vit_h")
    assert h_s >= 3 * b_s


def test_background_replacement_edits_the_inverse_grown_into_the_subject(tmp_path: Path) -> None:
    """Plan 'replace the background' from a click -> subject mask -> inverted and dilated."""
    from retouch.planner import analyze, make_plan

    img = np.random.default_rng(0).integers(0, 90, (96, 128, 3)).astype(np.uint8)
    subject = np.zeros((96, 128), bool)
    subject[24:72, 40:88] = True
    img[subject] = [235, 190, 60]
    path = tmp_path / "subject.png"
    Image.fromarray(img).save(path)
    req = EditRequest(
        image=str(path),
        edit="replace the background with a beach",
        sam=SamPrompt(points=[SamPoint(x=64, y=48)]),
    )
    plan = make_plan(req, analyze(req))
    assert plan.mask.invert and plan.mask.sam_model == "vit_b" and plan.mask.dilate_px > 0
    found = segment.segment(Image.open(path), req.sam)  # no checkpoint: GrabCut
    assert np.array_equal(found.mask, subject)
    hard, soft = masks.apply_plan(found.mask, plan.mask)
    px = plan.mask.dilate_px
    assert hard[~subject].all()  # the whole background is regenerated
    core = masks.erode(subject, px + 1)
    assert core.any() and not hard[core].any()  # the subject's inside keeps every pixel
    assert hard[24 : 24 + px, 64].all() and hard[subject].sum() > 0  # its edge band is regenerated
    assert (soft[hard] == 1).all() and soft.dtype == np.float32
