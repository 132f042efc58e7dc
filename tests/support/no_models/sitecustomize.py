"""A Python without the gpu extra's libraries: put this folder on PYTHONPATH and every import of
torch, torchvision, diffusers, transformers, accelerate, peft, segment_anything or ray fails with
ModuleNotFoundError, as in a light install (``pip install retouch``, no extras).

Each refused import is appended to the file named by ``RETOUCH_BLOCKED_LOG`` (one module name a
line, written as it happens), so a test can tell "never tried" from "tried and coped".
tests/test_light_install.py uses it.
"""

from __future__ import annotations

import os
import sys

BLOCKED = frozenset(
    {"torch", "torchvision", "diffusers", "transformers", "accelerate", "peft",
     "segment_anything", "ray"}
)  # fmt: skip


class _NoModels:
    """A meta-path finder consulted first: refuses the blocked top-level packages."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] not in BLOCKED:
            return None
        log = os.environ.get("RETOUCH_BLOCKED_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(name + "\n")
        raise ModuleNotFoundError(f"No module named {name!r} (light install)", name=name)


sys.meta_path.insert(0, _NoModels())
