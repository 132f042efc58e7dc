"""Latency estimate per stage for a plan, from the registry's per-step costs and the hardware table.

Costs are for warm models, batch 1. The denoise stage scales with steps actually run (SDEdit runs
``steps * strength``) and with the pixels the model sees relative to its native resolution.
"""

from __future__ import annotations

from retouch.planner.catalog.registry import HARDWARE, SAM_ENCODER_S, FamilySpec
from retouch.planner.contract.schema import Hardware, Latency, StageLatency

# VAE encode + decode seconds at native resolution on gpu-24gb (the lesson: ~0.5 s for SDXL 1024^2).
VAE_S = {512: 0.08, 1024: 0.5, 256: 0.0}
TEXT_ENCODE_S = {"cfg": 0.02, "distilled": 0.08}
CONTROLNET_FACTOR = 1.4
OFFLOAD_FACTOR = 1.3
# The PatchMatch fill, seconds per megapixel of the region it works on (the padded crop around a hole,
# or the extended canvas), one CPU core: tests/bench/bench_fill.py measured 0.3 s mean (0.6 s max) for
# holes whose crops are ~0.1 MP, and 1-6 s for 16:9 extensions of ~0.5 MP canvases.
CLASSICAL_S_PER_MP = 4.0


def estimate(
    spec: FamilySpec,
    hardware: Hardware,
    *,
    executor: str,
    steps_run: int,
    work_pixels: float,
    mask_stage: str | None,
    controlnet: bool,
    offload: bool,
) -> Latency:
    """Estimated seconds per stage. ``work_pixels``: pixels the model processes in total."""
    hw = HARDWARE[hardware]
    stages: list[StageLatency] = []
    if mask_stage in SAM_ENCODER_S:
        stages.append(
            StageLatency(
                stage=f"mask (SAM {mask_stage})",
                seconds=SAM_ENCODER_S[mask_stage] * hw.speed + 0.01,
            )
        )
    elif mask_stage == "prepare":
        stages.append(StageLatency(stage="mask (load, dilate, feather)", seconds=0.01))
    if executor == "classical":
        stages.append(
            StageLatency(
                stage="weight-free fill (PatchMatch)",
                seconds=0.02 + CLASSICAL_S_PER_MP * work_pixels / 1e6,
            )
        )
    else:
        scale = work_pixels / float(spec.native_resolution**2)
        step = spec.step_s * hw.speed * scale
        if controlnet:
            step *= CONTROLNET_FACTOR
        if offload:
            step *= OFFLOAD_FACTOR
        stages.append(
            StageLatency(stage="text encode", seconds=TEXT_ENCODE_S[spec.guidance_kind] * hw.speed)
        )
        vae = VAE_S.get(spec.native_resolution, 0.1) * hw.speed * scale
        stages.append(StageLatency(stage="VAE encode + decode", seconds=vae))
        stages.append(StageLatency(stage=f"denoise ({steps_run} steps)", seconds=steps_run * step))
    stages.append(StageLatency(stage="composite + QA", seconds=0.05))
    for s in stages:
        s.seconds = round(s.seconds, 3)
    cold = 0.0 if executor == "classical" else spec.load_s * (1.5 if hardware == "cpu" else 1.0)
    if controlnet:
        cold += 2.0
    if mask_stage in SAM_ENCODER_S:
        cold += 1.0
    return Latency(
        hardware=hardware,
        stages=stages,
        total_s=round(sum(s.seconds for s in stages), 3),
        cold_load_s=round(cold, 1),
    )
