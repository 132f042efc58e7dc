"""Tiny random pipelines of the families issue 30 added (Z-Image, JoyAI, Qwen-Image 2.1), in-process.

Not a test module: tests import it for saved pipeline folders that load back through
``from_pretrained(folder, local_files_only=True)`` as downloaded ones would. The components keep
the real models' shape rules: the FLUX.1-style VAE has scale factor 8 and 16 latent channels,
latents are patchified 2x2 (sides multiples of 16), and Z-Image reads the Qwen3 text encoder's
second-to-last hidden state (``cap_feat_dim`` = its width). Tokenizer and text encoder are the
offline byte-level ones of tests/executors/tiny_edit_families.py. JoyAI-Image-Edit pairs a Wan VAE
(scale factor 8 in space) with a Qwen3-VL encoder whose vision tower (patch 16, 2x2 merge) sees
the source capped at 64 x 64 px; the pipeline itself always runs at a ~1024 x 1024 bucket.

    build_tiny_zimage_inpaint(folder) -> folder   # ZImageInpaintPipeline (Turbo: guidance 0)
    build_tiny_zimage_img2img(folder) -> folder   # ZImageImg2ImgPipeline (same components)
    build_tiny_joyai_edit(folder) -> folder       # JoyImageEditPipeline
    build_tiny_qwen21(folder) -> folder           # QwenImage21Pipeline
    build_tiny_flux2_dev(folder) -> folder        # Flux2Pipeline (Mistral-3 text encoder)

Qwen-Image 2.1 drops the system prompt's tokens, counted with the processor's chat template on
structured (list) message content, so its template renders that form too (``CHAT_TEMPLATE_PARTS``);
its VL processor sees the whole image (each 2x2-merged vision slot stands for 2x2 latent tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.executors.tiny_edit_families import (
    CHAT_TEMPLATE,
    QWEN_SPECIALS,
    QWEN_VOCAB,
    TEXT_DIM,
    _klein_text_encoder,
    tiny_qwen_tokenizer,
)
from tests.executors.tiny_families import _save


def _flux1_vae() -> Any:
    """AutoencoderKL with four levels (scale factor 8), 16 latent channels and a shift factor."""
    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    return AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 4, 4, 4),
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=4,
        sample_size=64,
        scaling_factor=0.3611,  # FLUX.1's numbers, which Z-Image's VAE shares
        shift_factor=0.1159,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )


def tiny_zimage_components() -> dict[str, Any]:
    """Keyword arguments for ``ZImageInpaintPipeline`` / ``ZImageImg2ImgPipeline``."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, ZImageTransformer2DModel

    torch.manual_seed(0)
    transformer = ZImageTransformer2DModel(
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        in_channels=16,
        dim=32,
        n_layers=1,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
        cap_feat_dim=TEXT_DIM,  # the Qwen3 hidden state it reads
        axes_dims=[8, 4, 4],  # sums to the head width, 32 / 2
        axes_lens=[256, 32, 32],
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0),
        "vae": _flux1_vae(),
        "text_encoder": _klein_text_encoder(),
        "tokenizer": tiny_qwen_tokenizer(),
        "transformer": transformer,
    }


def _qwen3_vl_encoder() -> Any:
    """Qwen3-VL with one text layer of width 16 and a one-block vision tower (patch 16)."""
    import torch
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

    tok = tiny_qwen_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [1, 1, 2]}
    config = Qwen3VLConfig(
        text_config={
            "hidden_size": TEXT_DIM,
            "intermediate_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "vocab_size": QWEN_VOCAB,
            "max_position_embeddings": 4096,
            "rope_parameters": {**rope, "mrope_interleaved": True},
        },
        vision_config={
            "depth": 1,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": TEXT_DIM,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "num_position_embeddings": 64,
            "deepstack_visual_indexes": [0],
        },
        image_token_id=ids["<|image_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        video_token_id=QWEN_VOCAB - 1,
    )
    torch.manual_seed(0)
    return Qwen3VLForConditionalGeneration(config)


JOYAI_TRANSFORMER: dict[str, Any] = {
    "patch_size": [1, 2, 2],
    "in_channels": 16,
    "hidden_size": 32,
    "num_attention_heads": 2,
    "text_dim": TEXT_DIM,
    "num_layers": 1,
    "rope_dim_list": [4, 6, 6],  # sums to the head width, 32 / 2
}
"""The tiny JoyAI transformer's kwargs: JoyAI-Image-Edit's and Plus's classes share them."""


def tiny_joyai_components() -> dict[str, Any]:
    """Keyword arguments for ``JoyImageEditPipeline``."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        JoyImageEditTransformer3DModel,
    )
    from transformers import Qwen2VLImageProcessor, Qwen3VLProcessor, Qwen3VLVideoProcessor

    images = Qwen2VLImageProcessor(
        patch_size=16, merge_size=2, temporal_patch_size=2, min_pixels=32 * 32, max_pixels=64 * 64
    )
    processor = Qwen3VLProcessor(
        image_processor=images,
        tokenizer=tiny_qwen_tokenizer(),
        video_processor=Qwen3VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],  # three downsamples: scale factor 8
    )
    torch.manual_seed(0)
    transformer = JoyImageEditTransformer3DModel(**JOYAI_TRANSFORMER)
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0),
        "vae": vae,
        "text_encoder": _qwen3_vl_encoder(),
        "tokenizer": tiny_qwen_tokenizer(),
        "transformer": transformer,
        "processor": processor,
    }


CHAT_TEMPLATE_PARTS = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}"
    "{{ m['content'] }}{% else %}{% for c in m['content'] %}{{ c['text'] }}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_qwen21_components() -> dict[str, Any]:
    """Keyword arguments for ``QwenImage21Pipeline`` (a 16x VAE with 8 latent channels)."""
    import torch
    from diffusers import (
        AutoencoderKLQwenImage21,
        FlowMatchEulerDiscreteScheduler,
        QwenImage21Transformer2DModel,
    )
    from transformers import Qwen2VLImageProcessor, Qwen3VLProcessor, Qwen3VLVideoProcessor

    tok = tiny_qwen_tokenizer()
    tok.chat_template = CHAT_TEMPLATE_PARTS
    images = Qwen2VLImageProcessor(
        patch_size=16, merge_size=2, temporal_patch_size=2, min_pixels=32 * 32, max_pixels=256 * 256
    )
    processor = Qwen3VLProcessor(
        image_processor=images,
        tokenizer=tok,
        video_processor=Qwen3VLVideoProcessor(),
        chat_template=CHAT_TEMPLATE_PARTS,
    )
    z = 8
    torch.manual_seed(0)
    vae = AutoencoderKLQwenImage21(
        base_dim=4,
        decoder_base_dim=4,
        z_dim=z,
        dim_mult=[1, 1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True, True],  # four downsamples: scale factor 16
        latents_mean=[0.0] * z,
        latents_std=[1.0] * z,
    )
    torch.manual_seed(0)
    transformer = QwenImage21Transformer2DModel(
        patch_size=1,
        in_channels=z,
        out_channels=z,
        num_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        context_in_dim=TEXT_DIM,
        axes_dims_rope=(4, 6, 6),
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True),
        "vae": vae,
        "text_encoder": _qwen3_vl_encoder(),
        "processor": processor,
        "transformer": transformer,
    }


def build_tiny_qwen21(folder: Path) -> Path:
    """Save a tiny ``QwenImage21Pipeline`` to ``folder``."""
    return _save("QwenImage21Pipeline", tiny_qwen21_components(), folder)


def tiny_flux2_dev_components() -> dict[str, Any]:
    """Keyword arguments for ``Flux2Pipeline``: a Mistral-3 text encoder with 31 layers (the
    pipeline reads hidden states 10, 20 and 30) behind a Pixtral processor, klein's tiny VAE."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2Transformer2DModel
    from transformers import (
        Mistral3Config,
        Mistral3ForConditionalGeneration,
        PixtralImageProcessor,
        PixtralProcessor,
    )

    from tests.executors.tiny_edit_families import _klein_vae

    tok = tiny_qwen_tokenizer()
    tok.chat_template = CHAT_TEMPLATE_PARTS
    processor = PixtralProcessor(
        image_processor=PixtralImageProcessor(patch_size=16, size={"longest_edge": 64}),
        tokenizer=tok,
        patch_size=16,
        chat_template=CHAT_TEMPLATE_PARTS,
        image_token="<|image_pad|>",
        image_break_token="<|vision_start|>",
        image_end_token="<|vision_end|>",
    )
    config = Mistral3Config(
        text_config={
            "model_type": "mistral",
            "hidden_size": TEXT_DIM,
            "intermediate_size": 16,
            "num_hidden_layers": 31,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "vocab_size": QWEN_VOCAB,
            "max_position_embeddings": 1024,
        },
        vision_config={
            "model_type": "pixtral",
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "head_dim": 8,
            "patch_size": 16,
            "image_size": 64,
        },
        image_token_index=tok.convert_tokens_to_ids("<|image_pad|>"),
        spatial_merge_size=1,
    )
    torch.manual_seed(0)
    text_encoder = Mistral3ForConditionalGeneration(config)
    torch.manual_seed(0)
    transformer = Flux2Transformer2DModel(
        patch_size=1,
        in_channels=4 * 4,  # klein's tiny VAE: 4 latent channels x the 2x2 patch
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=3 * TEXT_DIM,  # three hidden states stacked
        timestep_guidance_channels=256,
        axes_dims_rope=(4, 4, 4, 4),
        guidance_embeds=True,  # FLUX.2 dev: distilled guidance is a transformer input
    )
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True),
        "vae": _klein_vae(),
        "text_encoder": text_encoder,
        "tokenizer": processor,
        "transformer": transformer,
    }


def build_tiny_flux2_dev(folder: Path) -> Path:
    """Save a tiny ``Flux2Pipeline`` (as FLUX.2 dev) to ``folder``."""
    return _save("Flux2Pipeline", tiny_flux2_dev_components(), folder)


def build_tiny_joyai_edit(folder: Path) -> Path:
    """Save a tiny ``JoyImageEditPipeline`` to ``folder``."""
    return _save("JoyImageEditPipeline", tiny_joyai_components(), folder)


def build_tiny_zimage_inpaint(folder: Path) -> Path:
    """Save a tiny ``ZImageInpaintPipeline`` to ``folder``."""
    return _save("ZImageInpaintPipeline", tiny_zimage_components(), folder)


def build_tiny_zimage_img2img(folder: Path) -> Path:
    """Save a tiny ``ZImageImg2ImgPipeline`` to ``folder``."""
    return _save("ZImageImg2ImgPipeline", tiny_zimage_components(), folder)


NEW_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "z-image-inpaint": build_tiny_zimage_inpaint,
    "z-image-img2img": build_tiny_zimage_img2img,
}
"""Folder name -> builder that saves that tiny pipeline."""
