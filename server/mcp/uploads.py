"""The quota on base64 uploads: files saved under OUT/inputs/ (``outputs.store_upload``) are kept
to RETOUCH_UPLOAD_QUOTA_MB (default 512 MB) by removing the oldest first after each upload.

    prune(OUT/inputs, keep=<the upload just saved>)   ->  the paths removed

An upload a plan names is referenced by path; a plan older than the quota's reach answers "not
found" for its image and is made again from a new upload. Imports nothing heavy.
"""

from __future__ import annotations

import os
from pathlib import Path

from retouch.planner.contract.errors import InputError

QUOTA_ENV = "RETOUCH_UPLOAD_QUOTA_MB"
DEFAULT_QUOTA_MB = 512


def quota_bytes() -> int:
    """The uploads folder's quota in bytes (RETOUCH_UPLOAD_QUOTA_MB, default 512 MB)."""
    raw = os.environ.get(QUOTA_ENV)
    try:
        mb = DEFAULT_QUOTA_MB if raw is None else float(raw)
    except ValueError:
        mb = -1.0
    if not 0 < mb < 10**7:
        raise InputError(f"{QUOTA_ENV}={raw!r} is not a size in MB; give e.g. 512")
    return int(mb * 1_000_000)


def prune(folder: Path, keep: Path, limit: int | None = None) -> list[Path]:
    """Remove the oldest files of ``folder`` (by modification time) until the rest, ``keep``
    included, fit in ``limit`` bytes (default ``quota_bytes()``); ``keep`` is never removed."""
    limit = quota_bytes() if limit is None else limit
    os.utime(keep)  # a repeated upload (same bytes, same file) counts as new
    files = []
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            st = entry.stat(follow_symlinks=False)
            files.append((st.st_mtime_ns, st.st_size, Path(entry.path)))
    total = sum(size for _, size, _ in files)
    removed: list[Path] = []
    for _, size, path in sorted(files):
        if total <= limit:
            break
        if path == keep:
            continue
        path.unlink(missing_ok=True)
        total -= size
        removed.append(path)
    return removed
