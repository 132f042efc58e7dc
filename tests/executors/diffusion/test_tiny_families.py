"""Tiny SDXL-inpaint, Flux Fill and Flux Kontext pipelines (tests/executors/tiny_families.py):
local tokenizers, save -> load back offline, deterministic end-to-end CPU runs; and the GPU latency
benchmark's no-GPU exit, its meta-device builder and its tiny CPU run."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from tests.executors.tiny_families import (
    PIPELINE_CLASSES,
    TINY_BUILDERS,
    TINY_VOCAB_SIZE,
    VAE_SCALE_FACTOR,
    tiny_clip_tokenizer,
    tiny_flux_fill_components,
    tiny_flux_kontext_components,
    tiny_sdxl_inpaint_components,
    tiny_t5_tokenizer,
)

FAMILIES = list(TINY_BUILDERS)
FRESH_COMPONENTS = {
    "sdxl-inpaint": tiny_sdxl_inpaint_components,
    "flux-fill": tiny_flux_fill_components,
    "flux-kontext": tiny_flux_kontext_components,
}
DENOISER = {"sdxl-inpaint": "unet", "flux-fill": "transformer", "flux-kontext": "transformer"}


@pytest.fixture(scope="module", autouse=True)
def one_thread():  # type: ignore[no-untyped-def]
    """Tiny models on 2 shared cores run several times faster on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-families")
    return {name: build(root / name) for name, build in TINY_BUILDERS.items()}


@pytest.fixture(scope="module")
def loaded(saved: dict[str, Path]) -> dict[str, Any]:
    """Each saved folder loaded back with local_files_only=True while sockets refuse to connect."""
    from diffusers import DiffusionPipeline

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access attempted")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        pipes = {
            n: DiffusionPipeline.from_pretrained(p, local_files_only=True) for n, p in saved.items()
        }
    for pipe in pipes.values():
        pipe.set_progress_bar_config(disable=True)
    return pipes


def source(seed: int = 0, size: int = 64) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def box_mask(box: tuple[int, int, int, int], size: int = 64) -> Image.Image:
    m = np.zeros((size, size), np.uint8)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = 255
    return Image.fromarray(m, "L")


def run(pipe: Any, family: str, seed: int = 0, **overrides: Any) -> np.ndarray:
    """One 2-step 64x64 call straight through the diffusers pipeline; (H, W, 3) floats in [0, 1]."""
    kw: dict[str, Any] = {
        "prompt": "a red knitted hat",
        "image": source(),
        "height": 64,
        "width": 64,
        "num_inference_steps": 2,
        "generator": torch.Generator().manual_seed(seed),
        "output_type": "np",
    }
    if family == "flux-kontext":
        kw.update(max_area=64 * 64, _auto_resize=False, max_sequence_length=48)
    else:
        kw["mask_image"] = box_mask((16, 16, 48, 48))
    if family == "flux-fill":
        kw["max_sequence_length"] = 48
    if family == "sdxl-inpaint":
        kw["strength"] = 1.0
    kw.update(overrides)
    return pipe(**kw).images[0]


# 1. tokenizers ----------------------------------------------------------------------------------


def test_clip_tokenizer_pads_to_77_and_round_trips(tmp_path: Path) -> None:
    from transformers import CLIPTokenizer

    tok = tiny_clip_tokenizer()
    ids = tok("A red hat", padding="max_length", max_length=tok.model_max_length).input_ids
    assert len(ids) == 77
    assert ids[0] == 0  # <|startoftext|>
    assert ids[8:] == [1] * 69  # 7 symbols ("a", "red", "hat" = 1 + 3 + 3), then eos/pad
    assert 1 not in ids[1:8] and max(ids) < TINY_VOCAB_SIZE
    assert tok.decode(ids, skip_special_tokens=True) == "a red hat"
    tok.save_pretrained(tmp_path)
    again = CLIPTokenizer.from_pretrained(tmp_path, local_files_only=True)
    for text in ["A red hat", "x-ray, 3 cats!", "é"]:
        assert again(text).input_ids == tok(text).input_ids


def test_t5_tokenizer_ends_with_eos_and_round_trips(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    tok = tiny_t5_tokenizer()
    ids = tok("a red hat", padding="max_length", max_length=16).input_ids
    assert len(ids) == 16 and max(ids) < TINY_VOCAB_SIZE
    assert ids[7:] == [1] + [0] * 8  # 7 pieces (▁a ▁r e d ▁h a t), </s>, then <pad>
    assert 2 not in ids  # no <unk> for plain ASCII
    assert tok.decode(ids, skip_special_tokens=True) == "a red hat"
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert type(again).__name__ == "T5Tokenizer"
    assert again("Shift 2 px.").input_ids == tok("Shift 2 px.").input_ids


# 2. save -> load -> run -------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_loads_back_offline_with_the_saved_weights(family: str, loaded: dict[str, Any]) -> None:
    pipe = loaded[family]
    assert type(pipe).__name__ == PIPELINE_CLASSES[family]
    assert pipe.vae_scale_factor == VAE_SCALE_FACTOR
    encoder_2 = type(pipe.text_encoder_2).__name__
    assert encoder_2 == ("T5EncoderModel" if "flux" in family else "CLIPTextModelWithProjection")
    fresh = FRESH_COMPONENTS[family]()[DENOISER[family]].state_dict()
    saved = getattr(pipe, DENOISER[family]).state_dict()
    assert saved.keys() == fresh.keys()
    assert all(torch.equal(saved[k], fresh[k]) for k in fresh)


@pytest.mark.parametrize("family", FAMILIES)
def test_runs_end_to_end_deterministic_per_seed(family: str, loaded: dict[str, Any]) -> None:
    pipe = loaded[family]
    first, again, other = run(pipe, family), run(pipe, family), run(pipe, family, seed=1)
    assert first.shape == (64, 64, 3) and np.isfinite(first).all()
    assert first.std() > 0.01  # an image, not a constant
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


@pytest.mark.parametrize("family", FAMILIES)
def test_conditioning_reaches_the_denoiser(family: str, loaded: dict[str, Any]) -> None:
    """Prompt and the family's image input (mask, or Kontext's source) both change the result."""
    pipe = loaded[family]
    base = run(pipe, family)
    assert np.abs(base - run(pipe, family, prompt="a blue bird")).max() > 1e-4
    if family == "flux-kontext":
        changed = run(pipe, family, image=source(seed=7))
    else:
        changed = run(pipe, family, mask_image=box_mask((0, 0, 32, 64)))
    assert np.abs(base - changed).max() > 1e-4


def test_sdxl_refuses_sides_off_a_multiple_of_8(loaded: dict[str, Any]) -> None:
    """SDXL inpaint raises on sides that are not multiples of 8: callers must pad or resize."""
    image, mask = source().resize((72, 60)), box_mask((8, 8, 40, 40)).resize((72, 60))
    with pytest.raises(ValueError, match="divisible by 8"):
        run(
            loaded["sdxl-inpaint"],
            "sdxl-inpaint",
            image=image,
            mask_image=mask,
            height=60,
            width=72,
        )


def test_flux_floors_sides_to_a_multiple_of_16(loaded: dict[str, Any]) -> None:
    """Flux Fill silently floors sides to multiples of 16 (packed 2x2 latents): 56x72 -> 48x64."""
    image, mask = source().resize((72, 56)), box_mask((8, 8, 40, 40)).resize((72, 56))
    out = run(loaded["flux-fill"], "flux-fill", image=image, mask_image=mask, height=56, width=72)
    assert out.shape[:2] == (48, 64)


# 3. the GPU latency benchmark -------------------------------------------------------------------


def test_gpu_latency_without_a_gpu_skips_cleanly(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.bench import gpu_latency

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_latency.main([]) == 0
    assert capsys.readouterr().out == "no CUDA GPU: skipped\n"


def test_gpu_latency_refuses_real_sizes_on_the_cpu(capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.bench import gpu_latency

    assert gpu_latency.main(["--device", "cpu"]) == 2
    assert "--tiny" in capsys.readouterr().out


def test_gpu_latency_reports_a_failed_row_and_goes_on() -> None:
    from tests.bench.gpu_latency import Row, _guarded

    def boom() -> Row:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    fallback = Row("flux-fill", "full frame", 2048, 2048, "bfloat16", "SDPA", False, 28)
    row = _guarded(boom, fallback, tiny=False)
    assert row.edit_s is None and row.note.startswith("error: OutOfMemoryError")
    with pytest.raises(torch.cuda.OutOfMemoryError):
        _guarded(boom, fallback, tiny=True)


def test_published_configs_have_the_published_parameter_counts() -> None:
    """Built on the meta device (no memory): counts match the released checkpoints."""
    from accelerate import init_empty_weights

    from tests.bench.real_size import new_module, tie

    expected = {  # parameters of the released checkpoints
        "clip_l": 123_060_480,
        "openclip_bigg": 694_659_840,
        "t5_xxl": 4_762_310_656,  # encoder, input embedding shared
        "sd15_inpaint_unet": 859_535_364,
        "sdxl_inpaint_unet": 2_567_478_084,
        "flux_fill": 11_902_391_360,
        "flux_kontext": 11_901_408_320,
    }
    for name, count in expected.items():
        with init_empty_weights(include_buffers=False):
            module = new_module(name, tiny=False)
        tie(module)
        assert sum(p.numel() for p in module.parameters()) == count, name


def test_published_components_fit_together_at_real_size_on_meta() -> None:
    """Real-size encoders feed real-size denoisers: shapes only, on the meta device (no memory)."""
    from tests.bench.real_size import new_module

    def ids(n: int) -> torch.Tensor:
        return torch.zeros(1, n, dtype=torch.long)

    with torch.device("meta"):
        clip = new_module("clip_l", tiny=False)(ids(77), output_hidden_states=True)
        bigg = new_module("openclip_bigg", tiny=False)(ids(77), output_hidden_states=True)
        t5 = new_module("t5_xxl", tiny=False)(ids(512))[0]
        sd = new_module("sd15_inpaint_unet", tiny=False)
        eps = sd(torch.randn(1, 9, 64, 64), 1, encoder_hidden_states=clip.last_hidden_state).sample
        assert eps.shape == (1, 4, 64, 64)
        sdxl = new_module("sdxl_inpaint_unet", tiny=False)
        text = torch.cat([clip.hidden_states[-2], bigg.hidden_states[-2]], dim=-1)  # (1, 77, 2048)
        cond = {"text_embeds": bigg.text_embeds, "time_ids": torch.zeros(1, 6)}
        eps = sdxl(torch.randn(1, 9, 128, 128), 1, text, added_cond_kwargs=cond).sample
        assert eps.shape == (1, 4, 128, 128)
        vae = new_module("flux_vae", tiny=False)
        latents = vae.encode(torch.randn(1, 3, 1024, 1024)).latent_dist.mean
        assert latents.shape == (1, 16, 128, 128)
        tokens = 64 * 64  # 1024 px / 8 (VAE) / 2 (2x2 packing), squared
        for name, channels, seq in [("flux_fill", 384, tokens), ("flux_kontext", 64, 2 * tokens)]:
            out = new_module(name, tiny=False)(
                hidden_states=torch.randn(1, seq, channels),
                encoder_hidden_states=t5,
                pooled_projections=clip.pooler_output,
                timestep=torch.ones(1),
                img_ids=torch.zeros(seq, 3),
                txt_ids=torch.zeros(512, 3),
                guidance=torch.ones(1),
            ).sample
            assert out.shape == (1, seq, 64), name  # 16 latent channels x 2x2


def test_build_on_device_materialises_buffers_and_params() -> None:
    from tests.bench.real_size import build_on_device

    clip = build_on_device("clip_l", True, "cpu", torch.float32, seed=0)
    assert not any(p.is_meta for p in clip.parameters())
    position_ids = clip.get_buffer("embeddings.position_ids")
    torch.testing.assert_close(position_ids, torch.arange(77).unsqueeze(0))
    assert all(torch.isfinite(p).all() for p in clip.parameters())
    t5 = build_on_device("t5_xxl", True, "cpu", torch.float32, seed=0)
    assert t5.shared.weight is t5.encoder.embed_tokens.weight
    fill = build_on_device("flux_fill", True, "cpu", torch.float32, seed=0)
    assert fill.x_embedder.in_features == 384  # 64 latents + 64 masked image + 256 mask


@pytest.mark.slow
def test_gpu_latency_tiny_cpu_run_fills_every_row(tmp_path: Path) -> None:
    from tests.bench import gpu_latency

    out = tmp_path / "results.md"
    assert gpu_latency.main(["--device", "cpu", "--tiny", "--out", str(out)]) == 0
    rows = [line.split(" | ") for line in out.read_text().splitlines() if line.startswith("| ")]
    body = [r for r in rows[1:] if not r[0].startswith("|---")]
    modes = [(r[0].removeprefix("| "), r[1]) for r in body]
    assert modes == [  # the newest editors first: the table (Qwen at 40 and 8 steps)
        ("flux2-klein", "native"),
        ("qwen-image-edit", "native"),
        ("qwen-image-edit", "native"),
        ("longcat-image-edit", "native"),
        ("qwen-image-layered", "native"),
        ("joyai-image-edit-plus", "native"),
        ("z-image", "crop -> native"),
        ("z-image", "full frame"),
        ("z-image-controlnet", "crop -> native"),
        ("z-image-controlnet", "full frame"),
        ("sd-inpaint", "crop -> native"),
        ("sd-inpaint", "full frame"),
        ("sdxl-inpaint", "crop -> native"),
        ("sdxl-inpaint", "full frame"),
        ("flux-fill", "crop -> native"),
        ("flux-fill", "full frame"),
        ("flux-kontext", "native"),
    ]
    assert "Lightning" in body[2][11], body[2]
    for r in body:
        edit_s, step_s = float(r[8]), float(r[9])
        assert 0 < step_s <= edit_s, r
