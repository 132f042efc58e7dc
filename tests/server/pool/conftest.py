"""The fixtures of the modules that deploy the pool on a private Ray (test_pool.py,
test_pool_tasks.py): their inputs and the deployed pool, one of each per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.server.pool.support import write_photo_and_mask


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, astronaut: Image.Image) -> Path:
    """A folder with photo.png (64 px), mask.png (a 32 px square, upper right) and a tiny random
    SD-inpaint in sd-inpaint/."""
    import torch

    from tests.support.tiny_models import save_sd

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("pool")
    write_photo_and_mask(root, astronaut)
    save_sd(root / "sd-inpaint", "inpaint")
    return root


@pytest.fixture(scope="module")
def pool(work: Path) -> Iterator[str]:
    """A private Ray with the pool deployed: 2 Executor replicas, 1 Segmenter. Yields the address."""
    from retouch.server.pool import ops
    from retouch.server.pool.config import PoolConfig

    ray = ops.connect("local", num_cpus=2)
    cfg = PoolConfig.model_validate(
        {
            "executor": {"min_replicas": 2, "max_replicas": 2, "num_gpus": 0, "num_cpus": 0.5},
            "segmenter": {"num_cpus": 0.25},
        }
    )
    ops.deploy(cfg)
    yield ray.get_runtime_context().gcs_address
    ops.stop(cfg.app)
    ray.shutdown()
