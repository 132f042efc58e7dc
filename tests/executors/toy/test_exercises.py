"""executors/toy/exercises.py: the trained 5-D toy answers the lesson's cluster test and both exercises.

The model is trained once per session (seed 0, a few seconds) and cached by ``train_toy``.
"""

from __future__ import annotations

import pytest
import torch
from retouch.executors.toy import exercises as toy
from retouch.executors.toy.exercises import (
    ACCURACY_MASK,
    DIMS,
    ClusterAccuracy,
    RepaintComparison,
    SweepRow,
    ToyExercises,
    ToyReport,
    boundary_dims,
    in_cluster,
    residual,
    run_exercises,
    sample_clusters,
    train_toy,
)
from retouch.planner.contract.errors import InputError


@pytest.fixture(scope="session")
def report() -> ToyReport:
    return run_exercises(seed=0)


def test_naive_inpainting_lands_in_the_known_cluster(report: ToyReport) -> None:
    acc = report.cluster_accuracy
    assert acc.naive >= 0.9
    # a coin flip: unconditional samples ignore the known dims
    assert 0.4 <= acc.unconditional <= 0.6
    assert acc.naive >= acc.unconditional + 0.35


def test_repaint_is_at_least_as_good_as_naive(report: ToyReport) -> None:
    assert report.cluster_accuracy.repaint >= report.cluster_accuracy.naive
    assert report.repaint.repaint_boundary_residual < report.repaint.naive_boundary_residual


def test_sweep_covers_one_to_four_masked_dims_and_beats_unconditional(report: ToyReport) -> None:
    assert [row.masked_fraction for row in report.sweep] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    for row in report.sweep:
        assert 0.9 < row.unconditional_residual < 1.25  # half right (~0.16), half wrong (~2)
        assert row.naive_residual < row.unconditional_residual
    assert report.sweep[0].naive_residual < 0.25  # nearly every sample in the right cluster
    # fewer known dims, less to go on: the residual grows with the masked fraction
    assert report.sweep[-1].naive_residual > report.sweep[0].naive_residual + 0.2


def test_json_has_exactly_the_documented_keys(report: ToyReport) -> None:
    data = report.model_dump()
    assert set(data) == {"cluster_accuracy", "sweep", "repaint"}
    assert set(data["cluster_accuracy"]) == {"naive", "repaint", "unconditional"}
    assert all(
        set(row) == {"masked_fraction", "naive_residual", "unconditional_residual"}
        for row in data["sweep"]
    )
    assert set(data["repaint"]) == {"naive_boundary_residual", "repaint_boundary_residual"}
    assert ToyReport.model_validate_json(report.model_dump_json()) == report


def test_inpainted_samples_keep_the_known_dims_exactly() -> None:
    lab = ToyExercises(train_toy(0), samples=64, seed=5)
    x = lab.sample(ACCURACY_MASK)
    assert torch.equal(x[:, :3], lab.known[:, :3])
    assert not torch.equal(x[:, 3:], lab.known[:, 3:])
    assert lab.accuracy(x, ACCURACY_MASK) >= 0.9


def test_training_is_cached_and_deterministic() -> None:
    assert train_toy(0) is train_toy(0)
    a = toy._train.__wrapped__(0, 5, 256)
    b = toy._train.__wrapped__(0, 5, 256)
    c = toy._train.__wrapped__(1, 5, 256)
    pa, pb, pc = (torch.cat([p.flatten() for p in m.net.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_one_thread_restores_the_thread_count() -> None:
    before = torch.get_num_threads()
    with toy.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_toy_data_is_two_tight_clusters() -> None:
    x, centre = sample_clusters(4000, torch.Generator().manual_seed(0))
    assert x.shape == (4000, DIMS) and set(centre.tolist()) == {-1.0, 1.0}
    assert float((x - centre[:, None]).std()) == pytest.approx(0.2, rel=0.05)
    assert 0.45 < float((centre > 0).float().mean()) < 0.55


def test_measures_on_hand_made_samples() -> None:
    x = torch.tensor([[1.0, 1.0, 1.0, 0.8, 1.4], [1.0, 1.0, 1.0, -0.9, 0.5]])
    centre = torch.tensor([1.0, 1.0])
    assert in_cluster(x, centre, (3, 4)).tolist() == [True, False]  # mean -0.2 is nearer -1
    assert residual(x, centre, (3, 4)) == pytest.approx((0.2 + 0.4 + 1.9 + 0.5) / 4)
    assert boundary_dims((1, 2, 3)) == (1, 3)
    assert boundary_dims((3, 4)) == (3,)
    assert boundary_dims((0, 1, 2, 3, 4)) == ()


def _report(gaps: list[tuple[float, float]]) -> ToyReport:
    """A report whose sweep has the given (naive, unconditional) residuals at 0.2, 0.4, ..."""
    return ToyReport(
        cluster_accuracy=ClusterAccuracy(naive=1, repaint=1, unconditional=0.5),
        sweep=[
            SweepRow(masked_fraction=(i + 1) / 5, naive_residual=n, unconditional_residual=u)
            for i, (n, u) in enumerate(gaps)
        ],
        repaint=RepaintComparison(naive_boundary_residual=0.2, repaint_boundary_residual=0.1),
    )


def test_stops_helping_at_interpolates_a_measured_crossing() -> None:
    where, measured = _report([(0.2, 1.0), (0.6, 1.0), (1.2, 1.0), (1.1, 1.0)]).stops_helping_at()
    assert measured and where == pytest.approx(0.4 + 0.2 * 0.4 / 0.6)  # gap 0.4 -> -0.2


def test_stops_helping_at_extrapolates_when_the_gap_never_closes() -> None:
    where, measured = _report([(0.2, 1.0), (0.2, 1.0), (0.4, 1.0), (0.9, 1.0)]).stops_helping_at()
    assert not measured and where == pytest.approx(0.8 + 0.2 * 0.1 / 0.5)  # gap 0.6 -> 0.1
    where, measured = _report([(0.2, 1.0), (0.2, 1.0), (0.3, 1.0), (0.4, 1.0)]).stops_helping_at()
    assert not measured and where == 1.0  # capped: with nothing known, inpainting is unconditional


def test_bad_settings_are_input_errors() -> None:
    with pytest.raises(InputError, match="samples is 0"):
        ToyExercises(train_toy(0), samples=0)
    with pytest.raises(InputError, match="seed must be >= 0"):
        train_toy(-1)
