"""Will the pool fit? What the replicas ask for (CPUs and GPUs per replica x replicas, plus the
Segmenter) against what the cluster has (``ray.cluster_resources()``), before anything is
deployed: a request that cannot be placed is one clear error naming the shortfall and the setting
to change, not a deploy that waits forever. No ray here: the caller passes the resources.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from retouch.planner.contract.errors import InputError
from retouch.server.pool.config import PoolConfig

EPS = 1e-9  # Ray's resources are fractional floats


class Ask(BaseModel):
    """What the pool's replicas ask for, in all, at its minimum replica count."""

    model_config = ConfigDict(extra="forbid")

    cpus: float
    gpus: float
    detail_cpus: str  # "2 Executor replicas x 1 + 1 Segmenter x 1"
    detail_gpus: str


def ask(cfg: PoolConfig) -> Ask:
    """The CPUs and GPUs ``cfg`` needs at ``executor.min_replicas`` (the ingress and the state
    actor ask for none)."""
    ex, seg = cfg.executor, cfg.segmenter

    def detail(ex_each: float, seg_each: float) -> str:
        return (
            f"{ex.min_replicas} Executor replica(s) x {ex_each:g} "
            f"+ {seg.replicas} Segmenter x {seg_each:g}"
        )

    return Ask(
        cpus=ex.min_replicas * ex.num_cpus + seg.replicas * seg.num_cpus,
        gpus=ex.min_replicas * ex.num_gpus + seg.replicas * seg.num_gpus,
        detail_cpus=detail(ex.num_cpus, seg.num_cpus),
        detail_gpus=detail(ex.num_gpus, seg.num_gpus),
    )


def cpu_default(cfg: PoolConfig, resources: dict[str, float]) -> list[str]:
    """On a cluster without GPUs, an Executor whose ``num_gpus`` was left at its default runs on
    CPU (``num_gpus: 0``); returns the note saying so (none when nothing changed)."""
    ex = cfg.executor
    if resources.get("GPU", 0.0) >= EPS or ex.num_gpus == 0 or "num_gpus" in ex.model_fields_set:
        return []
    ex.num_gpus = 0
    return [
        "the cluster has no GPU: Executor replicas run on CPU (num_gpus: 0), which is slow "
        "for diffusion; set executor.num_gpus in --config to insist on GPUs"
    ]


def fit(cfg: PoolConfig, resources: dict[str, float]) -> list[str]:
    """Make ``cfg`` fit ``resources`` where a default allows it, or raise InputError.

    On a cluster without GPUs an Executor whose ``num_gpus`` was left at its default runs on CPU
    (``num_gpus: 0``); one that asked for GPUs explicitly is an error. Returns the notes to show
    (what was changed, and when ``max_replicas`` cannot all be placed at once)."""
    notes = cpu_default(cfg, resources)
    ex = cfg.executor
    have_cpus, have_gpus = resources.get("CPU", 0.0), resources.get("GPU", 0.0)
    need = ask(cfg)
    if need.cpus > have_cpus + EPS:
        raise InputError(
            f"the pool cannot be placed: it asks for {need.cpus:g} CPUs ({need.detail_cpus}) "
            f"but the cluster has {have_cpus:g}; lower --replicas, or executor.num_cpus / "
            "segmenter.num_cpus in --config (fractions such as 0.5 are allowed), or add nodes"
        )
    if need.gpus > have_gpus + EPS:
        raise InputError(
            f"the pool cannot be placed: it asks for {need.gpus:g} GPUs ({need.detail_gpus}) "
            f"but the cluster has {have_gpus:g}; lower --replicas, or executor.num_gpus / "
            "segmenter.num_gpus in --config (0 runs on CPU, 0.5 shares a GPU), or add GPU nodes"
        )
    extra = ex.max_replicas - ex.min_replicas
    if extra > 0:
        top = ex.max_replicas * ex.num_cpus + cfg.segmenter.replicas * cfg.segmenter.num_cpus
        top_gpus = ex.max_replicas * ex.num_gpus + cfg.segmenter.replicas * cfg.segmenter.num_gpus
        if top > have_cpus + EPS or top_gpus > have_gpus + EPS:
            notes.append(
                f"at max_replicas {ex.max_replicas} the pool would ask for {top:g} CPUs and "
                f"{top_gpus:g} GPUs, more than the cluster's {have_cpus:g} and {have_gpus:g}: "
                "autoscaling stops short of it unless nodes are added"
            )
    return notes
