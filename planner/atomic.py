"""Write a file whole or not at all: a temp file beside the target, then one rename over it.

(The history store, server/history/files.py, also fsyncs file and folder: it must survive a crash
of the machine, not only of the process.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_save(path: str | os.PathLike[str], write: Callable[[str], object]) -> None:
    """Call ``write(tmp_path)`` to fill a temp file beside ``path``, then rename it over ``path``.

    Creates the parent folder. On any error the temp file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically (see atomic_save)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(payload))
