"""Tiny random pipelines of issue 30's last three: Qwen-Image-Layered, JoyAI-Image-Edit Plus and the
Z-Image ControlNet inpaint (test code: the product never imports it).

Built as tests/executors/tiny_new_families.py builds Z-Image and JoyAI (``torch.manual_seed(0)``
before each part, the offline byte-level Qwen tokenizer), and saved with ``save_pretrained`` into
folders retouch loads back through its real loading path:

    build_tiny_qwen_layered(folder) -> folder    # QwenImageLayeredPipeline (RGBA VAE, 4 channels)
    build_tiny_joyai_plus(folder) -> folder      # JoyImageEditPlusPipeline
    build_tiny_zimage_controlnet(folder) -> folder   # ZImageControlNetModel (the ControlNet alone)

The Z-Image ControlNet is a separate folder, as released (the ControlNet weights next to the
Z-Image-Turbo base, which ``build_tiny_zimage_inpaint`` saves); the pipeline shares the base
transformer's embedders with it (``ZImageControlNetModel.from_transformer``), so a saved ControlNet
holds only its own control blocks. Its ``control_in_dim`` is 33 = 16 control-image latent channels
+ 1 mask + 16 masked-image latents: the Union 2.x layout the inpaint pipeline needs.

Qwen-Image-Layered decomposes an RGBA image: its VAE reads and writes 4 channels and its
transformer takes the additional "is RGB" timestep condition and the layer-3D RoPE.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.executors.tiny_edit_families import (
    QWEN_SPECIALS,
    qwen_image_components,
)
from tests.executors.tiny_families import _save
from tests.executors.tiny_new_families import JOYAI_TRANSFORMER, tiny_joyai_components

ZIMAGE_CONTROL_IN = 16 + 1 + 16
"""ControlNet input channels of the inpaint layout: control latents, mask, masked-image latents."""


def tiny_qwen_layered_components() -> dict[str, Any]:
    """Keyword arguments for ``QwenImageLayeredPipeline``."""
    # z 8, not 4: the pipeline takes a 4-channel input for latents already encoded
    return qwen_image_components(z=8, layered=True)


def tiny_joyai_plus_components() -> dict[str, Any]:
    """Keyword arguments for ``JoyImageEditPlusPipeline``: JoyAI's tiny parts with the Plus
    transformer (same weights' layout, each reference patchified on its own)."""
    import torch
    from diffusers import JoyImageEditPlusTransformer3DModel

    parts = tiny_joyai_components()
    torch.manual_seed(0)
    parts["transformer"] = JoyImageEditPlusTransformer3DModel(**JOYAI_TRANSFORMER)
    return parts


def tiny_zimage_controlnet() -> Any:
    """A ``ZImageControlNetModel`` for the tiny Z-Image transformer (dim 32, 2 heads): one control
    block at layer 0 and one control refiner block, the Union 2.x inpaint layout. Its zero-initialised
    projections get random weights, so the control image and its scale change the output."""
    import torch
    from diffusers import ZImageControlNetModel

    torch.manual_seed(0)
    controlnet = ZImageControlNetModel(
        control_layers_places=[0],
        control_refiner_layers_places=[0],
        control_in_dim=ZIMAGE_CONTROL_IN,
        add_control_noise_refiner="control_noise_refiner",
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        dim=32,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
    )
    with torch.no_grad():  # its projections start at zero (no effect): give them weights
        for p in controlnet.parameters():
            if not p.any():
                p.normal_(0.0, 0.5)
    return controlnet


def build_tiny_qwen_layered(folder: Path) -> Path:
    """Save a tiny ``QwenImageLayeredPipeline`` to ``folder``."""
    return _save("QwenImageLayeredPipeline", tiny_qwen_layered_components(), folder)


def build_tiny_joyai_plus(folder: Path) -> Path:
    """Save a tiny ``JoyImageEditPlusPipeline`` to ``folder``."""
    return _save("JoyImageEditPlusPipeline", tiny_joyai_plus_components(), folder)


def build_tiny_zimage_controlnet(folder: Path) -> Path:
    """Save a tiny ``ZImageControlNetModel`` (the ControlNet alone) to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tiny_zimage_controlnet().save_pretrained(folder, safe_serialization=True)
    return folder


__all__ = [
    "QWEN_SPECIALS",
    "build_tiny_joyai_plus",
    "build_tiny_qwen_layered",
    "build_tiny_zimage_controlnet",
]
