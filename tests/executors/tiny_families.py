"""Tiny random SDXL-inpaint, Flux Fill and Flux Kontext pipelines, built in-process for tests.

Not a test module: tests import it to get a saved pipeline folder that loads back through
``DiffusionPipeline.from_pretrained(folder, local_files_only=True)`` exactly as a downloaded one
would. Nothing here touches the network; the CLIP and T5 tokenizers are built from small local
vocabularies with the ``tokenizers`` library.

The components mirror diffusers' own ``get_dummy_components`` for these pipelines, with three
deliberate differences so that the tiny pipelines keep the real models' *shape rules*:

- every VAE has four blocks, so ``vae_scale_factor`` is 8 as in the real models (SDXL sizes are
  multiples of 8, Flux sizes multiples of 16 because latents are packed in 2x2 patches);
- the SDXL UNet takes 9 input channels (latents + mask + masked-image latents) like
  ``stable-diffusion-xl-1.0-inpainting-0.1``, and uses 6 added time ids (no aesthetic score);
- the Flux transformers have ``guidance_embeds=True`` (distilled guidance, as Fill/Kontext [dev]).

Sizes: run them at 32-64 px with 2 steps; on CPU one call takes well under a second.

    build_tiny_sdxl_inpaint(folder) -> folder   # StableDiffusionXLInpaintPipeline
    build_tiny_flux_fill(folder) -> folder      # FluxFillPipeline
    build_tiny_flux_kontext(folder) -> folder   # FluxKontextPipeline
"""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

CLIP_MAX_LENGTH = 77
"""Token length of every CLIP prompt (as the real CLIP-L / OpenCLIP-bigG tokenizers)."""

T5_MAX_LENGTH = 512
"""``model_max_length`` of the tiny T5 tokenizer; Flux pads T5 prompts to ``max_sequence_length``."""

TINY_VOCAB_SIZE = 1000
"""Embedding rows of the tiny text encoders; both tiny tokenizers emit ids below it."""

TEXT_DIM = 32
"""Hidden size of every tiny text encoder (CLIP hidden, CLIP projection, T5 d_model)."""

VAE_SCALE_FACTOR = 8
"""Pixels per latent cell in every tiny VAE, as in the real SDXL and Flux VAEs."""


# 1. tokenizers ------------------------------------------------------------------------------------


def tiny_clip_tokenizer(max_length: int = CLIP_MAX_LENGTH) -> Any:
    """A byte-level BPE ``CLIPTokenizer`` over the 256 byte symbols, with no merges.

    Ids: ``<|startoftext|>`` = 0, ``<|endoftext|>`` = 1 (also pad and unk), then each byte symbol
    twice (inside a word, and word-final with the ``</w>`` suffix): 514 ids in all.
    """
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in sorted(ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
        vocab[symbol + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def tiny_t5_tokenizer(max_length: int = T5_MAX_LENGTH) -> Any:
    """A Unigram ``T5Tokenizer`` (the class diffusers loads as ``T5TokenizerFast``).

    Ids: ``<pad>`` = 0, ``</s>`` = 1, ``<unk>`` = 2, ``▁`` = 3, then every ASCII letter, digit and
    punctuation mark alone and with a leading ``▁`` (word start): 192 ids, no sentinel tokens.
    """
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    for char in string.ascii_letters + string.digits + string.punctuation:
        pieces += [(char, -5.0), ("\u2581" + char, -4.0)]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=max_length)


# 2. text encoders ---------------------------------------------------------------------------------


def _clip_config() -> Any:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=TEXT_DIM,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=5,
        max_position_embeddings=CLIP_MAX_LENGTH,
        vocab_size=TINY_VOCAB_SIZE,
        hidden_act="gelu",
        projection_dim=TEXT_DIM,
    )


def tiny_clip_text_encoder(with_projection: bool = False) -> Any:
    """``CLIPTextModel`` (CLIP-L's role) or ``CLIPTextModelWithProjection`` (OpenCLIP-bigG's)."""
    import torch
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    cls = CLIPTextModelWithProjection if with_projection else CLIPTextModel
    return cls(_clip_config())


def tiny_t5_encoder() -> Any:
    """``T5EncoderModel`` in T5 v1.1's shape (gated-GELU feed-forward), ``d_model`` = TEXT_DIM."""
    import torch
    from transformers import T5Config, T5EncoderModel

    config = T5Config(
        vocab_size=TINY_VOCAB_SIZE,
        d_model=TEXT_DIM,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        feed_forward_proj="gated-gelu",
        is_encoder_decoder=False,
        use_cache=False,
        pad_token_id=0,
        eos_token_id=1,
    )
    torch.manual_seed(0)
    return T5EncoderModel(config)


# 3. VAEs and denoisers ----------------------------------------------------------------------------


def _tiny_vae(latent_channels: int, flux: bool) -> Any:
    """Four-block AutoencoderKL (scale factor 8) with 8 channels per block."""
    import torch
    from diffusers import AutoencoderKL

    flux_kwargs: dict[str, Any] = {
        "use_quant_conv": False,
        "use_post_quant_conv": False,
        "shift_factor": 0.1159,
        "scaling_factor": 0.3611,
    }
    torch.manual_seed(0)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=4,
        sample_size=64,
        **(flux_kwargs if flux else {"scaling_factor": 0.13025, "force_upcast": False}),
    )


def _tiny_sdxl_unet() -> Any:
    """9-channel SDXL-style UNet: text_time added embeddings, two CLIPs' worth of cross-attention."""
    import torch
    from diffusers import UNet2DConditionModel

    time_dim = 8
    torch.manual_seed(0)
    return UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=8,
        in_channels=9,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=time_dim,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=6 * time_dim + TEXT_DIM,  # 6 time ids + pooled bigG
        cross_attention_dim=2 * TEXT_DIM,  # CLIP-L hidden + bigG hidden, concatenated
    )


def _tiny_flux_transformer(in_channels: int, out_channels: int) -> Any:
    import torch
    from diffusers import FluxTransformer2DModel

    torch.manual_seed(0)
    return FluxTransformer2DModel(
        patch_size=1,
        in_channels=in_channels,
        out_channels=out_channels,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=TEXT_DIM,  # T5 d_model
        pooled_projection_dim=TEXT_DIM,  # CLIP pooled output
        guidance_embeds=True,
        axes_dims_rope=(4, 4, 8),
    )


# 4. components per family -------------------------------------------------------------------------


def tiny_sdxl_inpaint_components() -> dict[str, Any]:
    """Keyword arguments for ``StableDiffusionXLInpaintPipeline(**components)``."""
    from diffusers import EulerDiscreteScheduler

    return {
        "unet": _tiny_sdxl_unet(),
        "scheduler": EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            steps_offset=1,
            timestep_spacing="leading",
        ),
        "vae": _tiny_vae(latent_channels=4, flux=False),
        "text_encoder": tiny_clip_text_encoder(with_projection=False),
        "tokenizer": tiny_clip_tokenizer(),
        "text_encoder_2": tiny_clip_text_encoder(with_projection=True),
        "tokenizer_2": tiny_clip_tokenizer(),
        "requires_aesthetics_score": False,
        "force_zeros_for_empty_prompt": True,
        "add_watermarker": False,
    }


def _tiny_flux_components(transformer: Any) -> dict[str, Any]:
    from diffusers import FlowMatchEulerDiscreteScheduler

    return {
        "transformer": transformer,
        "scheduler": FlowMatchEulerDiscreteScheduler(
            base_image_seq_len=256,
            base_shift=0.5,
            max_image_seq_len=4096,
            max_shift=1.15,
            shift=3.0,
            use_dynamic_shifting=True,
        ),
        "vae": _tiny_vae(latent_channels=4, flux=True),
        "text_encoder": tiny_clip_text_encoder(with_projection=False),
        "tokenizer": tiny_clip_tokenizer(),
        "text_encoder_2": tiny_t5_encoder(),
        "tokenizer_2": tiny_t5_tokenizer(),
    }


def tiny_flux_fill_components() -> dict[str, Any]:
    """Keyword arguments for ``FluxFillPipeline(**components)``.

    Transformer input per packed 2x2 token: noisy latents (4 ch x 4) + masked-image latents
    (4 x 4) + the pixel mask folded into the token (8 x 8 pixels x 4) = 288 channels; the real
    model has 64 + 64 + 256 = 384.
    """
    packed = 4 * 4
    mask = VAE_SCALE_FACTOR * VAE_SCALE_FACTOR * 4
    return _tiny_flux_components(_tiny_flux_transformer(2 * packed + mask, packed))


def tiny_flux_kontext_components() -> dict[str, Any]:
    """Keyword arguments for ``FluxKontextPipeline(**components)`` (no IP-adapter encoder)."""
    packed = 4 * 4
    components = _tiny_flux_components(_tiny_flux_transformer(packed, packed))
    return {**components, "image_encoder": None, "feature_extractor": None}


# 5. saved pipelines -------------------------------------------------------------------------------


def _save(pipeline_cls_name: str, components: dict[str, Any], folder: Path) -> Path:
    import diffusers

    pipeline = getattr(diffusers, pipeline_cls_name)(**components)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pipeline.save_pretrained(folder, safe_serialization=True)
    return folder


def build_tiny_sdxl_inpaint(folder: Path) -> Path:
    """Save a tiny ``StableDiffusionXLInpaintPipeline`` to ``folder``; return ``folder``."""
    return _save("StableDiffusionXLInpaintPipeline", tiny_sdxl_inpaint_components(), folder)


def build_tiny_flux_fill(folder: Path) -> Path:
    """Save a tiny ``FluxFillPipeline`` to ``folder``; return ``folder``."""
    return _save("FluxFillPipeline", tiny_flux_fill_components(), folder)


def build_tiny_flux_kontext(folder: Path) -> Path:
    """Save a tiny ``FluxKontextPipeline`` to ``folder``; return ``folder``."""
    return _save("FluxKontextPipeline", tiny_flux_kontext_components(), folder)


TINY_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "sdxl-inpaint": build_tiny_sdxl_inpaint,
    "flux-fill": build_tiny_flux_fill,
    "flux-kontext": build_tiny_flux_kontext,
}
"""Family name -> builder that saves that family's tiny pipeline to a folder."""

PIPELINE_CLASSES: dict[str, str] = {
    "sdxl-inpaint": "StableDiffusionXLInpaintPipeline",
    "flux-fill": "FluxFillPipeline",
    "flux-kontext": "FluxKontextPipeline",
}
"""Family name -> the diffusers pipeline class its saved folder loads as."""
