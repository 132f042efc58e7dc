"""SAM 3 LiteText (transformers ``Sam3LiteTextModel``) through retouch: found like SAM 3 by its
config's model_type, loaded with its own class through the same path (a tiny random build saved
with save_pretrained, sockets blocked), the same masks contract as a direct transformers call, and
the one rule that picks it over SAM 3 where memory is short (checkpoints.prefer), as runs and
list_models report it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from retouch.executors.segment import checkpoints, sam3
from retouch.executors.segment.checkpoints import memory_is_short, pick_sam3, prefer, variant_of
from retouch.executors.segment.dispatch import segment
from retouch.planner.contract.errors import InputError, ModelMissingError
from retouch.planner.contract.schema import SamPrompt

from tests.support.tiny_sam3_lite import build_tiny_sam3_lite, save_tiny_sam3_lite
from tests.support.tiny_segment import direct_sam3

pytestmark = pytest.mark.usefixtures("offline")


@pytest.fixture(scope="module")
def lite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LiteText with RepMixer blocks (as S0), 3 text layers."""
    return save_tiny_sam3_lite(tmp_path_factory.mktemp("lite") / "tiny-lite")


@pytest.fixture(scope="module")
def deep_lite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A larger tiny LiteText (no RepMixer, as S1 and L), 5 text layers."""
    return save_tiny_sam3_lite(
        tmp_path_factory.mktemp("lite") / "deep-lite", repmixer=False, layers=5
    )


@pytest.fixture(scope="module")
def photo(astronaut: Image.Image) -> Image.Image:
    return astronaut.resize((96, 72))  # not square: exercises the resize back


def hf_cache(root: Path, repo: str, folder: Path) -> Path:
    """Put ``folder`` in a Hugging Face cache at ``root`` as ``repo``'s main snapshot."""
    entry = root / f"models--{repo.replace('/', '--')}"
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text("0123abcd")
    shutil.copytree(folder, entry / "snapshots" / "0123abcd")
    return entry / "snapshots" / "0123abcd"


def test_found_like_sam3_by_the_config_model_type(
    lite_dir: Path, sam3_dir: Path, sam2_dir: Path, tmp_path: Path
) -> None:
    assert json.loads((lite_dir / "config.json").read_text())["model_type"] == "sam3_lite_text"
    assert checkpoints.kind_of(lite_dir) == checkpoints.kind_of(sam3_dir) == "sam3"
    assert (variant_of(lite_dir), variant_of(sam3_dir), variant_of(sam2_dir)) == (
        "sam3-litetext",
        "sam3",
        None,
    )
    bare = tmp_path / "renamed"  # the name says nothing: only config.json counts
    bare.mkdir()
    (bare / "config.json").write_text(json.dumps({"model_type": "sam3_lite_text"}))
    assert variant_of(bare) == "sam3-litetext"
    with pytest.raises(InputError, match="is a SAM 3 LiteText folder; clicks need"):
        checkpoints.check_kind(lite_dir, ("sam1", "sam2"), "clicks")


def test_masks_equal_a_direct_transformers_call(lite_dir: Path, photo: Image.Image) -> None:
    from transformers import Sam3LiteTextModel

    for text in ("the dog", "a red car"):
        got = segment(
            photo, SamPrompt(text=text), checkpoint=str(lite_dir), device="cpu", pick="all"
        )
        ref = direct_sam3(lite_dir, photo, text, "Sam3LiteTextModel")
        order = np.argsort(-ref["scores"].numpy(), kind="stable")
        assert len(got.instances) == len(order) >= 2
        for inst, i in zip(got.instances, order, strict=True):
            assert np.array_equal(inst.mask, ref["masks"][i].numpy().astype(bool))
            assert inst.score == pytest.approx(float(ref["scores"][i]), abs=1e-6)
            assert inst.box == pytest.approx(ref["boxes"][i].tolist(), abs=1e-3)
        assert np.array_equal(got.mask, np.logical_or.reduce([i.mask for i in got.instances]))
        assert got.sam_type == "sam3-litetext" and got.method == "sam"
        assert (
            got.note.startswith("SAM 3 LiteText found")
            and "given as the SAM checkpoint" in got.note
        )
    # the real loading path: its own class, every weight as saved (a re-initialised text encoder
    # would differ), the MobileCLIP RepMixer blocks in place
    seg = sam3.get_sam3(lite_dir, "cpu")
    assert type(seg.model) is Sam3LiteTextModel and seg.sam_type == "sam3-litetext"
    saved = build_tiny_sam3_lite().state_dict()
    loaded = seg.model.state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[k], loaded[k]) for k in saved)
    kinds = [type(layer).__name__ for layer in seg.model.text_encoder.layers]
    assert kinds == ["Sam3LiteTextRepMixerBlock", "Sam3LiteTextTextEncoderLayer"] + [
        "Sam3LiteTextRepMixerBlock"
    ]


def test_a_broken_litetext_folder_and_clicks_on_it(
    lite_dir: Path, photo: Image.Image, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-lite"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "sam3_lite_text"}))
    with pytest.raises(InputError, match="not a complete SAM 3 LiteText folder.*sam3-litetext-s0"):
        segment(photo, SamPrompt(text="the dog"), checkpoint=str(broken))
    with pytest.raises(InputError, match="is a SAM 3 LiteText folder: it segments from words"):
        segment(photo, SamPrompt(box=(1, 1, 20, 20)), checkpoint=str(lite_dir))


@pytest.mark.parametrize(
    ("hardware", "short"),
    [("cpu", True), ("gpu-8gb", True), ("gpu-12gb", True), ("gpu-16gb", True),
     ("gpu-24gb", False), ("gpu-48gb", False), ("gpu-80gb", False)],
)  # fmt: skip
def test_memory_is_short_below_24gb(hardware: str, short: bool) -> None:
    # SAM 3's bf16 weights, 1.68 GB, against 10% of the class: 1.6 GB on 16 GB, 2.4 GB on 24 GB
    assert memory_is_short(hardware) is short


def test_the_preference_both_ways(
    lite_dir: Path, deep_lite_dir: Path, sam3_dir: Path, sam3_blind_dir: Path
) -> None:
    both = [sam3_dir, lite_dir]
    for hardware in ("cpu", "gpu-8gb", "gpu-16gb"):
        short = prefer(both, hardware)
        assert short is not None and (short.path, short.variant) == (lite_dir, "sam3-litetext")
        assert short.reason.startswith(f"memory is short on {hardware}")
        assert "LiteText over SAM 3" in short.reason
    gpu8 = prefer(both, "gpu-8gb")
    assert gpu8 is not None and "(SAM 3 would take 21% of it)" in gpu8.reason
    for hardware in ("gpu-24gb", "gpu-80gb"):
        ample = prefer(reversed(both), hardware)
        assert ample is not None and (ample.path, ample.variant) == (sam3_dir, "sam3")
        assert ample.reason.startswith(f"memory is ample on {hardware}")
    # several LiteTexts: the smallest text encoder when short, the largest when not
    lites = [deep_lite_dir, lite_dir]
    assert prefer(lites, "cpu").path == lite_dir  # type: ignore[union-attr]
    assert prefer(lites, "gpu-24gb").path == deep_lite_dir  # type: ignore[union-attr]
    assert prefer(lites + [sam3_dir], "gpu-24gb").path == sam3_dir  # type: ignore[union-attr]
    # one words model is used whatever the memory; only SAM 3s: SAM 3 even when short
    alone = prefer([sam3_dir], "cpu")
    assert alone is not None and alone.path == sam3_dir and "only words model" in alone.reason
    two = prefer([sam3_blind_dir, sam3_dir], "cpu")
    assert two is not None and two.path == sam3_blind_dir and "no LiteText found" in two.reason
    assert prefer([], "cpu") is None


def test_runs_pick_from_the_cache_by_memory_and_say_which_ran(
    lite_dir: Path, sam3_dir: Path, photo: Image.Image, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import huggingface_hub.constants
    from retouch.executors.segment.editmask import resolve_with_source
    from retouch.planner import EditRequest, analyze, make_plan

    cache = Path(huggingface_hub.constants.HF_HUB_CACHE)
    full = hf_cache(cache, "facebook/sam3", sam3_dir)
    lite = hf_cache(cache, checkpoints.LITETEXT_IDS[0], lite_dir)
    assert checkpoints.candidates() == [full, lite]
    assert pick_sam3(None, "cpu").path == lite
    assert pick_sam3(None, "gpu-24gb").path == full
    # a run on the CPU: LiteText ran, the result and the plan's mask record say so
    got = segment(photo, SamPrompt(text="the dog"), device="cpu")
    assert got.sam_type == "sam3-litetext" and "because memory is short on cpu" in got.note
    path = tmp_path / "photo.png"
    photo.save(path)
    request = EditRequest(image=str(path), edit="remove the dog on the left")
    plan = make_plan(request, analyze(request))
    monkeypatch.setattr("retouch.executors.hardware.detect_hardware", lambda: "gpu-24gb")
    _, how = resolve_with_source(plan, photo, None, None)  # no device: this machine's class
    assert how == "sam3"
    monkeypatch.setattr("retouch.executors.hardware.detect_hardware", lambda: "gpu-8gb")
    _, how = resolve_with_source(plan, photo, None, None)
    assert how == "sam3-litetext"
    # a whole run records it: the weight-free fill of the LiteText mask
    from retouch.executors.run import run_plan

    out = run_plan(plan, image=photo, executor="classical")
    assert out.provenance.params["mask_from"] == "sam3-litetext"
    # $RETOUCH_SAM_CHECKPOINT naming a words folder is the user's choice, memory or not
    monkeypatch.setenv(checkpoints.CHECKPOINT_ENV, str(full))
    chosen = pick_sam3(None, "cpu")
    assert chosen.path == full and chosen.reason == "RETOUCH_SAM_CHECKPOINT names it"


def test_without_either_the_error_names_both(photo: Image.Image) -> None:
    with pytest.raises(ModelMissingError) as err:
        segment(photo, SamPrompt(text="the dog"))
    msg = str(err.value)
    for words in ("facebook/sam3", "hf download yonigozlan/sam3-litetext-s0", "less memory"):
        assert words in msg
    assert "clicks or a box, or give a mask file" in msg


def test_list_models_says_which_kinds_and_which_is_used(
    lite_dir: Path, sam3_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retouch.server.mcp.models import sam_checkpoints, text_masks

    models = tmp_path / "models"
    models.mkdir()
    shutil.copytree(sam3_dir, models / "sam3")
    shutil.copytree(lite_dir, models / "lite")
    found = sam_checkpoints([models])
    assert [(Path(s.path).name, s.sam_type, s.prompts) for s in found] == [
        ("lite", "sam3-litetext", "words"),
        ("sam3", "sam3", "words"),
    ]
    cpu = text_masks(found, "cpu")
    assert cpu.startswith(f"make_mask takes words (text) with SAM 3 LiteText at {models / 'lite'}")
    assert "memory is short on cpu: LiteText over SAM 3" in cpu
    assert "words models found: SAM 3, SAM 3 LiteText" in cpu
    big = text_masks(found, "gpu-48gb")
    assert big.startswith(f"make_mask takes words (text) with SAM 3 at {models / 'sam3'}")
    assert "memory is ample on gpu-48gb" in big
    monkeypatch.setenv(checkpoints.CHECKPOINT_ENV, str(models / "sam3"))
    assert "SAM 3 at" in text_masks(sam_checkpoints([models]), "cpu")
    assert "RETOUCH_SAM_CHECKPOINT names it" in text_masks(sam_checkpoints([models]), "cpu")
    monkeypatch.delenv(checkpoints.CHECKPOINT_ENV)
    none = text_masks(sam_checkpoints([tmp_path / "empty"]), "cpu")
    assert "cannot take words" in none and "sam3-litetext-s0" in none
