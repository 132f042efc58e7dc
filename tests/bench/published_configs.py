"""Published architecture configs of the benchmarked models, as plain dicts (no network needed).

Values are those of the models' ``config.json`` files on the Hugging Face Hub, keeping only the keys
that change the architecture (and so the cost); every dict is the keyword arguments of the named
class. ``TINY`` holds, per component, the overrides that shrink it for a CPU smoke run while keeping
its structure: the same block types and counts of down/up levels, the same VAE scale factor (8),
the same latent channels (so Flux Fill keeps its 384 input channels) and the same token lengths.

| component         | class                            | source                                       |
| ----------------- | -------------------------------- | -------------------------------------------- |
| clip_l            | CLIPTextConfig                   | openai/clip-vit-large-patch14 (SD 1.5, SDXL, Flux text_encoder) |
| openclip_bigg     | CLIPTextConfig (with projection) | SDXL text_encoder_2 (OpenCLIP ViT-bigG-14)   |
| t5_xxl            | T5Config (encoder only)          | google/t5-v1_1-xxl (Flux text_encoder_2)     |
| sd15_inpaint_unet | UNet2DConditionModel             | stable-diffusion-v1-5/stable-diffusion-inpainting |
| sdxl_inpaint_unet | UNet2DConditionModel             | diffusers/stable-diffusion-xl-1.0-inpainting-0.1 |
| sd_vae, sdxl_vae  | AutoencoderKL                    | the same repositories' vae/                  |
| flux_vae          | AutoencoderKL                    | black-forest-labs/FLUX.1-*-dev vae/          |
| flux_fill         | FluxTransformer2DModel           | black-forest-labs/FLUX.1-Fill-dev            |
| flux_kontext      | FluxTransformer2DModel           | black-forest-labs/FLUX.1-Kontext-dev         |

The newest editors' components (FLUX.2 klein 4B, Qwen-Image-Edit, LongCat-Image-Edit) live in
``published_configs_edit.py`` and are merged into ``PUBLISHED`` and ``TINY`` here.

``sdxl_vae`` sets ``force_upcast=False``: it stands for the fp16-safe SDXL VAE
(madebyollin/sdxl-vae-fp16-fix, same architecture) that a latency-minded deployment uses; with the
original VAE the pipeline decodes in fp32, which costs more.
"""

from __future__ import annotations

from typing import Any

from tests.bench.published_configs_edit import PUBLISHED_EDIT, TINY_EDIT

_CLIP_COMMON: dict[str, Any] = {
    "vocab_size": 49408,
    "max_position_embeddings": 77,
    "layer_norm_eps": 1e-5,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "pad_token_id": 1,
}

_SD_VAE_COMMON: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "act_fn": "silu",
    "norm_num_groups": 32,
}

_FLUX_COMMON: dict[str, Any] = {
    "patch_size": 1,
    "num_layers": 19,
    "num_single_layers": 38,
    "attention_head_dim": 128,
    "num_attention_heads": 24,
    "joint_attention_dim": 4096,
    "pooled_projection_dim": 768,
    "guidance_embeds": True,
    "axes_dims_rope": [16, 56, 56],
}

PUBLISHED: dict[str, dict[str, Any]] = {
    "clip_l": {
        **_CLIP_COMMON,
        "hidden_size": 768,
        "intermediate_size": 3072,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "hidden_act": "quick_gelu",
        "projection_dim": 768,
    },
    "openclip_bigg": {
        **_CLIP_COMMON,
        "hidden_size": 1280,
        "intermediate_size": 5120,
        "num_hidden_layers": 32,
        "num_attention_heads": 20,
        "hidden_act": "gelu",
        "projection_dim": 1280,
    },
    "t5_xxl": {
        "vocab_size": 32128,
        "d_model": 4096,
        "d_kv": 64,
        "d_ff": 10240,
        "num_layers": 24,
        "num_heads": 64,
        "relative_attention_num_buckets": 32,
        "relative_attention_max_distance": 128,
        "feed_forward_proj": "gated-gelu",
        "layer_norm_epsilon": 1e-6,
        "is_encoder_decoder": False,
        "use_cache": False,
    },
    "sd15_inpaint_unet": {
        "sample_size": 64,
        "in_channels": 9,
        "out_channels": 4,
        "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
        "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
        "block_out_channels": [320, 640, 1280, 1280],
        "layers_per_block": 2,
        "attention_head_dim": 8,
        "cross_attention_dim": 768,
        "norm_num_groups": 32,
    },
    "sdxl_inpaint_unet": {
        "sample_size": 128,
        "in_channels": 9,
        "out_channels": 4,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        "block_out_channels": [320, 640, 1280],
        "layers_per_block": 2,
        "attention_head_dim": [5, 10, 20],
        "transformer_layers_per_block": [1, 2, 10],
        "cross_attention_dim": 2048,
        "use_linear_projection": True,
        "addition_embed_type": "text_time",
        "addition_time_embed_dim": 256,
        "projection_class_embeddings_input_dim": 2816,  # 6 time ids x 256 + pooled bigG 1280
        "norm_num_groups": 32,
    },
    "sd_vae": {
        **_SD_VAE_COMMON,
        "latent_channels": 4,
        "sample_size": 512,
        "scaling_factor": 0.18215,
    },
    "sdxl_vae": {
        **_SD_VAE_COMMON,
        "latent_channels": 4,
        "sample_size": 1024,
        "scaling_factor": 0.13025,
        "force_upcast": False,
    },
    "flux_vae": {
        **_SD_VAE_COMMON,
        "latent_channels": 16,
        "sample_size": 1024,
        "scaling_factor": 0.3611,
        "shift_factor": 0.1159,
        "use_quant_conv": False,
        "use_post_quant_conv": False,
    },
    "flux_fill": {**_FLUX_COMMON, "in_channels": 384, "out_channels": 64},
    "flux_kontext": {**_FLUX_COMMON, "in_channels": 64, "out_channels": None},
    **PUBLISHED_EDIT,
}
"""Component name -> constructor kwargs at the published (real) size."""
PUBLISHED["longcat_vae"] = PUBLISHED["flux_vae"]  # see published_configs_edit.py, note [3]

SCHEDULERS: dict[str, dict[str, Any]] = {
    "sd": {  # EulerDiscreteScheduler over SD's own beta schedule
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "steps_offset": 1,
        "timestep_spacing": "leading",
    },
    "flux": {  # FlowMatchEulerDiscreteScheduler, FLUX.1-*-dev scheduler/
        "base_image_seq_len": 256,
        "base_shift": 0.5,
        "max_image_seq_len": 4096,
        "max_shift": 1.15,
        "shift": 3.0,
        "use_dynamic_shifting": True,
    },
}
"""Scheduler family -> constructor kwargs."""

_TINY_CLIP = {
    "hidden_size": 32,
    "intermediate_size": 37,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "projection_dim": 32,
}
_TINY_VAE = {"block_out_channels": [32, 32, 32, 32], "layers_per_block": 1}
_TINY_FLUX = {
    "num_layers": 1,
    "num_single_layers": 1,
    "attention_head_dim": 16,
    "num_attention_heads": 2,
    "joint_attention_dim": 32,
    "pooled_projection_dim": 32,
    "axes_dims_rope": [4, 4, 8],
}

TINY: dict[str, dict[str, Any]] = {
    "clip_l": _TINY_CLIP,
    "openclip_bigg": _TINY_CLIP,
    "t5_xxl": {"d_model": 32, "d_kv": 8, "d_ff": 37, "num_layers": 2, "num_heads": 4},
    "sd15_inpaint_unet": {
        "block_out_channels": [32, 32, 64, 64],
        "layers_per_block": 1,
        "cross_attention_dim": 32,
    },
    "sdxl_inpaint_unet": {
        "block_out_channels": [32, 64, 64],
        "layers_per_block": 1,
        "attention_head_dim": [2, 4, 4],
        "transformer_layers_per_block": [1, 1, 1],
        "cross_attention_dim": 64,  # tiny CLIP-L 32 + tiny bigG 32
        "addition_time_embed_dim": 8,
        "projection_class_embeddings_input_dim": 6 * 8 + 32,
    },
    "sd_vae": _TINY_VAE,
    "sdxl_vae": _TINY_VAE,
    "flux_vae": _TINY_VAE,
    "flux_fill": _TINY_FLUX,
    "flux_kontext": _TINY_FLUX,
    **TINY_EDIT,
}
"""Component name -> overrides for the tiny CPU smoke run (same structure, small widths)."""


def component_config(name: str, tiny: bool) -> dict[str, Any]:
    """Constructor kwargs for component ``name`` at the published size, or shrunk if ``tiny``."""
    if name not in PUBLISHED:
        raise KeyError(f"unknown component {name!r}; known: {', '.join(sorted(PUBLISHED))}")
    return {**PUBLISHED[name], **(TINY[name] if tiny else {})}
