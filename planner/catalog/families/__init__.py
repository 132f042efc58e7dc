"""The model families, one module each (diffusers-style: ``sd_inpaint.py``, ``flux_fill.py``, ...).

Adding a family: one file here + tests. The file defines ``FAMILY = FamilySpec(...)``
(planner/catalog/specs.py) with everything retouch knows about the family: pipelines by mode and
ControlNet with the executor class that drives each, native size and multiple, dtype, VRAM,
steps/guidance, reference-image modes, variants and LoRAs, licence, published scores, and the
detection signature of its model folders. The module is named for the family (``-`` and ``.`` as
``_``); ``FAMILIES`` collects every module in this folder, so nothing else is edited to register
one (tests/planner/catalog/test_catalog.py checks each entry is complete and self-consistent).
Every other family table (planner/catalog/registry.py, planner/catalog/reference.py,
executors/diffusion/pipelines.py and loading.py) is derived from ``FAMILIES``.

Figures follow specs.py's units. Where one has no published source its file says how it was had;
for the newer families: parameter counts on the meta device (tests/bench/test_real_size.py), VRAM
those weights in bf16 plus an activation margin, ``step_s`` scaled from a measured family by
transformer size (an estimate until tests/bench/gpu_latency.py measures it on a GPU), the licence
from issue 30's table (the model cards were not read: no network).

May import: planner/catalog/specs.py and the contract's types.
"""

from __future__ import annotations

import importlib
import os

from retouch.planner.catalog.specs import FamilySpec
from retouch.planner.contract.schema import Family


def module_name(family: str) -> str:
    """The module a family's entry lives in: ``qwen-image-2.1`` -> ``qwen_image_2_1``."""
    return family.replace("-", "_").replace(".", "_")


def family_modules() -> list[str]:
    """The names of every module in this folder (each folder on ``__path__``): one directory
    listing, not pkgutil (whose import and finder walk cost more than the 17 imports' lookups)."""
    return sorted(
        {
            name[:-3]
            for folder in __path__
            for name in os.listdir(folder)
            if name.endswith(".py") and not name.startswith("_") and name[:-3].isidentifier()
        }
    )


def _collect() -> dict[Family, FamilySpec]:
    entries = []
    for name in family_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        entry = getattr(module, "FAMILY", None)
        if not isinstance(entry, FamilySpec):
            raise TypeError(
                f"planner/catalog/families/{name}.py defines no FAMILY = FamilySpec(...)"
            )
        if module_name(entry.family) != name:
            raise ValueError(
                f"planner/catalog/families/{name}.py holds {entry.family}; name the file "
                f"{module_name(entry.family)}.py"
            )
        if problems := entry.problems():
            raise ValueError(f"planner/catalog/families/{name}.py: {'; '.join(problems)}")
        entries.append(entry)
    entries.sort(key=lambda e: (e.position, e.family))
    return {e.family: e for e in entries}


FAMILIES: dict[Family, FamilySpec] = _collect()
"""Every family's entry, by family id, in ``position`` order."""
