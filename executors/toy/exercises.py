"""Teaching code (`retouch toy`): the lesson's toy, a DDPM on 5-D two-cluster data, inpainted
naively and with RePaint. No edit runs through it.

Data: each sample is 5 floats around one cluster centre, all -1 or all +1, with sd 0.2 per dim.
A small MLP noise predictor is trained on it in seconds on a CPU (fixed seed, T=100 steps) and
sampled with ``retouch.executors.toy.sampler.DDPMSampler`` — the same sampler the image executors can use.

Measures (all over the *masked* dims of each sample, against its known dims' cluster centre c = +-1):

- cluster accuracy: the fraction of samples whose masked dims land in the known dims' cluster, i.e.
  whose masked dims are nearer c than -c (equivalently: their mean has the sign of c);
- residual: mean |x_d - c| over samples and masked dims d (same units as the data; a sample in the
  right cluster scores ~0.16 = E|N(0, 0.2)|, one in the wrong cluster ~2);
- boundary residual: the residual over the masked dims next to a known dim only.

Exercise 1 masks the last k of 5 dims (k = 1..4, masked fraction 0.2..0.8) and compares the naive
inpainting residual with unconditional samples' residual against the same known cluster. Exercise 2
masks the middle three dims (known: dims 0 and 4; boundary: dims 1 and 3) and compares RePaint
(jump back 5 every 10 steps) with naive inpainting there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import torch
from pydantic import BaseModel, ConfigDict, Field
from retouch.executors.toy.sampler import DDPMSampler, NoiseSchedule, Resampling
from retouch.planner.contract.errors import InputError
from torch import Tensor, nn

DIMS = 5
CENTRE = 1.0  # cluster centres: all -CENTRE or all +CENTRE
SPREAD = 0.2  # per-dim standard deviation around the centre
STEPS = 100  # diffusion steps T
TRAIN_ITERATIONS = 1500
SAMPLES = 2000  # known samples per evaluation run
REPAINT = Resampling(jump=5, every=10)  # the lesson's exercise 2
ACCURACY_MASK = (3, 4)  # the lesson's setting: 2 of 5 dims masked
REPAINT_MASK = (1, 2, 3)  # known dims 0 and 4 on both sides of the hole


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClusterAccuracy(_Strict):
    naive: float = Field(
        description="Naive replacement inpainting: fraction of samples whose "
        "masked dims land in the known dims' cluster (0..1)."
    )
    repaint: float = Field(description="RePaint (jump back 5 every 10 steps): the same fraction.")
    unconditional: float = Field(
        description="Unconditional samples scored against the same known "
        "clusters: the chance level, ~0.5."
    )


class SweepRow(_Strict):
    masked_fraction: float = Field(description="Masked dims / 5 (the last dims are masked).")
    naive_residual: float = Field(
        description="Naive inpainting: mean |x_d - c| over masked dims d, "
        "c = the known dims' cluster centre (+-1)."
    )
    unconditional_residual: float = Field(
        description="Unconditional samples: mean |x_d - c| over the same dims and centres."
    )


class RepaintComparison(_Strict):
    naive_boundary_residual: float = Field(
        description="Naive inpainting: mean |x_d - c| over the masked dims next to a known dim."
    )
    repaint_boundary_residual: float = Field(description="RePaint: the same residual.")


class ToyReport(_Strict):
    """The answers ``retouch toy --json`` prints; other tools read these keys."""

    cluster_accuracy: ClusterAccuracy = Field(description="2 of 5 dims masked (dims 3 and 4).")
    sweep: list[SweepRow] = Field(description="Exercise 1: masked fraction 0.2, 0.4, 0.6, 0.8.")
    repaint: RepaintComparison = Field(description="Exercise 2: dims 1-3 masked, boundary 1 and 3.")

    def stops_helping_at(self) -> tuple[float, bool]:
        """Exercise 1's answer: the masked fraction where the naive residual reaches the
        unconditional one, and whether it was measured (True) or extrapolated (False).

        Measured: linear interpolation of the gap (unconditional - naive) between the two sweep
        rows where it first reaches 0. Otherwise: linear extrapolation of the gap from the last two
        rows, capped at 1.0, where nothing is known and inpainting *is* unconditional sampling.
        """
        if not self.sweep:
            raise InputError("the report has no sweep rows; run the sweep first")
        rows = [
            (r.masked_fraction, r.unconditional_residual - r.naive_residual) for r in self.sweep
        ]
        for i, (f1, g1) in enumerate(rows):
            if g1 <= 0:
                if i == 0:
                    return f1, True
                f0, g0 = rows[i - 1]
                return f0 + (f1 - f0) * g0 / (g0 - g1), True
        if len(rows) < 2:
            return 1.0, False
        (f0, g0), (f1, g1) = rows[-2:]
        if g1 >= g0:  # the gap is not closing: it reaches 0 only where nothing is known
            return 1.0, False
        return min(1.0, f1 + (f1 - f0) * g1 / (g0 - g1)), False


class NoisePredictor(nn.Module):
    """eps(x_t, t): x_t float (B, 5), t int64 (B,) in 0..T-1 -> predicted noise (B, 5)."""

    def __init__(self, steps: int = STEPS, width: int = 128, dims: int = DIMS) -> None:
        super().__init__()
        self.time = nn.Embedding(steps, 32)
        self.net = nn.Sequential(
            nn.Linear(dims + 32, width),
            nn.SiLU(),
            nn.Linear(width, width),
            nn.SiLU(),
            nn.Linear(width, dims),
        )

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        return self.net(torch.cat([x, self.time(t)], dim=1))


@dataclass(frozen=True)
class ToyModel:
    """A trained noise predictor and the schedule it was trained on."""

    net: NoisePredictor
    schedule: NoiseSchedule

    def sampler(self) -> DDPMSampler:
        return DDPMSampler(self.net, self.schedule)


def sample_clusters(n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """n samples of the toy data: x float32 (n, 5) and their cluster centres float32 (n,), +-1."""
    centre = (torch.randint(0, 2, (n,), generator=generator) * 2 - 1).float() * CENTRE
    x = centre[:, None] + SPREAD * torch.randn(n, DIMS, generator=generator)
    return x, centre


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread, then restore: the toy's tiny matrices gain nothing from more
    threads, and on a shared, busy CPU extra threads make it many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_toy(seed: int = 0, iterations: int = TRAIN_ITERATIONS, batch: int = 256) -> ToyModel:
    """Train the MLP with the DDPM loss |eps - eps_hat|^2 (a few seconds on one CPU core).

    Deterministic for a seed on a given machine; cached per process, so call sites share one model
    (treat it as read-only).
    """
    if seed < 0 or iterations < 1 or batch < 1:
        raise InputError(
            f"seed {seed}, iterations {iterations}, batch {batch}: seed must be >= 0 "
            "and the others >= 1"
        )
    return _train(seed, iterations, batch)


@lru_cache(maxsize=4)
def _train(seed: int, iterations: int, batch: int) -> ToyModel:
    schedule = NoiseSchedule.linear(STEPS)
    ab = schedule.alpha_bars.float()
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = NoisePredictor()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=iterations)
    with one_thread():
        for _ in range(iterations):
            x0, _ = sample_clusters(batch, gen)
            t = torch.randint(0, STEPS, (batch,), generator=gen)
            noise = torch.randn(x0.shape, generator=gen)
            a = ab[t][:, None]
            loss = (net(a.sqrt() * x0 + (1 - a).sqrt() * noise, t) - noise).square().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    net.eval().requires_grad_(False)
    return ToyModel(net, schedule)


def in_cluster(x: Tensor, centre: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Bool (n,): the dims ``dims`` of each sample are nearer ``centre`` (+-1) than ``-centre``."""
    return torch.sign(x[:, list(dims)].mean(dim=1)) == torch.sign(centre)


def residual(x: Tensor, centre: Tensor, dims: tuple[int, ...]) -> float:
    """mean |x[:, d] - centre| over samples and the dims ``dims``."""
    return float((x[:, list(dims)] - centre[:, None]).abs().double().mean())


class ToyExercises:
    """The cluster test and both exercises for one trained model, on ``samples`` known samples.

    Every run conditions on the same known samples (drawn from the data with ``seed``), so naive,
    RePaint and unconditional numbers are compared on equal terms.
    """

    def __init__(self, model: ToyModel, samples: int = SAMPLES, seed: int = 0) -> None:
        if samples < 1:
            raise InputError(f"samples is {samples}; need at least 1")
        self.sampler = model.sampler()
        self.samples = samples
        self.generator = torch.Generator().manual_seed(seed + 1)
        self.known, self.centre = sample_clusters(samples, self.generator)

    def __call__(self) -> ToyReport:
        # 1. the cluster test: the lesson's setting, last 2 of 5 dims masked
        free = self.sample()
        naive, repaint = self.sample(ACCURACY_MASK), self.sample(ACCURACY_MASK, REPAINT)
        accuracy = ClusterAccuracy(
            naive=self.accuracy(naive, ACCURACY_MASK),
            repaint=self.accuracy(repaint, ACCURACY_MASK),
            unconditional=self.accuracy(free, ACCURACY_MASK),
        )
        # 2. exercise 1: mask the last k dims, k = 1..4, naive vs unconditional
        sweep = []
        for k in range(1, DIMS):
            masked = tuple(range(DIMS - k, DIMS))
            sweep.append(
                SweepRow(
                    masked_fraction=k / DIMS,
                    naive_residual=residual(self.sample(masked), self.centre, masked),
                    unconditional_residual=residual(free, self.centre, masked),
                )
            )
        # 3. exercise 2: a hole in the middle, residual at its edges, RePaint vs naive
        edge = boundary_dims(REPAINT_MASK)
        comparison = RepaintComparison(
            naive_boundary_residual=residual(self.sample(REPAINT_MASK), self.centre, edge),
            repaint_boundary_residual=residual(
                self.sample(REPAINT_MASK, REPAINT), self.centre, edge
            ),
        )
        return ToyReport(cluster_accuracy=accuracy, sweep=sweep, repaint=comparison)

    def sample(self, masked: tuple[int, ...] = (), resampling: Resampling | None = None) -> Tensor:
        """(samples, 5): inpaint the dims ``masked`` given the known samples; () = unconditional."""
        shape = (self.samples, DIMS)
        mask = torch.zeros(DIMS, dtype=torch.bool)
        mask[list(masked)] = True
        known = self.known if masked else None
        with one_thread():
            return self.sampler(
                shape,
                known=known,
                mask=mask if masked else None,
                resampling=resampling,
                generator=self.generator,
            )

    def accuracy(self, x: Tensor, masked: tuple[int, ...]) -> float:
        return float(in_cluster(x, self.centre, masked).double().mean())


def run_exercises(
    seed: int = 0, samples: int = SAMPLES, iterations: int = TRAIN_ITERATIONS
) -> ToyReport:
    """Train (or reuse) the toy model for ``seed`` and answer the cluster test and both exercises."""
    return ToyExercises(train_toy(seed, iterations), samples, seed)()


def boundary_dims(masked: tuple[int, ...], dims: int = DIMS) -> tuple[int, ...]:
    """The masked dims with a known neighbour (d - 1 or d + 1 unmasked and in 0..dims-1)."""
    hole = set(masked)
    return tuple(d for d in masked if any(0 <= n < dims and n not in hole for n in (d - 1, d + 1)))
