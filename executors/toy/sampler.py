"""Teaching code (`retouch toy`, the lesson's exercises): a DDPM reverse sampler written against a
noise-prediction function, for tensors of any shape. No edit runs through it.

The model is any ``eps(x_t, t) -> Tensor``: ``x_t`` is the noisy sample (any shape, batch first),
``t`` an int64 tensor of shape (B,) holding the diffusers-style timestep index (0 = least noisy,
T-1 = most noisy), and the return value the predicted noise, shaped like ``x_t``. A diffusers
``UNet2DModel`` fits as ``lambda x, t: unet(x, t).sample``; the toy MLP of ``executors/toy/exercises.py`` fits
directly. One sampler does three things:

- unconditional sampling (no mask);
- naive replacement inpainting (``mask`` + ``known``): at every level the known entries are replaced
  by the known values forward-noised to that level, the masked entries are denoised by the model,
  and the result's known entries are ``known`` exactly;
- RePaint resampling (``resampling``): every ``every`` reverse steps, jump back ``jump`` steps by
  forward-noising the whole sample, and denoise those steps again (Lugmayr et al., 2022).

Levels: the sampler walks noise *levels* n = T..0; level n > 0 is timestep index n-1 with
``alpha_bar[n-1]``, level 0 is clean data (alpha_bar = 1). One reverse step takes level n to n-1.

Masks follow retouch's convention: True = edit (generate), False = keep (the known values). ``mask``
and ``known`` broadcast to the sample's shape, so a (1, 1, H, W) mask serves a (B, C, H, W) batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.errors import ExecutorError, InputError
from torch import Tensor

EpsFn = Callable[[Tensor, Tensor], Tensor]
"""eps(x_t: any shape (B, ...), t: int64 (B,) timestep indices) -> predicted noise, shaped like x_t."""


class Resampling(BaseModel):
    """RePaint's resampling schedule: after every ``every`` reverse steps, go back ``jump`` steps."""

    model_config = ConfigDict(extra="forbid")

    jump: int = Field(ge=1, description="Steps to jump back (re-noise) at each jump point.")
    every: int = Field(
        ge=1, description="Reverse steps between jump points (levels n % every == 0)."
    )
    repeats: int = Field(
        default=1, ge=1, description="Jumps made at each jump point (RePaint's r - 1)."
    )


@dataclass(frozen=True)
class NoiseSchedule:
    """The forward process: ``betas`` float64 (T,), timestep index 0 least noisy."""

    betas: Tensor

    def __post_init__(self) -> None:
        b = self.betas
        if b.ndim != 1 or b.numel() == 0:
            raise InputError(f"betas must be a non-empty 1-D tensor, got shape {tuple(b.shape)}")
        if not bool(((b > 0) & (b < 1)).all()):
            raise InputError("every beta must lie in (0, 1); check the noise schedule")
        object.__setattr__(self, "betas", b.detach().to("cpu", torch.float64))

    @classmethod
    def linear(
        cls, steps: int = 1000, beta_start: float | None = None, beta_end: float | None = None
    ) -> NoiseSchedule:
        """DDPM's linear betas; the defaults scale 1e-4..0.02 (for 1000 steps) by 1000/steps."""
        if steps < 1:
            raise InputError(f"steps is {steps}; a schedule needs at least 1 step")
        start = 1e-4 * 1000 / steps if beta_start is None else beta_start
        end = 0.02 * 1000 / steps if beta_end is None else beta_end
        if not 0 < start <= end < 1:
            raise InputError(
                f"betas {start:g}..{end:g} must satisfy 0 < start <= end < 1; "
                "use more steps or pass beta_start/beta_end"
            )
        return cls(torch.linspace(start, end, steps, dtype=torch.float64))

    @property
    def steps(self) -> int:
        """T, the number of diffusion steps."""
        return self.betas.numel()

    @property
    def alpha_bars(self) -> Tensor:
        """float64 (T,): cumulative product of (1 - beta); index t is timestep t."""
        return torch.cumprod(1.0 - self.betas, dim=0)

    def alpha_bar_at(self, level: int) -> float:
        """alpha_bar of a level: 1.0 at level 0 (clean), ``alpha_bars[level - 1]`` above."""
        if not 0 <= level <= self.steps:
            raise InputError(f"level {level} is outside 0..{self.steps}")
        return 1.0 if level == 0 else float(self.alpha_bars[level - 1])

    def noise_to(self, x0: Tensor, level: int, generator: torch.Generator | None = None) -> Tensor:
        """Sample q(x_level | x0) = sqrt(ab) x0 + sqrt(1 - ab) z; level 0 returns ``x0`` itself."""
        ab = self.alpha_bar_at(level)
        if level == 0:
            return x0
        return math.sqrt(ab) * x0 + math.sqrt(1 - ab) * _randn_like(x0, generator)

    def renoise(
        self, x: Tensor, level: int, to_level: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """Sample q(x_to | x_level) for to_level > level: forward diffusion by several steps at once."""
        ratio = self.alpha_bar_at(to_level) / self.alpha_bar_at(level)
        return math.sqrt(ratio) * x + math.sqrt(1 - ratio) * _randn_like(x, generator)


def reverse_levels(steps: int, resampling: Resampling | None = None) -> list[int]:
    """The levels a reverse pass visits, from ``steps`` down to 0.

    Without resampling: [T, T-1, ..., 0]. With it, on reaching a level n with n % every == 0,
    n < T and n + jump <= T, the pass jumps up to n + jump and walks down to n again, ``repeats``
    times. E.g. T=20, jump=5, every=10: 20..10, 15..10, 9..0, 5..0.
    """
    if steps < 1:
        raise InputError(f"steps is {steps}; need at least 1")
    if resampling is not None and resampling.jump > steps:
        raise InputError(
            f"RePaint jump {resampling.jump} is longer than the {steps}-step "
            "schedule; use a jump of at most the number of steps"
        )
    levels = [steps]
    jumps_left: dict[int, int] = {}
    if resampling is not None:
        jumps_left = {
            n: resampling.repeats
            for n in range(0, steps, resampling.every)
            if n + resampling.jump <= steps
        }
    n = steps
    while n > 0:
        n -= 1
        levels.append(n)
        while jumps_left.get(n, 0) > 0:
            jumps_left[n] -= 1
            levels.extend(range(n + resampling.jump, n - 1, -1))  # type: ignore[union-attr]
    return levels


class DDPMSampler:
    """Ancestral DDPM sampling with optional replacement inpainting and RePaint resampling."""

    def __init__(self, eps: EpsFn, schedule: NoiseSchedule) -> None:
        self.eps = eps
        self.schedule = schedule

    def __call__(
        self,
        shape: Sequence[int],
        *,
        known: Tensor | None = None,
        mask: Tensor | None = None,
        resampling: Resampling | None = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> Tensor:
        """Draw a batch of samples, shape ``shape`` (B, ...), on ``device``.

        known: values to keep, broadcastable to ``shape``; read only where ``mask`` is False.
        mask: bool, broadcastable to ``shape``; True = generate, False = keep ``known``.
        resampling: RePaint jumps; without a mask it still runs (and only costs time).
        generator: torch.Generator on ``device`` for reproducible noise.
        Returns the clean samples (level 0); with a mask, ``result[~mask] == known[~mask]`` exactly.
        """
        # 1. check inputs
        shape = tuple(int(s) for s in shape)
        if not shape or any(s < 1 for s in shape):
            raise InputError(f"sample shape {shape} must be non-empty with every size >= 1")
        if (known is None) != (mask is None):
            raise InputError("inpainting needs both `known` and `mask`; pass both or neither")
        if mask is not None and known is not None:
            mask, known = self._check_mask(shape, mask, known, device, dtype)
        levels = reverse_levels(self.schedule.steps, resampling)

        # 2. start from pure noise (known entries: the known values noised to level T)
        with torch.inference_mode():
            x = torch.randn(shape, generator=generator, device=device, dtype=dtype)
            x = self._keep_known(x, levels[0], known, mask, generator)
            # 3. walk the levels: down = one reverse step, up = a RePaint jump
            for here, there in zip(levels, levels[1:], strict=False):
                if there < here:
                    x = self._reverse_step(x, here, generator)
                    x = self._keep_known(x, there, known, mask, generator)
                else:
                    x = self.schedule.renoise(x, here, there, generator)
        return x

    def _check_mask(
        self,
        shape: tuple[int, ...],
        mask: Tensor,
        known: Tensor,
        device: torch.device | str | None,
        dtype: torch.dtype,
    ) -> tuple[Tensor, Tensor]:
        if mask.dtype != torch.bool:
            raise InputError(f"mask dtype is {mask.dtype}; give a bool tensor (True = generate)")
        for name, t in (("mask", mask), ("known", known)):
            try:
                fits = torch.broadcast_shapes(t.shape, shape) == shape
            except RuntimeError:
                fits = False
            if not fits:
                raise InputError(
                    f"{name} has shape {tuple(t.shape)}, which does not broadcast to "
                    f"the sample shape {shape}; give size 1 or the sample's size per dim"
                )
        return mask.to(device), known.to(device=device, dtype=dtype)

    def _keep_known(
        self,
        x: Tensor,
        level: int,
        known: Tensor | None,
        mask: Tensor | None,
        generator: torch.Generator | None,
    ) -> Tensor:
        """Replace the kept entries of ``x`` by ``known`` noised to ``level`` (fresh noise)."""
        if mask is None or known is None:
            return x
        noised = self.schedule.noise_to(known.expand_as(x), level, generator)
        return torch.where(mask, x, noised)

    def _reverse_step(self, x: Tensor, level: int, generator: torch.Generator | None) -> Tensor:
        """One ancestral step, level n -> n-1: the DDPM posterior mean plus sigma_n z."""
        ab = self.schedule.alpha_bar_at(level)
        ab_prev = self.schedule.alpha_bar_at(level - 1)
        beta = 1.0 - ab / ab_prev
        t = torch.full((x.shape[0],), level - 1, dtype=torch.int64, device=x.device)
        eps = self.eps(x, t)
        if not isinstance(eps, Tensor) or eps.shape != x.shape:
            got = tuple(eps.shape) if isinstance(eps, Tensor) else type(eps).__name__
            raise ExecutorError(
                f"the noise predictor returned {got} for an input of shape "
                f"{tuple(x.shape)}; it must return a tensor shaped like its input"
            )
        mean = (x - beta / math.sqrt(1.0 - ab) * eps.to(x.dtype)) / math.sqrt(1.0 - beta)
        if level == 1:
            return mean
        sigma = math.sqrt(beta * (1.0 - ab_prev) / (1.0 - ab))
        return mean + sigma * _randn_like(x, generator)


def _randn_like(x: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
