"""A random tiny SAM 3 LiteText (transformers ``Sam3LiteTextModel``) for tests, built in-process.
Test code: the product never imports it (tests/test_layout.py checks).

    build_tiny_sam3_lite(score_bias=..., repmixer=True, layers=3, seed=1)
    save_tiny_sam3_lite(folder, **same)
        Sam3LiteTextModel + Sam3Processor: the tiny SAM 3's vision encoder, DETR and mask head
        (tests/support/tiny_segment.py, a 112-px image, the tiny CLIP tokenizer) with a tiny
        MobileCLIP text encoder: RepMixer blocks first and last (as LiteText-S0) unless
        ``repmixer`` is False (as S1 and L); ``layers`` sets its depth, which is how retouch orders
        LiteText folders by size (checkpoints._text_size).

No released checkpoint has these shapes; the masks mean nothing. ``score_bias`` works as in
save_tiny_sam3: large and positive, some instances are found; large and negative, none is. It loads
back through retouch's real path (``Sam3LiteTextModel.from_pretrained``, ``local_files_only``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.tiny_segment import save_sam3_folder, scored, tiny_sam3_config


def tiny_sam3_lite_config(*, repmixer: bool = True, layers: int = 3) -> Any:
    """Sam3LiteTextConfig: the tiny SAM 3's parts and a 32-wide MobileCLIP-style text encoder."""
    from transformers import Sam3LiteTextConfig

    sam3 = tiny_sam3_config()
    return Sam3LiteTextConfig(
        vision_config=sam3.vision_config,
        text_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_attention_heads": 4,
            "num_hidden_layers": layers,
            "vocab_size": 80,
            "projection_dim": 32,
            "max_position_embeddings": 32,
            "use_repmixer_blocks": repmixer,
            "repmixer_kernel_size": 3,
        },
        geometry_encoder_config=sam3.geometry_encoder_config.to_dict(),
        detr_encoder_config=sam3.detr_encoder_config.to_dict(),
        detr_decoder_config=sam3.detr_decoder_config.to_dict(),
        mask_decoder_config=sam3.mask_decoder_config.to_dict(),
    )


def build_tiny_sam3_lite(
    *, score_bias: float = 8.0, repmixer: bool = True, layers: int = 3, seed: int = 1
) -> Any:
    """The random tiny Sam3LiteTextModel, in memory (the same weights for the same arguments).
    Seed 1 finds 3-4 instances of 'the dog' / 'a red car' on the 96x72 astronaut."""
    import torch
    from transformers import Sam3LiteTextModel

    torch.manual_seed(seed)
    model = Sam3LiteTextModel(tiny_sam3_lite_config(repmixer=repmixer, layers=layers)).eval()
    return scored(model, score_bias)


def save_tiny_sam3_lite(folder: Path, **build: Any) -> Path:
    """Write a random tiny SAM 3 LiteText (model + processor) to ``folder``; returns it.
    ``build``: build_tiny_sam3_lite's arguments."""
    return save_sam3_folder(build_tiny_sam3_lite(**build), folder)
