"""Tiny random diffusers models for tests and benchmarks (test code: the product never imports it).

Built the way diffusers' own tests build theirs (``get_dummy_components``: 32/64-channel UNets, a
2-level VAE, a 2-layer CLIP text encoder, ``torch.manual_seed(0)`` before each part), with a CLIP
tokenizer made from a vocab/merges file written here (byte-level alphabet, no merges), so nothing
is downloaded. Each builder saves with ``save_pretrained`` into a folder that retouch then loads
through its real loading path (``retouch.executors.diffusion.loading``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SD_KINDS = {  # kind -> (pipeline class, UNet input channels, scheduler class)
    "inpaint": ("StableDiffusionInpaintPipeline", 9, "PNDMScheduler"),
    "img2img": ("StableDiffusionImg2ImgPipeline", 4, "PNDMScheduler"),
    "pix2pix": ("StableDiffusionInstructPix2PixPipeline", 8, "EulerAncestralDiscreteScheduler"),
}


def write_tokenizer_files(folder: Path) -> Path:
    """vocab.json (special tokens + the 256 byte-level symbols, alone and word-final) and an empty
    merges.txt: every text tokenizes, one token per character."""
    from tokenizers.pre_tokenizers import ByteLevel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in sorted(ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return folder


def tokenizer(folder: Path) -> Any:
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(write_tokenizer_files(folder), model_max_length=77)


def _vae(levels: int) -> Any:
    import torch
    from diffusers import AutoencoderKL

    channels = [32, 64, 64, 64][:levels]
    torch.manual_seed(0)
    return AutoencoderKL(
        block_out_channels=channels,
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * levels,
        up_block_types=["UpDecoderBlock2D"] * levels,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=32,
    )


def _unet(in_channels: int) -> Any:
    import torch
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    return UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=32,
    )


def _text_encoder(vocab_size: int) -> Any:
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    return CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=32,
            intermediate_size=37,
            layer_norm_eps=1e-5,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=vocab_size,
        )
    )


def save_sd(folder: Path, kind: str = "inpaint", *, vae_levels: int = 2) -> Path:
    """A tiny SD 1.x-layout pipeline of ``kind`` (inpaint, img2img, pix2pix) saved to ``folder``.

    ``vae_levels`` 2 gives a VAE scale factor of 2 (fast tests); 4 gives SD's real factor of 8.
    """
    import diffusers

    pipeline, channels, scheduler = SD_KINDS[kind]
    tok = tokenizer(folder.parent / f".{folder.name}-tokenizer")
    sched_cls = getattr(diffusers, scheduler)
    sched = (
        sched_cls(skip_prk_steps=True, steps_offset=1)
        if scheduler == "PNDMScheduler"
        else (sched_cls())
    )
    pipe = getattr(diffusers, pipeline)(
        vae=_vae(vae_levels),
        text_encoder=_text_encoder(len(tok)),
        tokenizer=tok,
        unet=_unet(channels),
        scheduler=sched,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    return folder


def save_controlnet(folder: Path) -> Path:
    """A tiny ControlNet matching ``save_sd``'s UNet (conditioning downscale 2, as the tiny VAE)."""
    import torch
    from diffusers import ControlNetModel

    torch.manual_seed(0)
    ControlNetModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        in_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        cross_attention_dim=32,
        conditioning_embedding_out_channels=(16, 32),
        norm_num_groups=32,
    ).save_pretrained(folder)
    return folder


def save_ddpm(folder: Path) -> Path:
    """A tiny unconditional DDPM (UNet2DModel + DDPMScheduler) saved as a DDPMPipeline folder."""
    import torch
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    torch.manual_seed(0)
    unet = UNet2DModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=32,
    )
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler(num_train_timesteps=1000)).save_pretrained(
        folder
    )
    return folder


def build_all(root: Path) -> dict[str, Path]:
    """Every tiny model under ``root``: inpaint, img2img, pix2pix, controlnet, ddpm."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = {kind: save_sd(root / kind, kind) for kind in SD_KINDS}
        out["controlnet"] = save_controlnet(root / "controlnet")
        out["ddpm"] = save_ddpm(root / "ddpm")
    finally:
        torch.set_num_threads(threads)
    return out
