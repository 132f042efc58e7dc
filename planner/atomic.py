"""Write a file whole or not at all: a temp file beside the target, then one rename over it; and
remove what a failed call wrote (``undo_on_failure``: the MCP server wraps every tool call in it).

(The history store, server/history/files.py, also fsyncs file and folder: it must survive a crash
of the machine, not only of the process.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from retouch.planner.bounds import check_path_text
from retouch.planner.errors import InputError

_created: ContextVar[list[Path] | None] = ContextVar("retouch_created_files", default=None)


@contextmanager
def undo_on_failure() -> Iterator[list[Path]]:
    """Record every file ``atomic_save`` creates in this context (threads started with its copy
    included); if the block raises, or the caller calls ``undo(files)``, they are removed, so a
    failed call leaves nothing behind. Files that existed before are never recorded."""
    files: list[Path] = []
    token = _created.set(files)
    try:
        yield files
    except BaseException:
        undo(files)
        raise
    finally:
        _created.reset(token)


def undo(files: list[Path]) -> None:
    """Remove the files a failed call created (see undo_on_failure)."""
    for f in reversed(files):
        f.unlink(missing_ok=True)
        try:
            f.parent.rmdir()  # a run's folder, when nothing else is in it
        except OSError:
            pass
    files.clear()


def _umask() -> int:
    """The process's umask, read without changing it where /proc allows (threads share it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_save(path: str | os.PathLike[str], write: Callable[[str], object]) -> None:
    """Call ``write(tmp_path)`` to fill a temp file beside ``path``, then rename it over ``path``.

    Creates the parent folder; the file gets the permissions the umask gives new files. A path the
    OS cannot take (planner/bounds.py), a folder it cannot create or a failed write (ENOSPC) is an
    InputError. On any error
    the temp file is removed and ``path`` is untouched.
    """
    target = Path(check_path_text(path, "output"))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name[:200]}.", suffix=".tmp"
        )
    except OSError as exc:
        raise InputError(f"cannot write {target} ({exc.strerror}); pick another path") from exc
    os.fchmod(fd, 0o666 & ~_umask())  # as open() would create it, not mkstemp's 0600
    os.close(fd)
    try:
        write(tmp)
        created = _created.get()
        if created is not None and not os.path.lexists(target):
            created.append(target)
        os.replace(tmp, target)
    except OSError as exc:  # a full disk, a quota, an I/O error: one clear error, no partial file
        Path(tmp).unlink(missing_ok=True)
        raise InputError(
            f"cannot write {target} ({exc.strerror or exc}); free some space or pick another folder"
        ) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically (see atomic_save)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(payload))
