"""Tiny random pipelines of the families issue 30 added (Z-Image), built in-process.

Not a test module: tests import it for saved pipeline folders that load back through
``from_pretrained(folder, local_files_only=True)`` as downloaded ones would. The components keep
the real models' shape rules: the FLUX.1-style VAE has scale factor 8 and 16 latent channels,
latents are patchified 2x2 (sides multiples of 16), and Z-Image reads the Qwen3 text encoder's
second-to-last hidden state (``cap_feat_dim`` = its width). Tokenizer and text encoder are the
offline byte-level ones of tests/executors/tiny_edit_families.py.

    build_tiny_zimage_inpaint(folder) -> folder   # ZImageInpaintPipeline (Turbo: guidance 0)
    build_tiny_zimage_img2img(folder) -> folder   # ZImageImg2ImgPipeline (same components)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.executors.tiny_edit_families import TEXT_DIM, _klein_text_encoder, tiny_qwen_tokenizer
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
