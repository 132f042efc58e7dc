"""Random tiny Segment Anything models for tests and benchmarks, built in-process (no download).
Test code: the product never imports it (tests/test_layout.py checks).

    build_test_tiny()                         SAM 1: a random 64-px Sam from segment-anything's
                                              classes; importing this module registers it in
                                              retouch's SAM_ARCHS as ``test_tiny`` (the product
                                              knows only the released vit_b/l/h)
    save_tiny_sam3(folder, score_bias=...)    Sam3Model + Sam3Processor (a 112-px image, a tiny
                                              CLIP tokenizer from a vocabulary written here)
    save_tiny_sam2(folder)                    Sam2Model + Sam2Processor (a 128-px image)
    scored(model, score_bias), save_sam3_folder(model, folder)
                                              the SAM 3 steps tiny_sam3_lite.py shares

The shapes follow segment-anything's and transformers' own model tests (tests/models/sam3, sam2);
no released checkpoint has them and their masks mean nothing. ``score_bias`` moves SAM 3's presence
logit: large and positive, every query scores ~sigmoid(its logit) (some instances are found); large
and negative, none is. Each loads back through retouch's real path (``load_sam`` for SAM 1,
``from_pretrained`` with ``local_files_only`` for SAM 2/3).
"""

from __future__ import annotations

import string
from functools import partial
from pathlib import Path
from typing import Any

from retouch.executors.segment.sam import SAM_ARCHS, SamArch

TINY_SAM_TYPE = "test_tiny"
TINY_SAM3_SIZE = 112  # px, = 8 patches of 14
TINY_SAM2_SIZE = 128


def build_test_tiny() -> Any:
    """A random 64-px SAM from segment-anything's own classes, for tests and smoke runs only.

    No released checkpoint has this shape; its masks mean nothing. The encoder runs in milliseconds.
    """
    import torch
    from segment_anything.modeling import (
        ImageEncoderViT,
        MaskDecoder,
        PromptEncoder,
        Sam,
        TwoWayTransformer,
    )

    img, patch, dim = 64, 8, 32
    return Sam(
        image_encoder=ImageEncoderViT(
            img_size=img,
            patch_size=patch,
            embed_dim=16,
            depth=2,
            num_heads=2,
            mlp_ratio=2,
            out_chans=dim,
            qkv_bias=True,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            use_rel_pos=True,
            window_size=4,
            global_attn_indexes=(1,),
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=dim,
            image_embedding_size=(img // patch, img // patch),
            input_image_size=(img, img),
            mask_in_chans=4,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=2, embedding_dim=dim, mlp_dim=64, num_heads=2),
            transformer_dim=dim,
            iou_head_depth=3,
            iou_head_hidden_dim=dim,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    ).eval()


def tiny_clip_tokenizer():  # type: ignore[no-untyped-def]
    """A CLIP BPE tokenizer over single characters (no merges): every word spells out."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in string.ascii_lowercase + string.digits + "'-":
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[])


def tiny_sam3_config():  # type: ignore[no-untyped-def]
    from transformers.models.sam3.configuration_sam3 import (
        Sam3Config,
        Sam3DETRDecoderConfig,
        Sam3DETREncoderConfig,
        Sam3GeometryEncoderConfig,
        Sam3MaskDecoderConfig,
        Sam3VisionConfig,
        Sam3ViTConfig,
    )

    small = {"hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 64}
    backbone = Sam3ViTConfig(
        **small,
        num_hidden_layers=2,
        image_size=TINY_SAM3_SIZE,
        patch_size=14,
        window_size=4,
        global_attn_indexes=[1],
    )
    side = TINY_SAM3_SIZE // 14
    return Sam3Config(
        vision_config=Sam3VisionConfig(
            backbone_config=backbone,
            fpn_hidden_size=32,
            scale_factors=[2.0, 1.0],
            backbone_feature_sizes=[[2 * side, 2 * side], [side, side]],
        ),
        text_config={
            **small,
            "vocab_size": 80,
            "projection_dim": 32,
            "num_hidden_layers": 1,
            "max_position_embeddings": 32,
            "hidden_act": "gelu",
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        geometry_encoder_config=Sam3GeometryEncoderConfig(**small, num_layers=1),
        detr_encoder_config=Sam3DETREncoderConfig(**small, num_layers=1),
        detr_decoder_config=Sam3DETRDecoderConfig(**small, num_layers=1, num_queries=6),
        mask_decoder_config=Sam3MaskDecoderConfig(hidden_size=32, num_upsampling_stages=2),
    )


def save_tiny_sam3(folder: Path, *, score_bias: float = 8.0, seed: int = 0) -> Path:
    """Write a random tiny SAM 3 (model + processor) to ``folder``; returns it."""
    import torch
    from transformers import Sam3Model

    torch.manual_seed(seed)
    return save_sam3_folder(scored(Sam3Model(tiny_sam3_config()).eval(), score_bias), folder)


def scored(model: Any, score_bias: float) -> Any:
    """A random SAM 3 (or LiteText) ``model`` made to find instances: its presence head biased by
    ``score_bias`` (large and positive: some are found; large and negative: none) and its queries'
    logits spread. Returns ``model``."""
    import torch

    with torch.no_grad():
        model.detr_decoder.presence_head.layer3.bias.fill_(score_bias)
        model.dot_product_scoring.query_proj.weight.mul_(20.0)
    return model


def save_sam3_folder(model: Any, folder: Path) -> Path:
    """Write ``model`` with the tiny Sam3Processor (112-px images, 32-px masks, the tiny CLIP
    tokenizer) to ``folder``, as a released SAM 3 folder holds them; returns ``folder``."""
    from transformers import Sam3Processor
    from transformers.models.sam3.image_processing_sam3 import Sam3ImageProcessor

    size = {"height": TINY_SAM3_SIZE, "width": TINY_SAM3_SIZE}
    processor = Sam3Processor(
        image_processor=Sam3ImageProcessor(size=size, mask_size={"height": 32, "width": 32}),
        tokenizer=tiny_clip_tokenizer(),
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def tiny_sam2_config():  # type: ignore[no-untyped-def]
    from transformers.models.sam2.configuration_sam2 import (
        Sam2Config,
        Sam2HieraDetConfig,
        Sam2MaskDecoderConfig,
        Sam2PromptEncoderConfig,
        Sam2VisionConfig,
    )

    s = TINY_SAM2_SIZE
    backbone = Sam2HieraDetConfig(
        hidden_size=12,
        image_size=s,
        num_attention_heads=1,
        blocks_per_stage=[1, 1, 2, 1],
        embed_dim_per_stage=[12, 24, 48, 96],
        num_attention_heads_per_stage=[1, 1, 1, 1],
        window_size_per_stage=[4, 4, 4, 4],
        global_attention_blocks=[3],
        window_positional_embedding_background_size=[4, 4],
    )
    return Sam2Config(
        vision_config=Sam2VisionConfig(
            backbone_config=backbone,
            backbone_channel_list=[96, 48, 24, 12],
            backbone_feature_sizes=[[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]],
            fpn_hidden_size=32,
        ),
        prompt_encoder_config=Sam2PromptEncoderConfig(hidden_size=32, image_size=s, patch_size=16),
        mask_decoder_config=Sam2MaskDecoderConfig(
            hidden_size=32, mlp_dim=64, num_attention_heads=2, iou_head_hidden_dim=32
        ),
    )


def save_tiny_sam2(folder: Path, *, seed: int = 0) -> Path:
    """Write a random tiny SAM 2.1 (model + processor) to ``folder``; returns it."""
    import torch
    from transformers import Sam2Model, Sam2Processor
    from transformers.models.sam2.image_processing_sam2 import Sam2ImageProcessor

    torch.manual_seed(seed)
    model = Sam2Model(tiny_sam2_config()).eval()
    side = {"height": TINY_SAM2_SIZE, "width": TINY_SAM2_SIZE}
    processor = Sam2Processor(
        image_processor=Sam2ImageProcessor(size=side, mask_size={"height": 32, "width": 32})
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


SAM_ARCHS.setdefault(TINY_SAM_TYPE, SamArch(build=build_test_tiny, embed_dim=16, depth=2))


def direct_sam3(folder: Path, image: Any, text: str, model_class: str = "Sam3Model") -> Any:
    """The reference for a SAM 3 (or LiteText, ``model_class="Sam3LiteTextModel"``) folder, by
    transformers alone: processor(images, text) -> the model -> post_process_instance_segmentation
    at thresholds 0.5, for the original size. Returns that first result dict."""
    import torch
    import transformers

    model = getattr(transformers, model_class).from_pretrained(folder, local_files_only=True).eval()
    processor = transformers.Sam3Processor.from_pretrained(folder, local_files_only=True)
    inputs = processor(images=image, text=text, return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs)
    return processor.post_process_instance_segmentation(
        out, threshold=0.5, mask_threshold=0.5, target_sizes=inputs["original_sizes"].tolist()
    )[0]
