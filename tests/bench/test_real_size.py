"""The newest editors' published configs (``tests/bench/published_configs_edit.py``), checked on the
meta device (no memory, a few seconds): parameter counts against the released checkpoints, and
real-size shapes through each transformer."""

from __future__ import annotations

import pytest
import torch

from tests.bench.published_configs_edit import RELEASED, TOLERANCE


def _count(name: str) -> int:
    from accelerate import init_empty_weights

    from tests.bench.real_size import new_module, tie

    with init_empty_weights(include_buffers=False):
        module = new_module(name, tiny=False)
    tie(module)  # Qwen3-4B shares its input embedding with the LM head
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_published_config_has_the_released_parameter_count(name: str) -> None:
    released, source = RELEASED[name]
    count = _count(name)
    tolerance = TOLERANCE.get(name, 0.0)
    assert abs(count - released) <= tolerance * released, (
        f"{name}: {count:,} parameters, released {released:,} ({source})"
    )


def test_the_released_counts_fail_a_wrong_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """One single-stream block less in klein (3% of it) is far outside its 0.1% tolerance."""
    from tests.bench import published_configs

    wrong = {**published_configs.PUBLISHED["klein_4b"], "num_single_layers": 19}
    monkeypatch.setitem(published_configs.PUBLISHED, "klein_4b", wrong)
    released, _ = RELEASED["klein_4b"]
    assert abs(_count("klein_4b") - released) > TOLERANCE["klein_4b"] * released


def test_real_size_transformers_take_the_real_sequences_on_meta() -> None:
    """1024 x 1024 edits: 4096 noisy + 4096 reference tokens and the text encoders' widths."""
    from tests.bench.real_size import new_module

    tokens, text = 64 * 64, 512
    with torch.device("meta"):
        klein = new_module("klein_4b", tiny=False)
        out = klein(
            hidden_states=torch.randn(1, 2 * tokens, 128),
            encoder_hidden_states=torch.randn(1, text, 3 * 2560),
            timestep=torch.ones(1),
            img_ids=torch.zeros(1, 2 * tokens, 4),
            txt_ids=torch.zeros(1, text, 4),
            return_dict=False,
        )[0]
        assert out.shape == (1, 2 * tokens, 128)
        longcat = new_module("longcat_image_edit", tiny=False)
        out = longcat(
            hidden_states=torch.randn(1, 2 * tokens, 64),
            encoder_hidden_states=torch.randn(1, text, 3584),
            timestep=torch.ones(1),
            img_ids=torch.zeros(2 * tokens, 3),
            txt_ids=torch.zeros(text, 3),
            return_dict=False,
        )[0]
        assert out.shape == (1, 2 * tokens, 64)


# ------------------------------------------------------------------ SAM 3 and SAM 3 LiteText
# The text encoders of the SAM 3 LiteText releases (yonigozlan/sam3-litetext-s0 / -s1 / -l,
# config.json text_config; MobileCLIP-S0 / -S1 / MobileCLIP2-L) and their published sizes: the
# table of transformers' docs/source/en/model_doc/sam3_lite_text.md ("SAM3-LiteText-S0-16 ...
# 42.54M", "-S1-16 63.53M", "-L-16 123.80M"; SAM 3's own text encoder "353M"). The published counts
# are the 16-token-context releases and include the projection to the detector's width; the
# transformers default of 77 positions adds 61 x width (31K for S0) and is what retouch's memory rule
# counts (executors/segment/checkpoints.py).
LITETEXT_TEXT = {
    "s0": {"num_hidden_layers": 6, "use_repmixer_blocks": True},
    "s1": {"num_hidden_layers": 12, "use_repmixer_blocks": False},
    "l": {"hidden_size": 768, "intermediate_size": 3072, "projection_dim": 768,
          "num_hidden_layers": 12, "num_attention_heads": 12, "use_repmixer_blocks": False},
}  # fmt: skip
LITETEXT_PUBLISHED = {"s0": 42_540_000, "s1": 63_530_000, "l": 123_800_000}  # rounded to 10K
SAM3_TEXT_PUBLISHED = 353_000_000  # "353M": whole millions


def _sam3_counts(text: dict[str, object] | None) -> tuple[int, int]:
    """(all parameters, text encoder + its projection) of the real-size SAM 3 image model
    (``text`` None) or SAM 3 LiteText with that text config, on the meta device."""
    from accelerate import init_empty_weights
    from transformers import Sam3Config, Sam3LiteTextConfig, Sam3LiteTextModel, Sam3Model

    with init_empty_weights(include_buffers=False):
        if text is None:
            model = Sam3Model(Sam3Config())
        else:
            model = Sam3LiteTextModel(Sam3LiteTextConfig(text_config=text))
    named = dict(model.named_parameters())
    total = sum(p.numel() for p in named.values())
    text_part = sum(p.numel() for n, p in named.items() if n.startswith("text_"))
    return total, text_part


def test_sam3_litetext_text_encoders_have_the_published_sizes() -> None:
    from retouch.executors.segment.checkpoints import LITETEXT_S0_PARAMS, SAM3_PARAMS

    sam3_total, sam3_text = _sam3_counts(None)
    assert sam3_total == SAM3_PARAMS  # the memory rule's number
    assert abs(sam3_text - SAM3_TEXT_PUBLISHED) <= 0.005 * SAM3_TEXT_PUBLISHED  # 353.7M
    for name, text in LITETEXT_TEXT.items():
        total, lite_text = _sam3_counts({**text, "max_position_embeddings": 16})
        assert abs(lite_text - LITETEXT_PUBLISHED[name]) <= 5_000, (name, lite_text)
        assert total - lite_text == sam3_total - sam3_text  # same vision encoder, DETR, masks
    s0_total, s0_text = _sam3_counts(LITETEXT_TEXT["s0"])  # 77 positions, as transformers loads it
    assert s0_total == LITETEXT_S0_PARAMS
    # "65-88% smaller text encoder" (issue 30): L 65%, S1 82%, S0 88%
    shares = [1 - _sam3_counts(t)[1] / sam3_text for t in LITETEXT_TEXT.values()]
    assert [round(s, 2) for s in shares] == [0.88, 0.82, 0.65]


def test_joyai_plus_has_the_released_weights_layout() -> None:
    """JoyAI-Image-Edit Plus: ComfyUI's port counts 894 weights, the single-image variant's."""
    from accelerate import init_empty_weights

    from tests.bench.published_configs_edit import JOYAI_KEYS
    from tests.bench.real_size import new_module

    with init_empty_weights(include_buffers=False):
        plus = new_module("joyai_plus", tiny=False)
    assert len(plus.state_dict()) == JOYAI_KEYS
    assert (plus.config.hidden_size, plus.config.num_layers) == (4096, 40)


def test_joyai_plus_row_reads_real_vision_tokens_and_drops_its_system_prompt() -> None:
    """The gpu_latency JoyAI Plus row (its tiny build: same processor and template): Qwen3-VL's
    published processor turns a 1024^2 image into 1024 vision tokens (patch 16, 2x2 merge), and the
    drop counted under the byte-level tokenizer is exactly the template's system prompt, so the
    transformer reads the user turn only, as the real pipeline's 34 ids do."""
    from PIL import Image

    from tests.bench.real_size import FAMILIES, build_pipeline

    pipe = build_pipeline(FAMILIES["joyai-image-edit-plus"], tiny=True, device="cpu")
    tok = pipe.processor.tokenizer
    prompt = "<|vision_start|><|image_pad|><|vision_end|>a red knitted hat"
    inputs = pipe.processor(text=[prompt], images=[Image.new("RGB", (1024, 1024))])
    assert inputs["input_ids"][0].count(tok.convert_tokens_to_ids("<|image_pad|>")) == 1024
    template = pipe.prompt_template_encode["multiple_images"]
    drop = pipe.prompt_template_encode_start_idx["multiple_images"]
    ids = tok(template.format("<|im_start|>user\nhat<|im_end|>\n"))["input_ids"]
    assert tok.decode(ids[drop:]).startswith("<|im_start|>user\nhat")
    assert tok.decode(ids[:drop]) == template.split("{}")[0]
