"""Tiny random FLUX.2 klein, Qwen-Image-Edit and LongCat-Image-Edit pipelines, built in-process.

Not a test module: tests import it for saved pipeline folders that load back through
``DiffusionPipeline.from_pretrained(folder, local_files_only=True)`` as downloaded ones would. Nothing
here touches the network: the Qwen tokenizer is a byte-level BPE over the 256 byte symbols (no
merges) plus the chat and vision special tokens, with a chat template written here; the
Qwen2.5-VL processor pairs it with a ``Qwen2VLImageProcessor`` capped at a few patches.

The components follow diffusers' own ``get_dummy_components`` for these pipelines, keeping the
real models' *shape rules*: every VAE has scale factor 8 and latents are packed 2x2 (sides are
multiples of 16), and the klein text encoder has 28 layers so that the pipeline's default
``text_encoder_out_layers=(9, 18, 27)`` is the one a real call uses.

    build_tiny_klein(folder) -> folder          # Flux2KleinPipeline (4-step distilled, as klein 4B)
    build_tiny_klein_inpaint(folder) -> folder  # Flux2KleinInpaintPipeline
    build_tiny_qwen_edit(folder) -> folder      # QwenImageEditPlusPipeline (also loads as the
                                                # QwenImageEditInpaintPipeline: same components)
    build_tiny_longcat_edit(folder) -> folder   # LongCatImageEditPipeline
    qwen_image_components(z, layered)           # the Qwen-Image parts (Layered's too)

Qwen-Image-Edit encodes the reference and LongCat runs everything at about 1024 x 1024 whatever
the input, so their VAEs have 2-4 channels per level and a tiny vision tower.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.executors.tiny_families import _save

QWEN_SPECIALS = (
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
)
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
QWEN_VOCAB = 264
"""Embedding rows of the tiny Qwen text encoders: 256 byte symbols + pad + the specials, rounded."""
TEXT_DIM = 16
"""Hidden size of the tiny Qwen3 / Qwen2.5-VL text models."""


# 1. tokenizer -------------------------------------------------------------------------------------


def tiny_qwen_tokenizer(max_length: int = 512) -> Any:
    """A ``Qwen2Tokenizer``: ids 0-255 the byte symbols, then ``<|endoftext|>`` (pad) and the chat
    and vision specials; one token per byte, so every text tokenizes offline."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import Qwen2TokenizerFast

    vocab = {symbol: i for i, symbol in enumerate(sorted(ByteLevel.alphabet()))}
    tok = Qwen2TokenizerFast(
        vocab=vocab,
        merges=[],
        unk_token=None,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=max_length,
    )
    tok.add_special_tokens({"additional_special_tokens": list(QWEN_SPECIALS)})
    tok.chat_template = CHAT_TEMPLATE
    return tok


# 2. FLUX.2 klein ----------------------------------------------------------------------------------


def _klein_text_encoder() -> Any:
    """Qwen3 with 28 layers of width 16: hidden states 9, 18 and 27 exist, as in Qwen3-4B."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(0)
    return Qwen3ForCausalLM(
        Qwen3Config(
            hidden_size=TEXT_DIM,
            intermediate_size=16,
            num_hidden_layers=28,
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=8,
            vocab_size=QWEN_VOCAB,
            max_position_embeddings=512,
        )
    )


def _klein_vae() -> Any:
    """AutoencoderKLFlux2 with four levels (scale factor 8) and 4 latent channels."""
    import torch
    from diffusers import AutoencoderKLFlux2

    torch.manual_seed(0)
    return AutoencoderKLFlux2(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=64,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )


def tiny_klein_components() -> dict[str, Any]:
    """Keyword arguments for ``Flux2KleinPipeline`` / ``Flux2KleinInpaintPipeline``."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2Transformer2DModel

    torch.manual_seed(0)
    transformer = Flux2Transformer2DModel(
        patch_size=1,
        in_channels=4 * 4,  # 4 latent channels x the 2x2 patch
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=3 * TEXT_DIM,  # three Qwen3 hidden states stacked
        timestep_guidance_channels=256,
        axes_dims_rope=(4, 4, 4, 4),
        guidance_embeds=False,
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True),
        "vae": _klein_vae(),
        "text_encoder": _klein_text_encoder(),
        "tokenizer": tiny_qwen_tokenizer(),
        "transformer": transformer,
        "is_distilled": True,
    }


# 3. Qwen2.5-VL text encoder and processor (Qwen-Image-Edit, LongCat-Image-Edit) -----------------


def _qwen_vl_encoder() -> Any:
    """Qwen2.5-VL with one text layer of width 16 and a one-block vision tower (patch 14)."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    tok = tiny_qwen_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    config = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": TEXT_DIM,
            "intermediate_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "vocab_size": QWEN_VOCAB,
            "max_position_embeddings": 2048,
            "bos_token_id": None,
            "eos_token_id": ids["<|im_end|>"],
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [1, 1, 2],
            },
        },  # fmt: skip
        vision_config={
            "depth": 1,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": TEXT_DIM,
            "fullatt_block_indexes": [0],
            "window_size": 56,
        },
        image_token_id=ids["<|image_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        video_token_id=QWEN_VOCAB - 1,
    )
    torch.manual_seed(0)
    return Qwen2_5_VLForConditionalGeneration(config)


def _qwen_vl_processor() -> Any:
    """Qwen2VLProcessor over the byte tokenizer; images capped at 56 x 56 px (4 vision tokens)."""
    from transformers import Qwen2VLImageProcessor, Qwen2VLProcessor, Qwen2VLVideoProcessor

    images = Qwen2VLImageProcessor(min_pixels=28 * 28, max_pixels=56 * 56)
    return Qwen2VLProcessor(
        image_processor=images,
        tokenizer=tiny_qwen_tokenizer(),
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )


def qwen_image_components(z: int = 4, layered: bool = False) -> dict[str, Any]:
    """Keyword arguments for a Qwen-Image pipeline: its VAE (scale factor 8, ``z`` latent
    channels) and a one-layer transformer over its 2x2-packed latents, each built after
    ``torch.manual_seed(0)``, the tiny Qwen2.5-VL encoder, tokenizer and processor. ``layered``:
    as Qwen-Image-Layered, the VAE reads and writes RGBA and the transformer takes the additional
    "is RGB" timestep condition and the layer-3D RoPE."""
    import torch
    from diffusers import (
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        QwenImageTransformer2DModel,
    )

    rgba = {"input_channels": 4} if layered else {}
    torch.manual_seed(0)
    vae = AutoencoderKLQwenImage(
        base_dim=2,
        z_dim=z,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],  # three downsamples: scale factor 8
        **rgba,
        latents_mean=[0.0] * z,
        latents_std=[1.0] * z,
    )
    switches = {"use_additional_t_cond": True, "use_layer3d_rope": True} if layered else {}
    torch.manual_seed(0)
    transformer = QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=4 * z,
        out_channels=z,
        num_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=TEXT_DIM,
        axes_dims_rope=(8, 4, 4),
        **switches,
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True),
        "vae": vae,
        "text_encoder": _qwen_vl_encoder(),
        "tokenizer": tiny_qwen_tokenizer(),
        "processor": _qwen_vl_processor(),
        "transformer": transformer,
    }


def tiny_qwen_edit_components() -> dict[str, Any]:
    """Keyword arguments for ``QwenImageEditPlusPipeline`` / ``QwenImageEditInpaintPipeline``."""
    return qwen_image_components()


def tiny_longcat_edit_components() -> dict[str, Any]:
    """Keyword arguments for ``LongCatImageEditPipeline`` (16 latent channels, fixed there)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        LongCatImageTransformer2DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 4, 4, 4),
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=4,
        sample_size=64,
        scaling_factor=0.3611,  # FLUX.1-style numbers; the pipeline needs a shift factor
        shift_factor=0.1159,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )
    torch.manual_seed(0)
    transformer = LongCatImageTransformer2DModel(
        patch_size=1,
        in_channels=16 * 4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=TEXT_DIM,
        pooled_projection_dim=TEXT_DIM,
        axes_dims_rope=[4, 6, 6],
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True),
        "vae": vae,
        "text_encoder": _qwen_vl_encoder(),
        "tokenizer": tiny_qwen_tokenizer(),
        "text_processor": _qwen_vl_processor(),
        "transformer": transformer,
    }


# 4. saved pipelines -------------------------------------------------------------------------------


def build_tiny_klein(folder: Path) -> Path:
    """Save a tiny ``Flux2KleinPipeline`` (distilled, as klein 4B) to ``folder``."""
    return _save("Flux2KleinPipeline", tiny_klein_components(), folder)


def build_tiny_klein_inpaint(folder: Path) -> Path:
    """Save a tiny ``Flux2KleinInpaintPipeline`` to ``folder``."""
    return _save("Flux2KleinInpaintPipeline", tiny_klein_components(), folder)


def build_tiny_qwen_edit(folder: Path) -> Path:
    """Save a tiny ``QwenImageEditPlusPipeline`` (as Qwen-Image-Edit-2509) to ``folder``."""
    return _save("QwenImageEditPlusPipeline", tiny_qwen_edit_components(), folder)


def build_tiny_longcat_edit(folder: Path) -> Path:
    """Save a tiny ``LongCatImageEditPipeline`` to ``folder``."""
    return _save("LongCatImageEditPipeline", tiny_longcat_edit_components(), folder)


EDIT_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "flux2-klein": build_tiny_klein,
    "flux2-klein-inpaint": build_tiny_klein_inpaint,
}
"""Folder name -> builder that saves that tiny pipeline (klein; the editors below have their own)."""

EDITOR_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "qwen-image-edit": build_tiny_qwen_edit,
    "longcat-image-edit": build_tiny_longcat_edit,
}
"""Folder name -> builder that saves that tiny pipeline."""
