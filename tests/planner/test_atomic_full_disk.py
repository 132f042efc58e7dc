"""A full disk while writing (issue 31, item 7): one clear InputError naming the file and the
cause, no partial file and no temp file left, the old file untouched."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from retouch.planner.contract.atomic import atomic_save, atomic_write
from retouch.planner.contract.errors import InputError


def test_a_full_disk_is_a_clean_error_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "result.png"
    atomic_write(target, b"old bytes")

    def fill(tmp: str) -> None:
        Path(tmp).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(InputError, match=r"cannot write .*result.png \(No space left on device\)"):
        atomic_save(target, fill)
    assert target.read_bytes() == b"old bytes"
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.png"]
