"""Path confinement for the MCP server: every file a tool reads or writes lies under a root.

Checked the way the reference filesystem MCP server does it: the path is made absolute, symlinks are
resolved (``os.path.realpath``), and the real path must lie inside a root's real path. A file that
does not exist yet (an output) is checked through its parent folder's real path. On top of that,
``..`` components and NUL bytes are refused outright, so a path never reads as one place and means
another, and a path the OS cannot take (not UTF-8, too long: planner/contract/bounds.py) is refused before
anything opens it. Folders inside a root can be denied (the history store's data directory: its
objects are read by version reference, never by path). The roots are the server's own configuration (``retouch serve --root DIR``); the protocol's
client roots are deprecated in its 2026 revision and are not consulted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from retouch.planner.contract.bounds import check_path_text
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint


class Roots:
    """The folders tools may touch; ``base`` is where relative paths start (the working dir)."""

    def __init__(
        self,
        dirs: Sequence[str | os.PathLike[str]],
        base: str | os.PathLike[str] | None = None,
        deny: Sequence[str | os.PathLike[str]] = (),
    ):
        if not dirs:
            raise InputError("no root folders configured; give at least one", [hint("root")])
        self.base = Path(os.path.realpath(base if base is not None else os.getcwd()))
        self.dirs: list[Path] = []
        for d in dirs:
            real = Path(os.path.realpath(self.base / Path(d).expanduser()))
            if not real.is_dir():
                raise InputError(
                    f"root {d} is not an existing folder; create it or leave it out",
                    [hint("root", str(d), drop=True)],
                )
            if real not in self.dirs:
                self.dirs.append(real)
        self.denied = [Path(os.path.realpath(self.base / Path(d).expanduser())) for d in deny]

    @staticmethod
    def store_folder(data_dir: str | os.PathLike[str]) -> Path:
        """The real path of a history store's data directory (it need not exist yet)."""
        return Path(os.path.realpath(Path(data_dir).expanduser()))

    def describe(self) -> str:
        return ", ".join(str(d) for d in self.dirs)

    def contains(self, real: Path) -> bool:
        """Whether an already-resolved path lies inside (or is) one of the roots, and in no denied
        folder."""
        if any(real.is_relative_to(d) for d in self.denied):
            return False
        return any(real == d or real.is_relative_to(d) for d in self.dirs)

    def _checked(self, path: str | os.PathLike[str], what: str) -> Path:
        raw = os.fspath(path)
        if not raw.strip():
            raise InputError(f"{what} path is empty; give a file path under {self.describe()}")
        check_path_text(raw, what)
        if raw.lower().startswith("file:"):
            raise InputError(f"{what} {raw} is a URI; give a plain path, e.g. photo.png")
        # ~ and ~/x are the server's home; ~name stays a literal name (no other user's home)
        p = Path(raw).expanduser() if raw == "~" or raw.startswith("~/") else Path(raw)
        if ".." in p.parts:
            raise InputError(
                f"{what} path {raw} contains '..'; give it without '..', under {self.describe()}"
            )
        return p if p.is_absolute() else self.base / p

    def _refuse(self, raw: str | os.PathLike[str], what: str, real: Path) -> InputError:
        shown = f"{raw} (resolves to {real})" if os.fspath(raw) != str(real) else os.fspath(raw)
        if any(real.is_relative_to(d) for d in self.denied):
            return InputError(
                f"{what} {shown} is in the history store, which tools read only by version "
                "reference; give @ID (see the history tool) or a file outside the store"
            )
        return InputError(
            f"{what} {shown} is outside the folders this server may use ({self.describe()}); "
            "move the file under one of them or add its folder to the server's roots",
            [hint("root")],
        )

    def resolve_input(self, path: str | os.PathLike[str], what: str = "image") -> Path:
        """Real path of an existing file inside a root; InputError if missing, outside, a dir."""
        p = self._checked(path, what)
        real = Path(os.path.realpath(p))
        if not self.contains(real):
            raise self._refuse(path, what, real)
        if not real.exists():
            raise InputError(
                f"{what} not found: {path}; check the path (relative paths start at {self.base})"
            )
        if not real.is_file():
            raise InputError(f"{what} {path} is not a file; give the path of a file")
        return real

    def resolve_input_dir(self, path: str | os.PathLike[str], what: str = "folder") -> Path:
        """Real path of an existing folder inside a root."""
        p = self._checked(path, what)
        real = Path(os.path.realpath(p))
        if not self.contains(real):
            raise self._refuse(path, what, real)
        if not real.is_dir():
            raise InputError(f"{what} {path} is not an existing folder; check the path")
        return real

    def resolve_output(self, path: str | os.PathLike[str], what: str = "output") -> Path:
        """Where to write ``path``: its parent's real path (created if needed) must be in a root."""
        p = self._checked(path, what)
        return self._output(path, p, what)

    def resolve_folder(self, folder: Path, inside: Path, what: str = "output folder") -> Path:
        """Real path of ``folder`` under ``inside`` (each missing level created), every level of
        which must stay inside ``inside`` and a root: a symlink planted in the output folder
        (``out/masks`` -> elsewhere) is refused before anything is created through it."""
        check_path_text(folder, what)
        base = current = Path(os.path.realpath(inside))
        for part in Path(folder).relative_to(inside).parts:
            real = Path(os.path.realpath(current / part))
            if not real.is_relative_to(base) or not self.contains(real):
                raise self._refuse(folder, what, real)
            try:
                real.mkdir(exist_ok=True)
            except OSError as exc:
                raise InputError(
                    f"cannot create folder {real} ({exc.strerror}); check {inside}"
                ) from exc
            current = Path(os.path.realpath(real))  # a link created meanwhile: check again
            if not current.is_relative_to(base) or not self.contains(current):
                raise self._refuse(folder, what, current)
        return current

    def _output(self, path: str | os.PathLike[str], p: Path, what: str) -> Path:
        if p.is_symlink():
            real = Path(os.path.realpath(p))
            if not self.contains(real):
                raise self._refuse(path, what, real)
        parent = Path(os.path.realpath(p.parent))
        if not self.contains(parent):
            raise self._refuse(path, what, parent / p.name)
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create folder {parent} ({exc.strerror}); pick another {what} path"
            ) from exc
        # mkdir may have followed a symlinked component created meanwhile: check again.
        parent = Path(os.path.realpath(parent))
        if not self.contains(parent):
            raise self._refuse(path, what, parent / p.name)
        return parent / p.name


# Folders never taken as the default root (no --root given): the folder itself, or (the second
# set) anything inside it. A desktop host often starts a stdio server in / or the home folder.
UNSAFE_ROOTS = ("/", "/home", "/root", "/tmp", "/var", "/opt", "/srv", "/mnt", "/media", "/Users",
                "/Volumes", "/private", "/private/tmp", "/private/var")  # fmt: skip
SYSTEM_TREES = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot",
                "/dev", "/proc", "/sys", "/run", "/snap", "/System", "/Library", "/Applications",
                "/private/etc", "/var/lib", "/var/log", "/var/cache")  # fmt: skip


def check_default_root(cwd: str | os.PathLike[str] | None = None) -> None:
    """Refuse the working directory as the default root when it is ``/``, the home folder or a
    system folder (UNSAFE_ROOTS, SYSTEM_TREES): one InputError saying to give a root."""
    real = Path(os.path.realpath(cwd if cwd is not None else os.getcwd()))
    home = Path(os.path.realpath(Path.home()))
    unsafe = {Path(p) for p in UNSAFE_ROOTS} | {home}
    system = next((t for t in SYSTEM_TREES if real.is_relative_to(t)), None)
    if real in unsafe or system is not None:
        kind = "the home folder" if real == home else "a system folder"
        raise InputError(
            f"the working directory {real} is {kind}: too wide to serve by default; pass "
            "--root DIR with the folder of the images to edit",
            [hint("root")],
        )
