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
