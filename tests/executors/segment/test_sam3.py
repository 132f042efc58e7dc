"""SAM 3 text masks through retouch: a tiny random Sam3Model saved with save_pretrained, loaded back
through executors.segment (local_files_only, sockets blocked), against a direct transformers call."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.executors.segment import sam3
from retouch.executors.segment.dispatch import segment
from retouch.planner.contract.errors import ExecutorError, InputError, ModelMissingError
from retouch.planner.contract.schema import SamPoint, SamPrompt

from tests.support.tiny_segment import direct_sam3

pytestmark = pytest.mark.usefixtures("offline")


@pytest.fixture(scope="module")
def photo(astronaut: Image.Image) -> Image.Image:
    return astronaut.resize((96, 72))  # not square: exercises the resize back


@pytest.mark.parametrize("text", ["the dog", "a red car"])
def test_instances_equal_a_direct_transformers_call(
    text: str, sam3_dir: Path, photo: Image.Image
) -> None:
    got = segment(photo, SamPrompt(text=text), checkpoint=str(sam3_dir), device="cpu", pick="all")
    ref = direct_sam3(sam3_dir, photo, text)
    order = np.argsort(-ref["scores"].numpy(), kind="stable")
    assert len(got.instances) == len(order) >= 2
    for inst, i in zip(got.instances, order, strict=True):
        assert np.array_equal(inst.mask, ref["masks"][i].numpy().astype(bool))
        assert inst.score == pytest.approx(float(ref["scores"][i]), abs=1e-6)
        assert inst.box == pytest.approx(ref["boxes"][i].tolist(), abs=1e-3)
    assert [i.id for i in got.instances] == list(range(1, len(order) + 1))
    assert np.array_equal(got.mask, np.logical_or.reduce([i.mask for i in got.instances]))
    assert got.sam_type == "sam3" and got.method == "sam"


def test_second_phrase_reuses_the_vision_features(sam3_dir: Path, photo: Image.Image) -> None:
    seg = sam3.get_sam3(sam3_dir, "cpu")
    calls: list[int] = []
    seg.model.vision_encoder.register_forward_hook(lambda *_: calls.append(1))
    first = seg(photo, "the dog")
    second = seg(photo, "the cat")
    again = seg(photo, "the dog")
    assert len(calls) == 1 and seg.cached_images == 1
    assert [i.score for i in first] == [i.score for i in again]
    ref = direct_sam3(sam3_dir, photo, "the cat")
    assert len(second) == len(ref["scores"])
    seg(photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT), "the dog")
    assert len(calls) == 2


def test_default_choice_is_the_most_confident_and_picks_choose(
    sam3_dir: Path, photo: Image.Image
) -> None:
    best = segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam3_dir))
    assert best.chosen == [1] and np.array_equal(best.mask, best.instances[0].mask)
    left = segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam3_dir), pick="left")
    centres = {i.id: (i.box[0] + i.box[2]) / 2 for i in left.instances}
    assert left.chosen == [min(centres, key=lambda k: (centres[k], k))]
    two = segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam3_dir), instance=2)
    assert two.chosen == [2] and np.array_equal(two.mask, two.instances[1].mask)


def test_env_checkpoint_is_used_for_words(
    sam3_dir: Path, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETOUCH_SAM_CHECKPOINT", str(sam3_dir))
    assert segment(photo, SamPrompt(text="the dog")).sam_type == "sam3"


def test_without_sam3_words_are_a_model_missing_error_not_grabcut(photo: Image.Image) -> None:
    with pytest.raises(ModelMissingError) as err:
        segment(photo, SamPrompt(text="the dog"))
    msg = str(err.value)
    for words in ("facebook/sam3", "848M", "SAM License", "SAM checkpoint", "clicks", "mask file"):
        assert words in msg
    assert "--" not in msg.replace("`hf download facebook/sam3`", "")
    assert [h.setting for h in err.value.hints] == ["sam_checkpoint", "points", "box", "mask"]


def test_nothing_found_is_an_executor_error_suggesting_clicks(
    sam3_blind_dir: Path, photo: Image.Image
) -> None:
    with pytest.raises(ExecutorError, match="found no 'the dog'.*clicks or a box") as caught:
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam3_blind_dir))
    assert [h.setting for h in caught.value.hints] == ["points", "box"]


def test_bad_text_prompts(sam3_dir: Path, photo: Image.Image) -> None:
    with pytest.raises(ValueError, match="text is empty"):
        SamPrompt(text="  ")
    with pytest.raises(InputError, match="not both"):
        segment(photo, SamPrompt(text="the dog", points=[SamPoint(x=3, y=3)]))
    with pytest.raises(InputError, match="at most 32"):
        segment(photo, SamPrompt(text="the dog " * 10), checkpoint=str(sam3_dir))
    with pytest.raises(InputError, match="out of range: .* numbered 1\\.\\."):
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam3_dir), instance=99)
    with pytest.raises(InputError, match="pick 'leftish' is unknown"):
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam3_dir), pick="leftish")
    with pytest.raises(InputError, match="give the words too"):
        segment(photo, SamPrompt(box=(1, 1, 20, 20)), instance=1)


def test_wrong_kind_of_checkpoint(
    sam2_dir: Path, sam3_dir: Path, photo: Image.Image, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="is a SAM 2 folder; words need a SAM 3 folder"):
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam2_dir))
    with pytest.raises(InputError, match="is a SAM 3 folder: it segments from words"):
        segment(photo, SamPrompt(box=(1, 1, 20, 20)), checkpoint=str(sam3_dir))
    other = tmp_path / "bert"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(InputError, match="model_type 'bert'"):
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(other))
    broken = tmp_path / "broken-sam3"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "sam3"}))
    with pytest.raises(InputError, match="not a complete SAM 3 folder"):
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(broken))
    with pytest.raises(ModelMissingError, match="does not exist"):
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(tmp_path / "nowhere"))


def test_a_plan_with_a_text_mask_gets_it_from_sam3(
    sam3_dir: Path, photo: Image.Image, tmp_path: Path
) -> None:
    from retouch.executors.images import masks
    from retouch.executors.segment.editmask import resolve_with_source
    from retouch.planner import EditRequest, analyze, make_plan

    path = tmp_path / "photo.png"
    photo.save(path)
    request = EditRequest(image=str(path), edit="remove the dog on the left")
    plan = make_plan(request, analyze(request))
    got, how = resolve_with_source(plan, photo, None, str(sam3_dir))
    want = segment(photo, SamPrompt(text="the dog"), checkpoint=str(sam3_dir), pick="left")
    assert how == "sam3"
    assert np.array_equal(got, masks.dilate(want.mask, plan.mask.dilate_px))
    with pytest.raises(ModelMissingError, match="facebook/sam3"):
        resolve_with_source(plan, photo, None, None)
