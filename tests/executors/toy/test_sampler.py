"""executors/toy/sampler.py against exact noise predictors: Gaussian data has a closed-form eps, so the
sampler's output can be checked against known distributions without training anything."""

from __future__ import annotations

import math

import pytest
import torch
from retouch.executors.toy.sampler import DDPMSampler, NoiseSchedule, Resampling, reverse_levels
from retouch.planner.contract.errors import ExecutorError, InputError

MU = torch.tensor([1.0, -0.5])
SD = 0.3
RHO = 0.9
SIGMA = torch.tensor([[1.0, RHO], [RHO, 1.0]]) * SD**2
KNOWN = torch.tensor([1.3, 0.0])  # dim 0 kept at 1.3; dim 1 (value ignored) generated
MASK = torch.tensor([False, True])
COND_MEAN = float(MU[1] + RHO * (KNOWN[0] - MU[0]))  # E[x1 | x0 = 1.3] = -0.23
PRIOR_MEAN = float(MU[1])  # -0.5


def gaussian_eps(schedule: NoiseSchedule):  # type: ignore[no-untyped-def]
    """The exact E[eps | x_t] for x0 ~ N(MU, SIGMA): sqrt(1-ab) Cov_t^-1 (x_t - sqrt(ab) MU)."""
    ab = schedule.alpha_bars.float()[:, None, None]
    gain = (1 - ab).sqrt() * torch.linalg.inv(ab * SIGMA + (1 - ab) * torch.eye(2))  # (T, 2, 2)
    shift = ab[:, :, 0].sqrt() * MU  # (T, 2)

    def eps(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        assert t.dtype == torch.int64 and t.shape == (x.shape[0],) and bool((t == t[0]).all())
        return (x - shift[t[0]]) @ gain[t[0]].T

    return eps


@pytest.fixture(autouse=True)
def one_thread():  # type: ignore[no-untyped-def]
    """Small tensors: one thread is as fast, and much faster on a busy shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def schedule() -> NoiseSchedule:
    return NoiseSchedule.linear(200)


def test_reverse_levels_plain_and_with_jumps() -> None:
    assert reverse_levels(5) == [5, 4, 3, 2, 1, 0]
    jumps = Resampling(jump=5, every=10)
    assert reverse_levels(20, jumps) == [
        *range(20, 9, -1),
        *range(15, 9, -1),
        *range(9, -1, -1),
        *range(5, -1, -1),
    ]
    levels = reverse_levels(100, jumps)
    downs = sum(b < a for a, b in zip(levels, levels[1:], strict=False))
    ups = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a]
    assert downs == 150 and ups == [(n, n + 5) for n in range(90, -1, -10)]
    repeated = reverse_levels(20, Resampling(jump=10, every=10, repeats=2))
    assert [(a, b) for a, b in zip(repeated, repeated[1:], strict=False) if b > a] == [
        (10, 20),
        (10, 20),
        (0, 10),
        (0, 10),
    ]


def test_reverse_levels_rejects_a_jump_past_the_start() -> None:
    with pytest.raises(InputError, match="jump 30 is longer than the 20-step"):
        reverse_levels(20, Resampling(jump=30, every=10))


def test_schedule_levels_and_forward_noise() -> None:
    s = NoiseSchedule.linear(100)
    assert s.steps == 100 and s.alpha_bar_at(0) == 1.0
    assert (
        s.alpha_bar_at(100) == pytest.approx(float(s.alpha_bars[-1])) and s.alpha_bar_at(100) < 1e-4
    )
    g = torch.Generator().manual_seed(0)
    x = torch.full((20000,), 2.0)
    assert torch.equal(s.noise_to(x, 0, g), x)
    ratio = s.alpha_bar_at(30) / s.alpha_bar_at(10)
    jumped = s.renoise(x, 10, 30, g)
    assert float(jumped.mean()) == pytest.approx(2 * math.sqrt(ratio), abs=0.02)
    assert float(jumped.std()) == pytest.approx(math.sqrt(1 - ratio), rel=0.03)


def test_unconditional_samples_match_the_gaussian(schedule: NoiseSchedule) -> None:
    g = torch.Generator().manual_seed(0)
    x = DDPMSampler(gaussian_eps(schedule), schedule)((4000, 2), generator=g)
    assert torch.allclose(x.mean(0), MU, atol=0.03)
    assert torch.allclose(x.std(0), torch.full((2,), SD), rtol=0.08)  # T=200: ~5% under-dispersed
    assert float(torch.corrcoef(x.T)[0, 1]) == pytest.approx(RHO, abs=0.04)


def test_resampling_keeps_the_data_distribution(schedule: NoiseSchedule) -> None:
    # each jump re-noises with q(x_{n+k} | x_n), so the samples stay N(MU, SIGMA) however many
    # times the sampler goes back and forth
    g = torch.Generator().manual_seed(0)
    sampler = DDPMSampler(gaussian_eps(schedule), schedule)
    x = sampler((4000, 2), resampling=Resampling(jump=5, every=10), generator=g)
    assert torch.allclose(x.mean(0), MU, atol=0.03)
    assert torch.allclose(x.std(0), torch.full((2,), SD), rtol=0.08)


def test_naive_inpainting_keeps_known_dims_and_pulls_masked_toward_them(
    schedule: NoiseSchedule,
) -> None:
    g = torch.Generator().manual_seed(1)
    x = DDPMSampler(gaussian_eps(schedule), schedule)(
        (4000, 2), known=KNOWN, mask=MASK, generator=g
    )
    assert bool((x[:, 0] == KNOWN[0]).all())  # known dims are the source's, exactly
    # The masked dim moves from the prior mean (-0.5) most of the way to E[x1 | x0] (-0.23):
    # naive replacement only approximates the conditional, which is what RePaint improves on.
    assert PRIOR_MEAN + 0.1 < float(x[:, 1].mean()) < COND_MEAN + 0.02


def test_repaint_lands_closer_to_the_true_conditional_than_naive(schedule: NoiseSchedule) -> None:
    sampler = DDPMSampler(gaussian_eps(schedule), schedule)

    def error(resampling: Resampling | None) -> float:
        g = torch.Generator().manual_seed(2)
        x = sampler((4000, 2), known=KNOWN, mask=MASK, resampling=resampling, generator=g)
        assert bool((x[:, 0] == KNOWN[0]).all())
        return abs(float(x[:, 1].mean()) - COND_MEAN)

    naive = error(None)
    light = error(Resampling(jump=5, every=10))
    heavy = error(Resampling(jump=10, every=10, repeats=9))
    assert light < naive - 0.01
    assert heavy < light and heavy < 0.05


def test_known_entries_are_renoised_to_the_current_level() -> None:
    s = NoiseSchedule.linear(50)
    seen: dict[int, torch.Tensor] = {}

    def eps(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        seen[int(t[0])] = x[:, 0].clone()
        return torch.zeros_like(x)

    g = torch.Generator().manual_seed(0)
    DDPMSampler(eps, s)((20000, 2), known=torch.tensor([2.0, 0.0]), mask=MASK, generator=g)
    for t in (49, 25, 0):  # the model at timestep t sees the known value noised to alpha_bar[t]
        ab = float(s.alpha_bars[t])
        assert float(seen[t].mean()) == pytest.approx(2 * math.sqrt(ab), abs=0.02)
        assert float(seen[t].std()) == pytest.approx(math.sqrt(1 - ab), rel=0.05)


def test_masks_broadcast_over_image_shaped_batches() -> None:
    s = NoiseSchedule.linear(50)
    calls: list[tuple[tuple[int, ...], tuple[int, ...], torch.dtype]] = []

    def eps(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        calls.append((tuple(x.shape), tuple(t.shape), t.dtype))
        return 0.5 * x

    mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    mask[..., 2:6, 2:6] = True
    known = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    g = torch.Generator().manual_seed(0)
    x = DDPMSampler(eps, s)((2, 3, 8, 8), known=known, mask=mask, generator=g)
    keep = ~mask.expand(2, 3, 8, 8)
    assert x.shape == (2, 3, 8, 8)
    assert torch.equal(x[keep], known.expand(2, 3, 8, 8)[keep])
    assert not torch.allclose(x[~keep], known.expand(2, 3, 8, 8)[~keep])
    assert not torch.equal(x[0], x[1])  # each batch item gets its own noise
    assert len(calls) == 50 and set(calls) == {((2, 3, 8, 8), (2,), torch.int64)}


def test_eps_sees_the_repaint_timesteps_in_order() -> None:
    s = NoiseSchedule.linear(20, 1e-3, 0.2)
    ts: list[int] = []

    def eps(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ts.append(int(t[0]))
        return torch.zeros_like(x)

    DDPMSampler(eps, s)((4, 2), resampling=Resampling(jump=5, every=10))
    assert ts == [*range(19, 9, -1), *range(14, 9, -1), *range(9, -1, -1), *range(4, -1, -1)]


def test_same_generator_seed_same_samples(schedule: NoiseSchedule) -> None:
    sampler = DDPMSampler(gaussian_eps(schedule), schedule)

    def draw(seed: int) -> torch.Tensor:
        return sampler(
            (16, 2), known=KNOWN, mask=MASK, generator=torch.Generator().manual_seed(seed)
        )

    assert torch.equal(draw(3), draw(3))
    assert not torch.equal(draw(3), draw(4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mask": MASK}, "needs both `known` and `mask`"),
        ({"known": KNOWN}, "needs both `known` and `mask`"),
        ({"known": KNOWN, "mask": MASK.float()}, "mask dtype is torch.float32; give a bool"),
        ({"known": KNOWN, "mask": torch.ones(3, dtype=torch.bool)}, r"mask has shape \(3,\)"),
        ({"known": torch.zeros(4, 2), "mask": MASK}, r"known has shape \(4, 2\), which does not"),
        ({"shape": (0, 2)}, r"sample shape \(0, 2\) must be non-empty"),
        ({"shape": ()}, "must be non-empty"),
    ],
)
def test_bad_inputs_name_the_problem(kwargs: dict, message: str) -> None:
    s = NoiseSchedule.linear(50)
    kwargs = dict(kwargs)
    shape = kwargs.pop("shape", (8, 2))
    with pytest.raises(InputError, match=message):
        DDPMSampler(lambda x, t: torch.zeros_like(x), s)(shape, **kwargs)


def test_a_noise_predictor_with_the_wrong_output_shape_is_an_executor_error() -> None:
    sampler = DDPMSampler(lambda x, t: x[:, :1], NoiseSchedule.linear(50))
    with pytest.raises(ExecutorError, match=r"returned \(8, 1\) for an input of shape \(8, 2\)"):
        sampler((8, 2))


def test_bad_schedules_are_refused() -> None:
    with pytest.raises(InputError, match="use more steps or pass beta_start/beta_end"):
        NoiseSchedule.linear(10)  # default scaled betas would reach 2.0
    with pytest.raises(InputError, match="every beta must lie in"):
        NoiseSchedule(torch.tensor([0.1, 1.0]))
    with pytest.raises(InputError, match="non-empty 1-D"):
        NoiseSchedule(torch.zeros(0))
    with pytest.raises(InputError, match="level 51 is outside 0..50"):
        NoiseSchedule.linear(50).alpha_bar_at(51)


@pytest.mark.gpu
def test_samples_on_cuda_with_cpu_mask_and_known() -> None:
    s = NoiseSchedule.linear(50)
    mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    mask[..., 2:6, 2:6] = True
    known = torch.rand(1, 3, 8, 8)
    g = torch.Generator(device="cuda").manual_seed(0)
    x = DDPMSampler(lambda x, t: 0.5 * x, s)(
        (2, 3, 8, 8), known=known, mask=mask, generator=g, device="cuda"
    )
    keep = ~mask.expand(2, 3, 8, 8)
    assert x.device.type == "cuda"
    assert torch.equal(x.cpu()[keep], known.expand(2, 3, 8, 8)[keep])
