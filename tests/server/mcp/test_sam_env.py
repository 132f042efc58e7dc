"""$RETOUCH_SAM_CHECKPOINT is named once (executors/segment/checkpoints.py, a light module: JSON
only) and every reader imports that name, so list_models reads the variable a run reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_sam_checkpoint_variable_is_defined_once() -> None:
    defined = re.compile(r'^\w+\s*=\s*"RETOUCH_SAM_CHECKPOINT"', re.MULTILINE)
    where = [
        str(p.relative_to(ROOT))
        for folder in ("planner", "executors", "server")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if defined.search(p.read_text(encoding="utf-8"))
    ]
    assert where == ["executors/segment/checkpoints.py"]


def test_list_models_reads_the_variable_a_run_reads(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from retouch.executors.segment import checkpoints, editmask
    from retouch.server.mcp import models

    assert models.SAM_ENV == editmask.SAM_ENV == checkpoints.CHECKPOINT_ENV
    pth = tmp_path / "sam_vit_b_01ec64.pth"
    pth.write_bytes(b"not read")
    monkeypatch.setenv(checkpoints.CHECKPOINT_ENV, str(pth))
    found = models.sam_checkpoints([])
    assert [(s.path, s.sam_type) for s in found][:1] == [(str(pth), "vit_b")]
