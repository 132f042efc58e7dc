"""Garbage collection and consistency checks for the history store (server/history/store.py).

The policy: files no row points at are deleted (temp files only when older than an hour, since a
live writer may still be filling one). With ``keep_days=N`` versions are pruned too: a version
survives when it was made within the last N days, is its session's current version, or is an
ancestor of a survivor; everything else goes. So old dead branches disappear, while the current
version and the chain of edits that made it (and anything recent) stay.

Every function here runs inside a connection the caller holds; ``prune_versions`` and
``collect_files`` inside the write lock, so no version can be committed while they decide.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from hashlib import sha256
from pathlib import Path

from retouch.server.history.files import SUFFIXES

_FILE_COLUMNS = ("image_sha256", "mask_sha256", "comparison_sha256")


def prune_versions(conn: sqlite3.Connection, cutoff: datetime) -> list[str]:
    """Delete the versions that are older than ``cutoff``, not current, and not an ancestor of a
    version that stays. Returns the deleted ids, oldest first."""
    rows = conn.execute("SELECT id, parent, created FROM versions ORDER BY seq").fetchall()
    parent = {r["id"]: r["parent"] for r in rows}
    keep = {r[0] for r in conn.execute("SELECT current FROM sessions WHERE current IS NOT NULL")}
    keep |= {r["id"] for r in rows if datetime.fromisoformat(r["created"]) >= cutoff}
    for vid in list(keep):  # every ancestor of a survivor survives
        vid = parent.get(vid)
        while vid is not None and vid not in keep:
            keep.add(vid)
            vid = parent.get(vid)
    doomed = [r["id"] for r in rows if r["id"] not in keep]
    # children before parents (a child always has the larger seq), so no foreign key dangles
    conn.executemany("DELETE FROM versions WHERE id = ?", [(v,) for v in reversed(doomed)])
    return doomed


def referenced_files(conn: sqlite3.Connection) -> set[str]:
    """Every sha256 some version points at."""
    refs: set[str] = set()
    for col in _FILE_COLUMNS:
        refs.update(
            r[0]
            for r in conn.execute(f"SELECT DISTINCT {col} FROM versions WHERE {col} IS NOT NULL")
        )
    return refs


def collect_files(
    conn: sqlite3.Connection, objects: Path, temp_grace_s: float
) -> tuple[int, int, int, int]:
    """Delete object files no version points at, and temp files older than ``temp_grace_s``.
    Files with other names are left alone. Returns (objects deleted, temp files deleted, bytes
    freed, objects kept)."""
    refs = referenced_files(conn)
    files = temps = freed = kept = 0
    now = time.time()
    for sub in sorted(p for p in objects.iterdir() if p.is_dir()):
        for path in sub.iterdir():
            name = path.name
            try:
                if name.startswith(".tmp-"):
                    st = path.stat()
                    if now - st.st_mtime >= temp_grace_s:
                        path.unlink()
                        temps += 1
                        freed += st.st_size
                elif name.endswith(SUFFIXES) and len(name) == 68 and name[:2] == sub.name:
                    if name[:64] in refs:
                        kept += 1
                    else:
                        size = path.stat().st_size
                        path.unlink()
                        files += 1
                        freed += size
            except FileNotFoundError:  # a writer renamed its temp file meanwhile
                continue
    return files, temps, freed, kept


def find_problems(conn: sqlite3.Connection, object_path: Callable[[str], Path]) -> list[str]:
    """Everything inconsistent in the store ``conn`` reads, one line each; empty when it is sound.
    ``object_path(sha)`` is where a stored file lives."""
    conn.execute("BEGIN")  # one snapshot for both tables
    versions = conn.execute("SELECT * FROM versions ORDER BY seq").fetchall()
    sessions = conn.execute("SELECT name, current FROM sessions").fetchall()
    conn.execute("COMMIT")
    problems = []
    session_of = {v["id"]: v["session"] for v in versions}
    for v in versions:
        for col in _FILE_COLUMNS:
            sha = v[col]
            if sha is None:
                continue
            path = object_path(sha)
            if not path.exists():
                problems.append(f"version {v['id']}: {col} file {path.name} is missing")
            elif sha256(path.read_bytes()).hexdigest() != sha:
                problems.append(f"version {v['id']}: {col} file {path.name} is damaged")
        if v["parent"] is not None and session_of.get(v["parent"]) != v["session"]:
            problems.append(
                f"version {v['id']}: parent {v['parent']} is not in session {v['session']}"
            )
    named = {s["name"] for s in sessions}
    for s in sessions:
        if session_of.get(s["current"]) != s["name"]:
            problems.append(
                f"session {s['name']}: current {s['current']} is not one of its versions"
            )
    for name in sorted({v["session"] for v in versions} - named):
        problems.append(f"session {name}: has versions but no session record")
    return problems


PARTIAL_PREFIX = ".partial-"
PARTIAL_GRACE_S = 600.0


def remove_partial_runs(
    runs: Path, grace_s: float = PARTIAL_GRACE_S, now: float | None = None
) -> int:
    """Delete the run folders an edit left half-written in ``runs`` (the MCP server's OUT/runs):
    ``.partial-ID`` folders, which run_edit renames to ``ID`` once the history has the version,
    older than ``grace_s`` (a live edit's is seconds old). Symlinks are never followed. Returns
    how many were removed."""
    import shutil

    if not runs.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for path in runs.iterdir():
        if not path.name.startswith(PARTIAL_PREFIX) or path.is_symlink() or not path.is_dir():
            continue
        try:
            if now - path.lstat().st_mtime < grace_s:
                continue
            shutil.rmtree(path)
        except FileNotFoundError:  # renamed into place, or removed by another gc, meanwhile
            continue
        removed += 1
    return removed
