"""Write a file whole or not at all: a temp file beside the target, then one rename over it; and
remove what a failed call wrote (``undo_on_failure``: the MCP server wraps every tool call in it).

Inside ``confined(check)`` (the MCP server's run_edit) every folder written into is opened once,
component by component with O_NOFOLLOW, and must lie where ``check`` allows: a folder swapped for
a symlink after the tool checked its path is refused, never followed; the temp file is created and
renamed through that open folder (``dir_fd``). ``read_confined`` reads an input the same way.

(The history store, server/history/files.py, also fsyncs file and folder: it must survive a crash
of the machine, not only of the process.)
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path

from retouch.planner.contract.bounds import check_path_text
from retouch.planner.contract.errors import InputError

_created: ContextVar[list[Path] | None] = ContextVar("retouch_created_files", default=None)
_confine: ContextVar[Callable[[Path], bool] | None] = ContextVar("retouch_confine", default=None)
_SWAPPED = (
    "{path} changed while retouch was using it (a folder on its path is now a symlink or "
    "leads outside the allowed folders); nothing was read or written there: run the call again"
)


@contextmanager
def confined(check: Callable[[Path], bool]) -> Iterator[None]:
    """Every atomic write (and ``make_dirs``) in this context goes through folders opened without
    following symlinks, whose real path ``check`` accepts (e.g. Roots.contains); a path that
    meets a symlink or fails ``check`` is an InputError and nothing is written."""
    token = _confine.set(check)
    try:
        yield
    finally:
        _confine.reset(token)


def _open_dir(path: Path, create: bool) -> int:
    """An fd of the absolute folder ``path``, opened one component at a time with O_NOFOLLOW
    (each missing one created with ``create``): a symlink anywhere on the path is an OSError."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open("/", flags)
    try:
        for part in path.parts[1:]:
            try:
                nxt = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(part, 0o777, dir_fd=fd)
                except FileExistsError:
                    pass
                nxt = os.open(part, flags, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _confined_dir(path: Path, check: Callable[[Path], bool], create: bool = True) -> int:
    """``_open_dir`` of ``path`` (absolute, its real path), refused unless ``check`` accepts it."""
    if not path.is_absolute() or not check(path):
        raise InputError(_SWAPPED.format(path=path))
    try:
        return _open_dir(path, create)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise InputError(_SWAPPED.format(path=path)) from exc
        raise InputError(f"cannot use folder {path} ({exc.strerror}); pick another path") from exc


def make_dirs(path: str | os.PathLike[str]) -> None:
    """``mkdir -p path``; inside ``confined`` without following a symlink, and only where the
    check allows."""
    check = _confine.get()
    if check is None:
        Path(path).mkdir(parents=True, exist_ok=True)
        return
    os.close(_confined_dir(Path(path), check))


def rename_dir(folder: Path, new_name: str) -> Path:
    """Rename ``folder`` to ``new_name`` beside it (one rename; inside ``confined`` through its
    parent folder opened without following symlinks). Returns the new path."""
    check = _confine.get()
    target = folder.with_name(new_name)
    if check is None:
        os.rename(folder, target)
        return target
    fd = _confined_dir(folder.parent, check, create=False)
    try:
        os.rename(folder.name, new_name, src_dir_fd=fd, dst_dir_fd=fd)
    finally:
        os.close(fd)
    return target


def read_back(path: Path) -> bytes:
    """The bytes of a file this call just wrote: inside ``confined`` read as ``read_confined``
    (no symlink followed), else by path."""
    check = _confine.get()
    if check is None:
        return Path(path).read_bytes()
    return read_confined(Path(path), check, 1 << 40, "output")


def read_confined(path: Path, check: Callable[[Path], bool], limit: int, what: str) -> bytes:
    """The bytes of the file at ``path`` (its real path, already checked), read once through its
    folder opened without following symlinks and refused unless ``check`` accepts the folder: a
    file or folder swapped for a symlink since the check is an InputError, never followed."""
    fd = _confined_dir(path.parent, check, create=False)
    try:
        f = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        raise InputError(_SWAPPED.format(path=path)) from exc
    finally:
        os.close(fd)
    with os.fdopen(f, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{what} {path} is not a file; give the path of a file")
        if st.st_size > limit:
            raise InputError(f"{what} {path} is over the file-size limit; give a smaller file")
        data = fh.read(st.st_size)
        if fh.read(1):
            raise InputError(f"{what} {path} grew while it was read; run the call again")
    return data


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
    """Remove the files a failed call created (see undo_on_failure), and each one's folder when
    nothing else is in it. A folder on an absolute path is opened without following symlinks: a
    folder swapped for a symlink since the file was written is left alone (what it leads to is
    not the call's)."""
    for f in reversed(files):
        if not f.is_absolute():
            f.unlink(missing_ok=True)
            with suppress(OSError):
                f.parent.rmdir()
            continue
        with suppress(OSError):
            fd = _open_dir(f.parent, create=False)
            try:
                with suppress(FileNotFoundError):
                    os.unlink(f.name, dir_fd=fd)
            finally:
                os.close(fd)
            up = _open_dir(f.parent.parent, create=False)
            try:
                os.rmdir(f.parent.name, dir_fd=up)  # a run's folder, when nothing else is in it
            finally:
                os.close(up)
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
    OS cannot take (planner/contract/bounds.py), a folder it cannot create or a failed write (ENOSPC) is an
    InputError. On any error
    the temp file is removed and ``path`` is untouched.
    """
    target = Path(check_path_text(path, "output"))
    check = _confine.get()
    if check is not None:
        _confined_save(target, write, check)
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name[:200]}.", suffix=".tmp"
        )
    except OSError as exc:
        raise InputError(f"cannot write {target} ({exc.strerror}); pick another path") from exc
    os.fchmod(fd, 0o666 & ~_umask())  # as open() would create it, not mkstemp's 0600
    os.close(fd)
    _fill_and_rename(target, tmp, write, lambda: os.replace(tmp, target))


def _fill_and_rename(
    target: Path, tmp: str, write: Callable[[str], object], rename: Callable[[], None]
) -> None:
    """``write(tmp)``, then ``rename()`` it over ``target``; on any error the temp file goes."""
    try:
        write(tmp)
        created = _created.get()
        if created is not None and not os.path.lexists(target):
            created.append(target)
        rename()
    except OSError as exc:  # a full disk, a quota, an I/O error: one clear error, no partial file
        Path(tmp).unlink(missing_ok=True)
        raise InputError(
            f"cannot write {target} ({exc.strerror or exc}); free some space or pick another folder"
        ) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _confined_save(
    target: Path, write: Callable[[str], object], check: Callable[[Path], bool]
) -> None:
    """atomic_save inside ``confined``: the folder opened once (no symlink followed), the temp
    file created, filled (through /proc/self/fd where there is one) and renamed through it."""
    dfd = _confined_dir(target.parent, check)
    try:
        name = f".{target.name[:200]}.{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(
                name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666, dir_fd=dfd
            )
        except OSError as exc:
            raise InputError(f"cannot write {target} ({exc.strerror}); pick another path") from exc
        os.close(fd)
        via = Path(f"/proc/self/fd/{dfd}")
        tmp = str(via / name) if via.is_dir() else str(target.parent / name)

        def rename() -> None:
            if not via.is_dir() and os.stat(target.parent).st_ino != os.fstat(dfd).st_ino:
                os.unlink(name, dir_fd=dfd)
                raise InputError(_SWAPPED.format(path=target.parent))
            os.rename(name, target.name, src_dir_fd=dfd, dst_dir_fd=dfd)

        _fill_and_rename(target, tmp, write, rename)
    finally:
        os.close(dfd)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically (see atomic_save)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    atomic_save(path, lambda tmp: Path(tmp).write_bytes(payload))
