"""The pool's placement arithmetic (no Ray): what the replicas ask for against the cluster, the
CPU-only default and the one-line shortfall errors."""

from __future__ import annotations

import pytest
from retouch.planner.contract.errors import InputError
from retouch.server.pool.config import PoolConfig
from retouch.server.pool.placement import ask, fit


def test_ask_sums_executor_replicas_and_the_segmenter() -> None:
    cfg = PoolConfig.model_validate(
        {
            "executor": {"min_replicas": 3, "max_replicas": 4, "num_cpus": 0.5, "num_gpus": 1},
            "segmenter": {"replicas": 2, "num_cpus": 1, "num_gpus": 0.25},
        }
    )
    need = ask(cfg)
    assert need.cpus == pytest.approx(3 * 0.5 + 2 * 1)
    assert need.gpus == pytest.approx(3 * 1 + 2 * 0.25)
    assert need.detail_cpus == "3 Executor replica(s) x 0.5 + 2 Segmenter x 1"


def test_no_gpu_cluster_defaults_the_executor_to_cpu_and_says_so() -> None:
    cfg = PoolConfig.load(None, replicas=1)
    notes = fit(cfg, {"CPU": 4.0})
    assert cfg.executor.num_gpus == 0
    assert len(notes) == 1 and "no GPU" in notes[0] and "num_gpus: 0" in notes[0]


def test_an_explicit_gpu_request_on_a_cpu_cluster_is_a_shortfall() -> None:
    cfg = PoolConfig.model_validate({"executor": {"num_gpus": 1}})
    with pytest.raises(InputError) as err:
        fit(cfg, {"CPU": 8.0})
    msg = str(err.value)
    assert "asks for 1 GPUs" in msg and "cluster has 0" in msg and "executor.num_gpus" in msg
    assert cfg.executor.num_gpus == 1


def test_the_issue_case_two_replicas_on_two_cpus_names_the_cpu_shortfall() -> None:
    # ray start --head --num-cpus 2; retouch pool serve --replicas 2: 2 x 1 + 1 x 1 = 3 CPUs
    cfg = PoolConfig.load(None, replicas=2)
    with pytest.raises(InputError) as err:
        fit(cfg, {"CPU": 2.0, "memory": 1e9})
    msg = str(err.value)
    assert "asks for 3 CPUs (2 Executor replica(s) x 1 + 1 Segmenter x 1)" in msg
    assert "cluster has 2" in msg and "--replicas" in msg and "executor.num_cpus" in msg
    assert "\n" not in msg


def test_a_request_that_fits_exactly_passes_and_fractions_add_up() -> None:
    cfg = PoolConfig.model_validate(
        {
            "executor": {"min_replicas": 3, "max_replicas": 3, "num_cpus": 0.1, "num_gpus": 0.3},
            "segmenter": {"num_cpus": 0.7, "num_gpus": 0.1},
        }
    )
    assert fit(cfg, {"CPU": 1.0, "GPU": 1.0}) == []  # 0.3 + 0.7 CPU, 0.9 + 0.1 GPU
    cfg.executor.min_replicas = cfg.executor.max_replicas = 4
    with pytest.raises(InputError, match="asks for 1.1 CPUs"):
        fit(cfg, {"CPU": 1.0, "GPU": 2.0})


def test_gpus_present_keep_the_default_and_max_over_capacity_is_a_note() -> None:
    cfg = PoolConfig.model_validate({"executor": {"min_replicas": 1, "max_replicas": 4}})
    notes = fit(cfg, {"CPU": 16.0, "GPU": 2.0})
    assert cfg.executor.num_gpus == 1
    assert len(notes) == 1 and "max_replicas 4" in notes[0] and "5 CPUs and 4 GPUs" in notes[0]
