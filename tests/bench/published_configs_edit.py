"""Published configs of the newest open editors (FLUX.2 klein 4B, Qwen-Image-Edit, LongCat-Image-Edit).

Same form as ``published_configs.py`` (which merges these dicts into its ``PUBLISHED`` and ``TINY``):
constructor kwargs of the named class at the released size, and per component the overrides that
shrink it for the CPU smoke run. No Hugging Face repository of these models is reachable here; the
values were collected from public copies of their ``config.json`` files and checked against the
released checkpoint sizes (``RELEASED``, asserted by ``test_real_size.py``):

| component          | class                              | source                                          |
| ------------------ | ---------------------------------- | ----------------------------------------------- |
| klein_4b           | Flux2Transformer2DModel            | black-forest-labs/FLUX.2-klein-4B transformer/  |
| qwen3_4b           | Qwen3ForCausalLM                   | FLUX.2-klein-4B text_encoder/ (Qwen3-4B)        |
| flux2_vae          | AutoencoderKLFlux2                 | FLUX.2-klein-4B vae/ (diffusers defaults) [1]   |
| qwen_image_edit    | QwenImageTransformer2DModel        | Qwen/Qwen-Image-Edit-2509 transformer/ [2]      |
| qwen25_vl_7b       | Qwen2_5_VLForConditionalGeneration | Qwen-Image(-Edit) text_encoder/ (Qwen2.5-VL-7B) |
| qwen_vae           | AutoencoderKLQwenImage             | Qwen-Image(-Edit) vae/ (diffusers defaults)     |
| longcat_image_edit | LongCatImageTransformer2DModel     | meituan-longcat/LongCat-Image-Edit transformer/ |
| longcat_vae        | AutoencoderKL                      | LongCat-Image-Edit vae/: the FLUX.1 VAE [3]     |

[1] The klein ``vae/config.json`` itself was not found; the public description of the repository
gives 32 latent channels, a 2x2 patch, blocks 128-256-512-512 and a 168 MB file, which diffusers'
defaults match (84.0 M parameters). [2] Qwen-Image-Edit-2511 ships the same shapes; one public copy
of its config adds ``zero_cond_t: true`` (the reference tokens are modulated at t = 0: no new
parameters, about the same cost). [3] The LongCat VAE config was not found either; public loaders
describe it as the FLUX.1 VAE (16 latent channels, about 168 MB), so ``flux_vae``'s values stand in
(its scaling/shift factors do not change the cost).

The Qwen2.5-VL image processor (``VL_IMAGE_PROCESSOR``) is the published
``preprocessor_config.json`` of Qwen2.5-VL-7B-Instruct: patch 14, merge 2, 3136 to 12845056 px.
"""

from __future__ import annotations

from typing import Any

_QWEN_ROPE = {"rope_type": "default", "rope_theta": 1_000_000.0}

PUBLISHED_EDIT: dict[str, dict[str, Any]] = {
    "klein_4b": {
        "patch_size": 1,
        "in_channels": 128,  # 32 latent channels x the 2x2 patch
        "num_layers": 5,
        "num_single_layers": 20,
        "attention_head_dim": 128,
        "num_attention_heads": 24,
        "joint_attention_dim": 7680,  # Qwen3-4B hidden states 9, 18 and 27 stacked: 3 x 2560
        "timestep_guidance_channels": 256,
        "mlp_ratio": 3.0,
        "axes_dims_rope": [32, 32, 32, 32],
        "rope_theta": 2000,
        "eps": 1e-6,
        "guidance_embeds": False,  # step-distilled
    },
    "qwen3_4b": {
        "vocab_size": 151936,
        "hidden_size": 2560,
        "intermediate_size": 9728,
        "num_hidden_layers": 36,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "max_position_embeddings": 40960,
        "rms_norm_eps": 1e-6,
        "rope_parameters": _QWEN_ROPE,
        "tie_word_embeddings": True,
    },
    "flux2_vae": {},  # diffusers' AutoencoderKLFlux2 defaults, see [1]
    "qwen_image_edit": {
        "patch_size": 2,
        "in_channels": 64,  # 16 latent channels x the 2x2 patch
        "out_channels": 16,
        "num_layers": 60,
        "attention_head_dim": 128,
        "num_attention_heads": 24,
        "joint_attention_dim": 3584,  # Qwen2.5-VL-7B hidden size
        "guidance_embeds": False,
        "axes_dims_rope": [16, 56, 56],
    },
    "qwen25_vl_7b": {
        "text_config": {
            "vocab_size": 152064,
            "hidden_size": 3584,
            "intermediate_size": 18944,
            "num_hidden_layers": 28,
            "num_attention_heads": 28,
            "num_key_value_heads": 4,
            "max_position_embeddings": 128000,
            "rms_norm_eps": 1e-6,
            "tie_word_embeddings": False,
            "rope_parameters": {**_QWEN_ROPE, "mrope_section": [16, 24, 24]},
        },
        "vision_config": {
            "depth": 32,
            "hidden_size": 1280,
            "intermediate_size": 3420,
            "num_heads": 16,
            "out_hidden_size": 3584,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 112,
            "fullatt_block_indexes": [7, 15, 23, 31],
            "hidden_act": "silu",
            "tokens_per_second": 2,
        },
        "tie_word_embeddings": False,
    },
    "qwen_vae": {  # diffusers' defaults are Qwen-Image's vae/config.json (incl. latents_mean/std)
        "base_dim": 96,
        "z_dim": 16,
        "dim_mult": [1, 2, 4, 4],
        "num_res_blocks": 2,
        "attn_scales": [],
        "temperal_downsample": [False, True, True],
    },
    "longcat_image_edit": {
        "patch_size": 1,
        "in_channels": 64,  # 16 latent channels x the 2x2 packing
        "num_layers": 10,
        "num_single_layers": 20,
        "attention_head_dim": 128,
        "num_attention_heads": 24,
        "joint_attention_dim": 3584,
        "pooled_projection_dim": 3584,
        "axes_dims_rope": [16, 56, 56],
    },
}
"""Component name -> constructor kwargs at the released size (``longcat_vae``: see below)."""

VL_IMAGE_PROCESSOR: dict[str, Any] = {
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "size": {"shortest_edge": 3136, "longest_edge": 12845056},  # min_pixels, max_pixels
}
"""Qwen2VLImageProcessor kwargs: the number of vision tokens follows from these alone."""

# Z-Image-Turbo's transformer (issue 30): diffusers' ZImageTransformer2DModel defaults, which its
# docstring example loads as Tongyi-MAI/Z-Image-Turbo; the release's config.json was not read here,
# so no RELEASED count is asserted (6.15e9 parameters counted). Its text encoder is read at width
# 2560 (cap_feat_dim): Qwen3-4B, ``qwen3_4b``; its VAE is taken to be FLUX.1's (16 channels).
PUBLISHED_EDIT["z_image_turbo"] = {
    "all_patch_size": [2],
    "all_f_patch_size": [1],
    "in_channels": 16,
    "dim": 3840,
    "n_layers": 30,
    "n_refiner_layers": 2,
    "n_heads": 30,
    "n_kv_heads": 30,
    "norm_eps": 1e-5,
    "qk_norm": True,
    "cap_feat_dim": 2560,
    "rope_theta": 256.0,
    "t_scale": 1000.0,
    "axes_dims": [32, 48, 48],
    "axes_lens": [1024, 512, 512],
}

RELEASED: dict[str, tuple[int, str]] = {
    "klein_4b": (
        3_875_000_000,
        "transformer/diffusion_pytorch_model.safetensors of FLUX.2-klein-4B is 7.75 GB in bf16 "
        "(single file; 7.75e9 / 2 bytes = 3.875e9 +- 0.0025e9)",
    ),
    "qwen3_4b": (
        4_022_468_096,
        "FLUX.2-klein-4B text_encoder/model.safetensors.index.json total_size 8,044,936,192 / 2",
    ),
    "flux2_vae": (
        84_000_000,
        "FLUX.2-klein-4B vae/ is 168 MB in bf16 (168e6 / 2 = 84e6 +- 0.25e6)",
    ),
    "qwen_image_edit": (
        20_430_401_088,
        "Qwen-Image transformer/diffusion_pytorch_model.safetensors.index.json total_size "
        "40,860,802,176 / 2 (the Edit-2509/2511 transformers have the same shapes)",
    ),
    "qwen25_vl_7b": (
        8_292_166_656,
        "Qwen-Image text_encoder/model.safetensors.index.json total_size 16,584,333,312 / 2 "
        "(Qwen2.5-VL-7B-Instruct, vision tower included)",
    ),
    "longcat_image_edit": (
        6_270_000_000,
        "LongCat-Image transformer: 6.27 B parameters, 12.54 GB in bf16 (public loader notes; the "
        "model card says 6B); no index total_size was found",
    ),
}
"""Component -> (parameters in the released checkpoint, where the number comes from). The counts
with an exact ``total_size`` are asserted exactly; the others within the rounding of their source."""

TOLERANCE: dict[str, float] = {"klein_4b": 1e-3, "flux2_vae": 3e-3, "longcat_image_edit": 1e-3}
"""Relative tolerance where the released count is known only to 3-4 digits; 0 elsewhere."""

_TINY_QWEN_TEXT = {
    "hidden_size": 16,
    "intermediate_size": 16,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
}

_TINY_VL_VISION = {  # a one-block vision tower of width 16 (the tiny text width)
    "depth": 1,
    "hidden_size": 16,
    "intermediate_size": 16,
    "num_heads": 2,
    "out_hidden_size": 16,
}

TINY_EDIT: dict[str, dict[str, Any]] = {
    "klein_4b": {
        "num_layers": 1,
        "num_single_layers": 1,
        "attention_head_dim": 16,
        "num_attention_heads": 2,
        "joint_attention_dim": 3 * 16,  # three tiny Qwen3 hidden states
        "axes_dims_rope": [4, 4, 4, 4],
    },
    # 28 layers kept: the pipeline reads hidden states 9, 18 and 27
    "qwen3_4b": {**_TINY_QWEN_TEXT, "num_hidden_layers": 28, "head_dim": 8},
    "flux2_vae": {"block_out_channels": [32, 32, 32, 32], "layers_per_block": 1},
    "qwen_image_edit": {
        "num_layers": 1,
        "attention_head_dim": 16,
        "num_attention_heads": 2,
        "joint_attention_dim": 16,
        "axes_dims_rope": [8, 4, 4],
    },
    "qwen25_vl_7b": {
        "text_config": {
            **PUBLISHED_EDIT["qwen25_vl_7b"]["text_config"],
            **_TINY_QWEN_TEXT,
            "num_hidden_layers": 1,
            "rope_parameters": {**_QWEN_ROPE, "mrope_section": [1, 1, 2]},  # head_dim 8
        },
        "vision_config": {
            **PUBLISHED_EDIT["qwen25_vl_7b"]["vision_config"],
            **_TINY_VL_VISION,
            "fullatt_block_indexes": [0],
        },
    },
    "qwen_vae": {"base_dim": 2, "num_res_blocks": 1},
    "longcat_image_edit": {
        "num_layers": 1,
        "num_single_layers": 1,
        "attention_head_dim": 16,
        "num_attention_heads": 2,
        "joint_attention_dim": 16,
        "pooled_projection_dim": 16,
        "axes_dims_rope": [4, 6, 6],
    },
    # LongCat decodes at about 1024 x 1024 whatever the input: 4 channels a level on the CPU
    "longcat_vae": {
        "block_out_channels": [4, 4, 4, 4],
        "layers_per_block": 1,
        "norm_num_groups": 4,
    },
    "z_image_turbo": {
        "dim": 32,
        "n_layers": 1,
        "n_refiner_layers": 1,
        "n_heads": 2,
        "n_kv_heads": 2,
        "cap_feat_dim": 16,  # the tiny Qwen3's width
        "axes_dims": [8, 4, 4],
        "axes_lens": [256, 32, 32],
    },
}
"""Component name -> overrides for the tiny CPU smoke run (same structure, small widths)."""

# Issue 30's last three (Qwen-Image-Layered, JoyAI-Image-Edit Plus, the Z-Image ControlNet):
#
# - qwen_image_layered: Qwen-Image's transformer (the ``qwen_image_edit`` shapes) with the two
#   switches the Layered release sets, ``use_additional_t_cond`` (an "is RGB" timestep embedding:
#   2 x 3072 new weights) and ``use_layer3d_rope`` (no weights). Expected count: Qwen-Image's
#   transformer total_size (above) plus that embedding; the Layered index itself was not read.
# - qwen_layered_vae: Qwen-Image's VAE reading and writing RGBA (``input_channels`` 4); counted
#   only (126.9 M), no released size found.
# - joyai_plus: JoyImageEditPlusTransformer3DModel at JoyAI's released shape: 32 heads x 128 =
#   4096 wide, 40 double-stream blocks, text width 4096 (Qwen3-VL-8B), RoPE 16/56/56 (SGLang's
#   JoyImageArchConfig, which loads jdopensource/JoyAI-Image-Edit-Diffusers). The diffusers docs
#   call it "a 16B Multimodal Diffusion Transformer"; ComfyUI's JoyImageEditPlus port says Plus has
#   "byte-identical weight structure with the single-image variant (894 keys)", checked in
#   test_real_size.py.
# - z_image_controlnet: Z-Image-Turbo-Fun-Controlnet-Union-2.1 (VideoX-Fun's
#   z_image_control_2.1.yaml; the diffusers-format copy hlky/Z-Image-Turbo-Fun-Controlnet-Union-2.1
#   has the same values): control blocks at every other of the 30 layers, 2 control refiner blocks,
#   33 input channels (control latents + mask + masked-image latents). Counted only (3.36 B): no
#   released size was found.
PUBLISHED_EDIT["qwen_image_layered"] = {
    **PUBLISHED_EDIT["qwen_image_edit"],
    "use_additional_t_cond": True,
    "use_layer3d_rope": True,
}
PUBLISHED_EDIT["qwen_layered_vae"] = {**PUBLISHED_EDIT["qwen_vae"], "input_channels": 4}
PUBLISHED_EDIT["joyai_plus"] = {
    "patch_size": [1, 2, 2],
    "in_channels": 16,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "text_dim": 4096,
    "mlp_width_ratio": 4.0,
    "num_layers": 40,
    "rope_dim_list": [16, 56, 56],
}
PUBLISHED_EDIT["z_image_controlnet"] = {
    "control_layers_places": list(range(0, 30, 2)),
    "control_refiner_layers_places": [0, 1],
    "control_in_dim": 33,
    "add_control_noise_refiner": "control_noise_refiner",
    "all_patch_size": [2],
    "all_f_patch_size": [1],
    "dim": 3840,
    "n_refiner_layers": 2,
    "n_heads": 30,
    "n_kv_heads": 30,
    "norm_eps": 1e-5,
    "qk_norm": True,
}
RELEASED["qwen_image_layered"] = (
    20_430_407_232,
    "Qwen-Image transformer total_size 40,860,802,176 / 2 + the 2 x 3072 additional-t embedding "
    "(use_additional_t_cond); Qwen-Image-Layered's own index was not read",
)
RELEASED["joyai_plus"] = (
    16_000_000_000,
    "diffusers JoyAI-Image docs: 'a 16B Multimodal Diffusion Transformer' (16e9, 2 digits)",
)
TOLERANCE["joyai_plus"] = 1 / 32  # "16B": 15.5e9 .. 16.5e9
JOYAI_KEYS = 894
"""Weights (state-dict keys) of the JoyAI transformer, single-image and Plus (ComfyUI's port)."""
TINY_EDIT["qwen_image_layered"] = {**TINY_EDIT["qwen_image_edit"]}
TINY_EDIT["qwen_layered_vae"] = {**TINY_EDIT["qwen_vae"]}
TINY_EDIT["joyai_plus"] = {
    "hidden_size": 32,
    "num_attention_heads": 2,
    "text_dim": 16,
    "num_layers": 1,
    "rope_dim_list": [4, 6, 6],
}
TINY_EDIT["z_image_controlnet"] = {
    "control_layers_places": [0],
    "control_refiner_layers_places": [0],
    "dim": 32,
    "n_refiner_layers": 1,
    "n_heads": 2,
    "n_kv_heads": 2,
}

# JoyAI-Image-Edit Plus's other two parts, for its gpu_latency row:
#
# - qwen3_vl_8b: Qwen3VLForConditionalGeneration at Qwen3-VL-8B-Instruct's shape (the Qwen3-8B
#   text model: 36 layers, 4096 wide, 32 heads with 8 KV heads, MLP 12288; the 27-block, 1152-wide
#   vision tower with patch 16, 2x2 merge and DeepStack at blocks 8, 16 and 24; interleaved MRoPE
#   24/20/20). JoyAI's ``text_dim`` 4096 is its width. Released count: "8.77B parameters" (public
#   model pages, 3 digits); counted 8,767,123,696.
# - wan_vae: AutoencoderKLWan's diffusers defaults, which are the Wan 2.1 VAE's config (16 latent
#   channels, scale factor 8 in space); counted only (126.9 M).
#
# ``VL3_IMAGE_PROCESSOR`` is Qwen3-VL's preprocessor_config.json: patch 16, merge 2, 65536 to
# 16777216 px, so a 1024^2 image is 1024 vision tokens.
PUBLISHED_EDIT["qwen3_vl_8b"] = {
    "text_config": {
        "vocab_size": 151936,
        "hidden_size": 4096,
        "intermediate_size": 12288,
        "num_hidden_layers": 36,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "max_position_embeddings": 262144,
        "rms_norm_eps": 1e-6,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 5_000_000.0,
            "mrope_section": [24, 20, 20],
            "mrope_interleaved": True,
        },
    },
    "vision_config": {
        "depth": 27,
        "hidden_size": 1152,
        "intermediate_size": 4304,
        "num_heads": 16,
        "out_hidden_size": 4096,
        "patch_size": 16,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "num_position_embeddings": 2304,
        "deepstack_visual_indexes": [8, 16, 24],
        "hidden_act": "gelu_pytorch_tanh",
    },
    "tie_word_embeddings": False,
}
PUBLISHED_EDIT["wan_vae"] = {}  # diffusers' AutoencoderKLWan defaults: the Wan 2.1 VAE
VL3_IMAGE_PROCESSOR: dict[str, Any] = {
    "patch_size": 16,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "size": {"shortest_edge": 65536, "longest_edge": 16777216},  # min_pixels, max_pixels
}
"""Qwen2VLImageProcessor kwargs of Qwen3-VL (the processor class its preprocessor config names)."""
RELEASED["qwen3_vl_8b"] = (
    8_770_000_000,
    "Qwen3-VL-8B-Instruct: '8.77B parameters' (public model pages; rounded to 10 M)",
)
TOLERANCE["qwen3_vl_8b"] = 6e-4  # 8.765e9 .. 8.775e9
TINY_EDIT["qwen3_vl_8b"] = {
    "text_config": {
        **PUBLISHED_EDIT["qwen3_vl_8b"]["text_config"],
        **_TINY_QWEN_TEXT,
        "num_hidden_layers": 1,
        "head_dim": 8,
        "rope_parameters": {
            **PUBLISHED_EDIT["qwen3_vl_8b"]["text_config"]["rope_parameters"],
            "mrope_section": [1, 1, 2],  # head_dim 8
        },
    },
    "vision_config": {
        **PUBLISHED_EDIT["qwen3_vl_8b"]["vision_config"],
        **_TINY_VL_VISION,
        "deepstack_visual_indexes": [0],
    },
}
TINY_EDIT["wan_vae"] = {"base_dim": 4, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1}
