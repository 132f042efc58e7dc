"""The pool's config file (``pool.yaml``): replicas, resources and models per replica.

```yaml
app: retouch                 # the Ray Serve application's name
executor:
  min_replicas: 1            # autoscaling bounds (retouch pool serve --replicas N sets both)
  max_replicas: 4
  target_ongoing_requests: 1 # one edit at a time per GPU: scale out on queued edits
  num_gpus: 1                # per replica (0 on a CPU-only cluster)
  num_cpus: 1
  models_per_replica: 2      # model families kept loaded per replica, least recently used evicted
segmenter:
  replicas: 1
  num_gpus: 0                # SAM shares a GPU badly with diffusion; give it a fraction or a CPU
  num_cpus: 1
retries: 2                   # a job whose replica died is sent again this many times
```
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from retouch.planner.contract.errors import InputError


class ExecutorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_replicas: int = Field(default=1, ge=0)
    max_replicas: int = Field(default=1, ge=1)
    target_ongoing_requests: float = Field(default=1, gt=0)
    num_gpus: float = Field(default=1, ge=0)
    num_cpus: float = Field(default=1, ge=0)
    models_per_replica: int = Field(default=2, ge=1)


class SegmenterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replicas: int = Field(default=1, ge=1)
    num_gpus: float = Field(default=0, ge=0)
    num_cpus: float = Field(default=1, ge=0)


class PoolConfig(BaseModel):
    """What ``retouch pool serve`` deploys; every field has a default."""

    model_config = ConfigDict(extra="forbid")

    app: str = Field(default="retouch", description="The Ray Serve application's name.")
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    segmenter: SegmenterConfig = Field(default_factory=SegmenterConfig)
    retries: int = Field(default=2, ge=0, description="Resends of a job whose replica died.")

    @classmethod
    def load(cls, path: Path | None, replicas: int | None = None) -> PoolConfig:
        """The config file (None: the defaults); ``replicas`` fixes the Executor's count."""
        data = {}
        if path is not None:
            try:
                data = yaml.safe_load(path.read_text()) or {}
                cfg = cls.model_validate(data)
            except OSError as exc:
                raise InputError(f"cannot read the pool config {path} ({exc.strerror})") from exc
            except (yaml.YAMLError, ValidationError) as exc:
                first = str(exc).splitlines()[0]
                raise InputError(f"pool config {path} is invalid: {first}") from exc
        else:
            cfg = cls()
        if replicas is not None:
            cfg.executor.min_replicas = cfg.executor.max_replicas = replicas
        if cfg.executor.min_replicas > cfg.executor.max_replicas:
            raise InputError(
                f"executor.min_replicas {cfg.executor.min_replicas} is over max_replicas "
                f"{cfg.executor.max_replicas}; raise max_replicas"
            )
        return cfg
