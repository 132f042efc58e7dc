"""What every MCP tool shares: roots, output folder, limits, the GPU worker, provenance.

Decoded images and input hashes are kept per file (``FileMemo``) while the file is unchanged, so
plan_edit -> make_mask -> run_edit on one photo decodes and hashes it once. Pillow and numpy load
on the first image, not when the server starts."""

from __future__ import annotations

import functools
import os
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint
from retouch.server.mcp.outputs import sha256_file, store_upload
from retouch.server.mcp.roots import Roots
from retouch.server.mcp.schemas import InputFile, ToolProvenance
from retouch.server.mcp.worker import GpuWorker, gpu_worker

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image
    from retouch.server.history.store import Store

DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
MEMO_PIXELS = 16_000_000  # images up to this many pixels are kept decoded (at most MEMO_ENTRIES)
MEMO_ENTRIES = 4
SETTLED_S = 2.0  # a file written less than this long before it was read is never memoised
PLAN_ID = re.compile(r"[0-9a-f]{12}")


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n} bytes"


@functools.cache
def retouch_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("retouch")
    except PackageNotFoundError:
        return "0.1.0+unknown"


@dataclass
class ServerConfig:
    """The server's own configuration; tools never widen it.

    ``data_dir`` is the edit-history store's folder (None: $RETOUCH_DATA_DIR, else the user data
    directory). The store lies outside the roots on purpose: tools read a version's image through
    the store by its reference (``@ID``), never through a path an agent gives.
    ``pool`` (``retouch serve --pool``): a ``retouch.server.pool.client.PoolClient`` that ``run_edit`` and
    ``make_mask`` send their jobs to instead of ``worker``; None runs them here.
    """

    roots: Roots
    out_dir: Path
    max_pixels: int = field(default_factory=lambda: _imageio().max_pixels())
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    worker: GpuWorker = field(default_factory=gpu_worker)
    data_dir: Path | None = None
    pool: Any = None
    _store: Store | None = field(default=None, init=False, repr=False)
    _store_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def create(
        cls,
        roots: list[str] | None = None,
        out: str | os.PathLike[str] = "outputs",
        base: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        **limits: int,
    ) -> ServerConfig:
        """Roots default to the working directory; the output folder is always a root too.
        ``data_dir`` (relative to ``base``) is the history store's folder; None: the default."""
        here = Path(base if base is not None else os.getcwd())
        out_dir = (here / Path(out).expanduser()).resolve()
        try:
            created = not out_dir.exists()
            out_dir.mkdir(parents=True, exist_ok=True)
            if created:  # results, uploads and masks: this user's only, whatever the umask
                os.chmod(out_dir, 0o700)
        except OSError as exc:
            raise InputError(
                f"cannot create the output folder {out_dir} ({exc.strerror}); give another one",
                [hint("out")],
            ) from exc
        dirs = [*(roots or [str(here)]), str(out_dir)]
        data = (here / Path(data_dir).expanduser()).resolve() if data_dir is not None else None
        from retouch.server.history.store import default_data_dir

        store = Roots.store_folder(data or default_data_dir())  # denied wherever it lies
        return cls(
            roots=Roots(dirs, base=here, deny=[store]), out_dir=out_dir, data_dir=data, **limits
        )

    @property
    def store(self) -> Store:
        """The edit-history store, opened on first use (so ``initialize`` touches no disk)."""
        with self._store_lock:
            if self._store is None:
                from retouch.server.history.store import Store

                self._store = Store(self.data_dir)
            return self._store

    # ----------------------------------------------------------------------------- inputs

    def input_file(self, path: str, what: str) -> Path:
        """A confined, existing file no larger than the file-size limit."""
        real = self.roots.resolve_input(path, what)
        size = real.stat().st_size
        if size > self.max_file_bytes:
            raise InputError(
                f"{what} {path} is {_size(size)}, over this server's "
                f"{_size(self.max_file_bytes)} limit; downscale or recompress it"
            )
        return real

    def image_file(self, path: str | None, b64: str | None, what: str = "image") -> Path:
        """The image a tool works on: a confined path, or a base64 upload saved under inputs/."""
        if (path is None) == (b64 is None):
            raise InputError(f"give exactly one of {what} (a path) and {what}_base64")
        if b64 is not None:
            from retouch.server.mcp.uploads import prune

            inputs = self.out_folder("inputs")
            real = self.roots.resolve_input(store_upload(self.out_dir, b64, f"{what}_base64"), what)
            prune(inputs, keep=real)  # the oldest uploads go past RETOUCH_UPLOAD_QUOTA_MB
        else:
            real = self.input_file(path, what)
        self.check_pixels(real, what)
        return real

    def check_pixels(self, path: Path, what: str) -> None:
        """Refuse an image over the pixel limit from its header, before decoding it."""
        from PIL import Image

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as im:
                    w, h = im.size
        except Image.DecompressionBombError:
            w, h = 10**6, 10**6
        except OSError:
            return  # not an image: open_image says so with the right message
        if w * h > self.max_pixels:
            raise InputError(
                f"{what} {path.name} is {w}x{h} = {w * h} pixels, over this server's "
                f"{self.max_pixels}-pixel limit; downscale it"
            )

    def load_image(self, path: Path, what: str = "image") -> Image.Image:
        """The decoded image (a copy the caller may change), from the memo while the file is
        unchanged; over the pixel limit is refused from the header first."""
        self.check_pixels(path, what)
        return IMAGES.get(path, lambda: _imageio().open_image(path, what)).copy()

    def load_mask(self, path: Path, size: tuple[int, int]) -> np.ndarray:
        """The mask at ``path`` as ``read_mask`` reads it (bool (H, W), True = edit; read-only),
        from the memo while the file is unchanged; InputError unless it is ``size`` (W, H)."""
        read = _imageio().read_mask
        edit = MASKS.get(path, lambda: _read_only(read(path, size)))
        if edit.shape != (size[1], size[0]):
            return read(path, size)  # says how the sizes differ
        return edit

    def plan_file(self, ref: str) -> Path:
        """plan.json for a plan_id (from plan_edit) or a confined path."""
        if PLAN_ID.fullmatch(ref):
            path = self.out_dir / "plans" / ref / "plan.json"
            if not path.is_file():
                raise InputError(
                    f"no plan with id {ref} in {self.out_dir / 'plans'}; call plan_edit "
                    "first or pass the path of a plan.json"
                )
            return self.input_file(str(path), "plan")
        return self.input_file(ref, "plan")

    def out_folder(self, *parts: str) -> Path:
        """A folder under the output folder (created), checked like every path a tool writes: its
        real path must stay inside the output folder (a planted symlink must not lead out)."""
        return self.roots.resolve_folder(self.out_dir.joinpath(*parts), self.out_dir)

    def new_output(self, path: str, what: str = "output") -> Path:
        """A confined path that does not exist yet (tools never overwrite others' files)."""
        target = self.roots.resolve_output(path, what)
        if target.exists() or target.is_symlink():
            raise InputError(
                f"{what} {path} already exists; give a new file name (retouch does not "
                "overwrite files)"
            )
        return target


def _imageio():  # type: ignore[no-untyped-def]
    from retouch.planner.contract import imageio

    return imageio


class FileMemo:
    """Values computed from a file's bytes (a decoded image, a hash), kept while the file is
    unchanged: the same device, inode, size, modification and change times (nanoseconds). A file
    modified within ``SETTLED_S`` of reading it is never kept (a rewrite inside the filesystem's
    timestamp granularity could look unchanged), nor is a value ``keep`` refuses. Thread-safe;
    the least recently used of ``entries`` goes first."""

    def __init__(self, entries: int, keep: Callable[[Any], bool] = lambda v: True) -> None:
        self.entries = entries
        self.keep = keep
        self._values: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, compute: Callable[[], Any]) -> Any:
        try:
            st = os.stat(path)
        except OSError:
            return compute()  # its own error
        key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        settled = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLED_S * 1e9
        if settled and self.keep(value):
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.entries:
                    self._values.popitem(last=False)
        return value


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


IMAGES = FileMemo(MEMO_ENTRIES, keep=lambda im: im.width * im.height <= MEMO_PIXELS)
MASKS = FileMemo(MEMO_ENTRIES, keep=lambda m: m.size <= MEMO_PIXELS)
HASHES = FileMemo(256)


class Stopwatch:
    """Provenance for one tool call: started when created, finished by ``provenance()``."""

    def __init__(self, tool: str) -> None:
        self.tool = tool
        self.t0 = time.perf_counter()
        self.inputs: list[InputFile] = []

    def read(self, role: str, path: Path, version: str | None = None) -> Path:
        """Record an input file (``version``: the history version id it is the image of)."""
        self.inputs.append(
            InputFile(
                role=role,
                path=str(path),
                sha256=HASHES.get(path, lambda: sha256_file(path)),
                version=version,
            )
        )
        return path

    def provenance(
        self, executor: dict | None = None, version: str | None = None
    ) -> ToolProvenance:
        return ToolProvenance(
            tool=self.tool,
            retouch_version=retouch_version(),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - self.t0, 3),
            inputs=self.inputs,
            executor=executor,
            version=version,
        )
