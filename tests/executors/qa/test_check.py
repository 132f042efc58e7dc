"""QA checks on real photos: each planted defect is caught by its check id, clean composites pass."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from retouch.executors.images import masks
from retouch.executors.images.composite import composite, stitch_weights
from retouch.executors.qa.check import check
from retouch.executors.qa.fixes import apply_fixes
from retouch.executors.qa.report import QAReport
from retouch.planner import analyze, make_plan
from retouch.planner.contract.errors import InputError, PlanError
from retouch.planner.contract.schema import EditPlan, EditRequest, Extend, Fix, PlanChange

from tests.conftest import box_mask

BOX = (300, 60, 364, 124)  # 64x64 over the astronaut's flag/background
PIXEL_IDS = ("outside-unchanged", "seam", "color-shift", "saturation", "blank", "size-mode")


def by_id(report: QAReport) -> dict:
    return {item.id: item for item in report.items}


def failed_ids(report: QAReport) -> set[str]:
    return {item.id for item in report.items if item.status == "fail"}


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img).copy()


@pytest.fixture(scope="module")
def photos() -> dict[str, Image.Image]:
    import skimage.data

    return {
        n: Image.fromarray(getattr(skimage.data, n)()) for n in ("astronaut", "coffee", "chelsea")
    }


def plan_for(tmp_path: Path, image: Image.Image, edit: str, **kw) -> EditPlan:  # type: ignore[no-untyped-def]
    path = tmp_path / "source.png"
    image.save(path)
    mask = kw.pop("mask", None)
    if mask is not None:
        mask_path = tmp_path / "mask.png"
        masks.to_pil(mask).save(mask_path)
        kw["mask"] = str(mask_path)
    request = EditRequest(image=str(path), edit=edit, **kw)
    return make_plan(request, analyze(request))


# ------------------------------------------------------------------------------------------ clean


@pytest.mark.parametrize(
    "name,box",
    [("astronaut", BOX), ("coffee", (40, 30, 140, 110)), ("chelsea", (200, 150, 260, 230))],
)
def test_exact_paste_raises_no_alarm(photos: dict, name: str, box: tuple) -> None:
    src = photos[name]
    mask = box_mask(src.size, box)
    report = check(src, src.copy(), mask)
    items = by_id(report)
    assert report.passed
    for cid in PIXEL_IDS:
        assert items[cid].status == "pass", items[cid]
    assert items["outside-unchanged"].value == 0
    assert items["seam"].value <= 1.0  # the source's own edge is the reference: never above it
    assert items["prompt"].status == "skipped"  # no plan: the prompt is unknown


def test_telea_fill_on_smooth_area_raises_no_alarm(photos: dict) -> None:
    for name, box in (("astronaut", (440, 430, 470, 460)), ("coffee", (500, 20, 540, 60))):
        src = photos[name]
        mask = box_mask(src.size, box)
        filled = cv2.inpaint(arr(src), mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
        report = check(src, Image.fromarray(filled), mask)
        assert report.passed, [(i.id, i.value) for i in report.failed]
        assert by_id(report)["seam"].status == "pass"
        assert not np.array_equal(filled, arr(src))  # the fill really changed the region


# ---------------------------------------------------------------------------------------- defects


def test_changed_outside_block_fails_outside_unchanged(photos: dict) -> None:
    src = photos["astronaut"]
    res = arr(src)
    res[10:18, 10:18] ^= 0x40  # an 8x8 block far from the edit box
    report = check(src, Image.fromarray(res), box_mask(src.size, BOX))
    item = by_id(report)["outside-unchanged"]
    assert item.status == "fail" and item.value == 64 and item.threshold == 0
    assert "64 of" in item.detail
    assert item.fix is not None and "re-composite" in item.fix.summary
    assert failed_ids(report) == {"outside-unchanged"}


def test_colour_offset_patch_fails_color_shift(photos: dict) -> None:
    for name, box in (("astronaut", BOX), ("coffee", (40, 30, 140, 110))):
        src = photos[name]
        mask = box_mask(src.size, box)
        res = arr(src).astype(np.int16)
        res[mask] += np.array([18, -12, 14], dtype=np.int16)
        report = check(src, Image.fromarray(np.clip(res, 0, 255).astype(np.uint8)), mask)
        item = by_id(report)["color-shift"]
        assert item.status == "fail", item
        assert item.value > item.threshold
        assert item.fix is not None
        assert {(c.field, c.op) for c in item.fix.changes} >= {("color_match", "set")}


def test_saturated_patch_fails_saturation(photos: dict) -> None:
    src = photos["chelsea"]
    mask = box_mask(src.size, (200, 150, 260, 230))
    hsv = cv2.cvtColor(arr(src), cv2.COLOR_RGB2HSV)
    hsv[..., 1] = 255  # every pixel at full saturation: the high-CFG-on-a-small-mask look
    vivid = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    res = np.where(mask[..., None], vivid, arr(src))
    item = by_id(check(src, Image.fromarray(res), mask))["saturation"]
    assert item.status == "fail" and item.value > 0.5
    assert item.fix is not None
    assert item.fix.changes == [PlanChange(field="guidance.text", op="multiply", value=0.7)]


def test_foreign_patch_fails_seam_and_feather_softens_it(tmp_path: Path, photos: dict) -> None:
    src = photos["astronaut"]
    mask = box_mask(src.size, BOX)
    res = arr(src)
    res[60:124, 300:364] = arr(src)[380:444, 40:104]  # a piece of the suit pasted on the flag
    report = check(src, Image.fromarray(res), mask)
    seam = by_id(report)["seam"]
    assert seam.status == "fail" and seam.value > 3
    assert seam.fix is not None and {c.field for c in seam.fix.changes} == {
        "mask.dilate_px",
        "mask.feather_px",
    }
    # the same patch through the executors' composite with an 8 px feather (inward ramp): the jump
    # is spread over the ramp, and the fix (more feather) is what lowers the measure
    plan = plan_for(tmp_path, src, "remove the flag", mask=mask, scene="an astronaut")
    values = []
    for feather in (8, 16):
        blended = composite(arr(src), res, stitch_weights(mask, feather))
        fplan = plan.model_copy(
            update={"mask": plan.mask.model_copy(update={"feather_px": feather})}
        )
        items = by_id(check(src, Image.fromarray(blended), mask, fplan))
        assert items["outside-unchanged"].status == "pass"
        values.append(items["seam"].value)
    assert values[0] < seam.value / 4 and values[1] < values[0]


def test_black_region_fails_blank(photos: dict) -> None:
    src = photos["coffee"]
    mask = box_mask(src.size, (40, 30, 140, 110))
    res = np.where(mask[..., None], 0, arr(src)).astype(np.uint8)
    item = by_id(check(src, Image.fromarray(res), mask))["blank"]
    assert item.status == "fail" and item.value == 1.0
    assert item.fix is not None and item.fix.changes[0].field == "seed"


def test_nan_result_fails_blank_and_size_mode() -> None:
    src = Image.fromarray(np.full((32, 32), 120, dtype=np.uint8), "L")
    res = np.full((32, 32), 120.0, dtype=np.float32)
    res[8:24, 8:24] = np.nan
    report = check(src, Image.fromarray(res, "F"), box_mask((32, 32), (8, 8, 24, 24)))
    items = by_id(report)
    assert items["blank"].status == "fail" and items["blank"].value == 1.0
    assert items["size-mode"].status == "fail"  # F is not the source's L
    assert "F" in items["size-mode"].detail


def test_wrong_size_fails_size_mode_and_skips_pixel_checks(photos: dict) -> None:
    src = photos["astronaut"]
    report = check(src, src.resize((256, 256)), box_mask(src.size, BOX))
    items = by_id(report)
    assert items["size-mode"].status == "fail" and items["size-mode"].value == 0
    for cid in ("outside-unchanged", "seam", "color-shift", "saturation", "blank"):
        assert items[cid].status == "skipped" and items[cid].value is None
        assert "256x256" in items[cid].detail
    assert not report.passed


def test_rgba_alpha_change_outside_is_caught() -> None:
    rgba = np.zeros((48, 48, 4), dtype=np.uint8)
    rgba[..., :3] = 90
    rgba[..., 3] = 255
    res = rgba.copy()
    res[0:4, 0:4, 3] = 0  # only the alpha changed, outside the edit box
    report = check(
        Image.fromarray(rgba), Image.fromarray(res), box_mask((48, 48), (20, 20, 30, 30))
    )
    assert failed_ids(report) == {"outside-unchanged"}


# -------------------------------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def light_sdedit(tmp_path_factory: pytest.TempPathFactory, photos: dict) -> EditPlan:
    plan = plan_for(
        tmp_path_factory.mktemp("sdedit"),
        photos["astronaut"],
        "make it slightly more like a watercolor painting",
        scene="a watercolor of an astronaut",
    )
    assert plan.mode == "sdedit" and plan.strength == 0.3
    return plan


def test_over_strong_restyle_fails_structure(photos: dict, light_sdedit: EditPlan) -> None:
    src = photos["astronaut"]
    rng = np.random.default_rng(0)
    heavy = cv2.GaussianBlur(arr(src).astype(np.float32), (0, 0), 4) + rng.normal(
        0, 25, (512, 512, 3)
    )
    other = photos["coffee"].resize(src.size)
    for res in (Image.fromarray(np.clip(heavy, 0, 255).astype(np.uint8)), other):
        report = check(src, res, None, light_sdedit)
        item = by_id(report)["structure"]
        assert item.status == "fail" and item.value < item.band[0] == 0.6
        assert item.fix is not None
        assert item.fix.changes == [PlanChange(field="strength", op="add", value=-0.1)]
        assert "fidelity cliff" in item.detail


def test_light_restyle_within_band_passes(photos: dict, light_sdedit: EditPlan) -> None:
    src = photos["astronaut"]
    graded = np.clip(arr(src).astype(np.float32) * 1.1 + 8, 0, 255).astype(np.uint8)
    report = check(src, Image.fromarray(graded), None, light_sdedit)
    assert report.passed, [(i.id, i.value) for i in report.failed]
    assert by_id(report)["structure"].status == "pass"


def test_untouched_result_is_above_band(photos: dict, light_sdedit: EditPlan) -> None:
    item = by_id(check(photos["astronaut"], photos["astronaut"].copy(), None, light_sdedit))[
        "structure"
    ]
    assert item.status == "fail" and item.value == 1.0
    assert item.fix.changes == [PlanChange(field="strength", op="add", value=0.1)]


def test_instruct_structure_fix_moves_image_guidance(tmp_path: Path, photos: dict) -> None:
    plan = plan_for(tmp_path, photos["astronaut"], "make it sunset")
    assert plan.mode == "instruct" and plan.guidance.image == 1.5
    report = check(photos["astronaut"], photos["coffee"].resize((512, 512)), None, plan)
    item = by_id(report)["structure"]
    assert item.status == "fail"
    fixed = apply_fixes(plan, report)
    assert fixed.guidance.image == pytest.approx(1.875) and fixed.strength is None


# ------------------------------------------------------------------------------- outpaint, prompt


def test_outpaint_checks_source_at_its_offset(tmp_path: Path, photos: dict) -> None:
    src = photos["chelsea"]  # 451x300
    plan = plan_for(
        tmp_path, src, "extend the scene", extend=Extend(left=40, right=24), scene="a cat"
    )
    assert plan.mode == "outpaint" and plan.facts.out_width == 451 + 64
    canvas = cv2.copyMakeBorder(arr(src), 0, 0, 40, 24, cv2.BORDER_REFLECT)
    report = check(src, Image.fromarray(canvas), None, plan)
    items = by_id(report)
    assert items["size-mode"].status == "pass"
    assert items["outside-unchanged"].status == "pass"
    assert items["seam"].status == "pass"
    shifted = cv2.copyMakeBorder(arr(src), 0, 0, 24, 40, cv2.BORDER_REFLECT)  # source misplaced
    assert (
        by_id(check(src, Image.fromarray(shifted), None, plan))["outside-unchanged"].status
        == "fail"
    )
    assert by_id(check(src, src, None, plan))["size-mode"].status == "fail"


def test_prompt_check_reads_the_plan(tmp_path: Path, photos: dict) -> None:
    src = photos["astronaut"]
    mask = box_mask(src.size, BOX)
    bare = plan_for(tmp_path, src, "remove the flag", mask=mask)
    item = by_id(check(src, src.copy(), mask, bare))["prompt"]
    assert item.status == "fail" and item.value == 0 and item.fix is not None
    assert "scene caption" in item.fix.summary and not item.fix.changes
    captioned = plan_for(tmp_path, src, "remove the flag", mask=mask, scene="an astronaut")
    assert by_id(check(src, src.copy(), mask, captioned))["prompt"].status == "pass"


# --------------------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_input_errors(tmp_path: Path, photos: dict) -> None:
    src = photos["astronaut"]
    with pytest.raises(InputError, match="edit mask is 10x10, the result is 512x512"):
        check(src, src, np.zeros((10, 10), bool))
    with pytest.raises(InputError, match="2-D"):
        check(src, src, np.zeros((512, 512, 3), bool))
    with pytest.raises(InputError, match="PIL image"):
        check(arr(src), src, None)  # type: ignore[arg-type]
    plan = plan_for(tmp_path, src, "remove the flag", mask=box_mask(src.size, BOX))
    with pytest.raises(InputError, match="made for a 512x512 image"):
        check(photos["coffee"], photos["coffee"], None, plan)
    with pytest.raises(InputError, match="no edit mask"):
        check(src, src, None, plan)


# -------------------------------------------------------------------------------------- apply_fixes


def test_apply_fixes_changes_the_plan_and_says_why(tmp_path: Path, photos: dict) -> None:
    src = photos["astronaut"]
    mask = box_mask(src.size, BOX)
    plan = plan_for(tmp_path, src, "remove the flag", mask=mask, scene="an astronaut")
    res = arr(src)
    res[60:124, 300:364] = arr(src)[380:444, 40:104]
    report = check(src, Image.fromarray(res), mask, plan)
    assert "seam" in failed_ids(report)
    fixed = apply_fixes(plan, report)
    assert fixed.mask.dilate_px == plan.mask.dilate_px + 8
    assert fixed.mask.feather_px >= plan.mask.feather_px + 4
    assert "qa-fix-seam" in [r.id for r in fixed.rules]
    assert plan.mask.dilate_px != fixed.mask.dilate_px  # the input plan is untouched
    # a clean removal (an unchanged region now fails `changed`)

    telea = cv2.inpaint(arr(src), mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    assert apply_fixes(plan, check(src, Image.fromarray(telea), mask, plan)) == plan


def test_apply_fixes_moves_the_structure_band_with_strength(
    photos: dict, light_sdedit: EditPlan
) -> None:
    src = photos["astronaut"]
    high = light_sdedit.model_copy(update={"strength": 0.6})
    report = check(src, photos["coffee"].resize(src.size), None, high)
    fixed = apply_fixes(high, report)
    assert fixed.strength == 0.5
    structure = next(q for q in fixed.qa if q.id == "structure")
    assert structure.band == (0.4, 0.98)  # the band for 0.35 <= strength < 0.55


def test_apply_fixes_clamps_and_skips_what_cannot_apply(light_sdedit: EditPlan) -> None:
    from retouch.executors.qa.report import QAResult

    def failing(*changes: PlanChange) -> QAReport:
        fix = Fix(summary="test", changes=list(changes))
        item = QAResult(
            id="structure", status="fail", value=0.1, threshold=0.6, fix=fix, detail="x"
        )
        return QAReport(items=[item], passed=False)

    low = light_sdedit.model_copy(update={"strength": 0.05})
    assert apply_fixes(low, failing(PlanChange(field="strength", op="add", value=-0.1))) == low
    no_image = apply_fixes(
        light_sdedit, failing(PlanChange(field="guidance.image", op="multiply", value=2))
    )
    assert no_image == light_sdedit  # sdxl has no image guidance: nothing to multiply
    with pytest.raises(PlanError, match="mask.nope"):
        apply_fixes(light_sdedit, failing(PlanChange(field="mask.nope", op="add", value=1)))


# ---------------------------------------------------------------------------------- CLIP adherence


def _tiny_clip(folder: Path) -> Path:
    """A tiny random CLIP (model + processor with a byte-level tokenizer) saved to ``folder``."""
    import torch
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import (
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        CLIPProcessor,
        CLIPTokenizer,
    )

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in sorted(ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
        vocab[symbol + "</w>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    torch.manual_seed(0)
    small = {"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4}
    config = CLIPConfig(
        text_config={**small, "num_hidden_layers": 2, "vocab_size": len(vocab),
                     "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1},
        vision_config={**small, "num_hidden_layers": 2, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )  # fmt: skip
    CLIPModel(config).save_pretrained(folder)
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def test_prompt_adherence_skipped_without_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photos: dict
) -> None:
    monkeypatch.setenv("RETOUCH_CLIP_MODEL", str(tmp_path / "no-such-clip"))
    src = photos["astronaut"]
    mask = box_mask(src.size, BOX)
    plan = plan_for(tmp_path, src, "remove the flag", mask=mask, scene="an astronaut")
    item = by_id(check(src, src.copy(), mask, plan))["prompt-adherence"]
    assert item.status == "skipped" and item.value is None  # never passed
    assert "RETOUCH_CLIP_MODEL" in item.detail


def test_prompt_adherence_with_local_clip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photos: dict
) -> None:
    """Through the real loading path: the value is the tiny CLIP's own similarity difference."""
    import torch
    from retouch.executors.qa.clip import crop_box
    from transformers import CLIPModel, CLIPProcessor

    folder = _tiny_clip(tmp_path / "clip")
    monkeypatch.setenv("RETOUCH_CLIP_MODEL", str(folder))
    src = photos["astronaut"]
    mask = box_mask(src.size, BOX)
    plan = plan_for(tmp_path, src, "remove the flag", mask=mask, scene="an astronaut")
    res = arr(src)
    res[mask] = 128
    item = by_id(check(src, Image.fromarray(res), mask, plan))["prompt-adherence"]
    assert item.status in ("pass", "fail") and item.value is not None

    x0, y0, x1, y1 = crop_box(mask)
    model = CLIPModel.from_pretrained(folder)
    processor = CLIPProcessor.from_pretrained(folder)
    crops = [Image.fromarray(res[y0:y1, x0:x1]), Image.fromarray(arr(src)[y0:y1, x0:x1])]
    inputs = processor(text=[plan.prompt.positive], images=crops, return_tensors="pt",
                       padding=True, truncation=True)  # fmt: skip
    with torch.no_grad():
        out = model(**inputs)
    sims = (
        torch.nn.functional.normalize(out.image_embeds, dim=-1)
        @ torch.nn.functional.normalize(out.text_embeds, dim=-1).T
    )
    assert item.value == pytest.approx(float(sims[0, 0] - sims[1, 0]), abs=1e-4)
    assert (x0, y0, x1, y1) == (284, 44, 380, 140)  # the box plus 25% of its side as context


# ------------------------------------------------------------------------- the real executor's output


def test_classical_executor_results_pass_qa(tmp_path: Path, photos: dict) -> None:
    """retouch.executors.run's weight-free fill and canvas extension raise no false alarm, and the canvas
    region QA derives from an outpaint plan is the one the executor regenerated."""
    from retouch.executors.run import run_plan

    src = photos["chelsea"]
    mask = box_mask(src.size, (200, 150, 260, 230))
    for kw in ({"mask": mask}, {"extend": Extend(left=48, right=24)}):
        plan = plan_for(tmp_path, src, "remove the cat's ear", scene="a cat", **kw)
        out = run_plan(plan, image=src, executor="classical")
        plan = plan.model_copy(update={"executor": "classical"})
        report = check(src, out.image, out.edit_mask, plan)
        assert report.passed, [(i.id, i.value) for i in report.failed]
        if "extend" in kw:
            assert report == check(src, out.image, None, plan)  # the same region, from the plan
