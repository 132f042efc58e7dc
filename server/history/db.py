"""The history database's plumbing: schema, connections, the write lock, retries, row mapping.

``Database`` is the base of ``Store`` (store.py): one short-lived SQLite connection per call, WAL
mode, ``BEGIN IMMEDIATE`` for writes, busy retries on top of SQLite's own timeout, and SQLite's
errors turned into ``StoreError`` messages that say what to do. ``check_owner`` keeps a session
to the principal that first named it (private sessions over HTTP: server/mcp/auth.py).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from retouch.planner.contract.errors import StoreError
from retouch.server.history.tree import ID_LENGTH, Version, check_session

T = TypeVar("T")
DB_NAME = "history.sqlite3"
SCHEMA_VERSION = 2  # 2: the owners table (private sessions)
BUSY_TIMEOUT_S = 30.0
TEMP_GRACE_S = 3600.0
COLUMNS = (
    "id",
    "session",
    "parent",
    "created",
    "edit",
    "image_sha256",
    "mask_sha256",
    "comparison_sha256",
    "request",
    "plan",
    "qa",
    "provenance",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,      -- global creation order
    id TEXT NOT NULL UNIQUE,
    session TEXT NOT NULL,
    parent TEXT REFERENCES versions(id),
    created TEXT NOT NULL,
    edit TEXT NOT NULL,
    image_sha256 TEXT NOT NULL,
    mask_sha256 TEXT,
    comparison_sha256 TEXT,
    request TEXT, plan TEXT, qa TEXT, provenance TEXT   -- JSON objects
);
CREATE INDEX IF NOT EXISTS versions_session ON versions(session, seq);
CREATE INDEX IF NOT EXISTS versions_parent ON versions(parent);
CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY,
    current TEXT REFERENCES versions(id),
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS owners (            -- a session's principal (none: the local user's)
    session TEXT PRIMARY KEY,
    principal TEXT NOT NULL
);
"""


def utc_now() -> str:
    """Now, ISO 8601 UTC with milliseconds and a Z: ``2026-01-02T10:00:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def as_json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, sort_keys=True)


class Database:
    """Connections to ``db_path`` (set by the subclass before ``_init_schema`` runs)."""

    db_path: Path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    @contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection; with ``write`` inside BEGIN IMMEDIATE (the write lock), committed on
        success and rolled back on any error."""
        conn = self._connect()
        try:
            if write:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            else:
                yield conn
        finally:
            conn.close()

    def _retry(self, fn: Callable[[], T], attempts: int = 5) -> T:
        """Run ``fn``; retry when SQLite stays busy past its timeout; map SQLite errors to
        StoreError."""
        for attempt in range(attempts):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                text = str(exc)
                if ("locked" in text or "busy" in text) and attempt < attempts - 1:
                    time.sleep(0.05 * (attempt + 1) + secrets.randbelow(50) / 1000)
                    continue
                raise StoreError(
                    f"the history database {self.db_path} failed ({text}); if "
                    "another retouch is writing, retry; else check the disk"
                ) from exc
            except sqlite3.IntegrityError as exc:
                raise StoreError(
                    f"the history database {self.db_path} refused the change "
                    f"({exc}); the version it refers to may have been removed; "
                    "retry"
                ) from exc
            except sqlite3.DatabaseError as exc:
                raise StoreError(
                    f"{self.db_path} is not a readable history database ({exc}); "
                    "move it aside or point --data-dir elsewhere"
                ) from exc
        raise AssertionError("unreachable")

    def _check_not_lost(self, objects: Path) -> None:
        """StoreError when the database is empty or missing but ``objects`` holds stored files: a
        lost or truncated database, which must not be recreated empty (gc would then delete
        every object as unreferenced)."""
        if next(objects.glob("*/*"), None) is None:
            return

        def version() -> int:
            conn = self._connect()
            try:
                return int(conn.execute("PRAGMA user_version").fetchone()[0])
            finally:
                conn.close()

        if self._retry(version) == 0:
            raise StoreError(
                f"{self.db_path} holds no history (empty or missing) but {objects} holds "
                "stored images; restore the database from a backup, or move the data directory "
                "aside to start afresh"
            )

    def check_owner(self, session: str, owner: str | None, claim: bool = False) -> None:
        """Private sessions (server/mcp/auth.py): with ``owner`` (a principal; None is the local
        user, who may use every session) ``session`` must be ``owner``'s or, with ``claim``, new:
        it then becomes ``owner``'s. StoreError otherwise, naming only ``session``."""
        if owner is None:
            return
        check_session(session)

        def check() -> str | None:
            with self._db(write=claim) as conn:
                row = conn.execute(
                    "SELECT principal FROM owners WHERE session = ?", (session,)
                ).fetchone()
                if row is not None:
                    return str(row["principal"])
                used = conn.execute(
                    "SELECT 1 FROM versions WHERE session = ? LIMIT 1", (session,)
                ).fetchone()
                if used is not None or not claim:
                    return None
                conn.execute(
                    "INSERT INTO owners (session, principal) VALUES (?, ?)", (session, owner)
                )
                return owner

        if self._retry(check) == owner:
            return
        if claim:
            raise StoreError(f"session {session!r} is taken by another user; pick another name")
        raise StoreError(f"no session {session!r} of yours; name a session you created")

    def _init_schema(self) -> None:
        conn = self._connect()
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            have = conn.execute("PRAGMA user_version").fetchone()[0]
            if have > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.db_path} was written by a newer retouch (schema {have}, "
                    f"this one reads {SCHEMA_VERSION}); upgrade retouch"
                )
            if have < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(stmt)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
        finally:
            conn.close()


OWNED = " AND session IN (SELECT session FROM owners WHERE principal = ?)"
"""SQL that keeps a versions query to one principal's sessions (the principal the last ``?``)."""


def new_id() -> str:
    """A random version id (``ID_LENGTH`` hex digits)."""
    return secrets.token_hex(ID_LENGTH // 2)


def free_id(conn: sqlite3.Connection) -> str:
    """A new version id whose 8-character prefix no version has (short refs stay unique)."""
    while True:
        vid = new_id()
        span = (vid[:8], vid[:8] + "g")
        if conn.execute("SELECT 1 FROM versions WHERE id >= ? AND id < ?", span).fetchone() is None:
            return vid


def to_version(row: sqlite3.Row) -> Version:
    d = {k: row[k] for k in COLUMNS}
    for k in ("request", "plan", "qa", "provenance"):
        d[k] = json.loads(d[k]) if d[k] is not None else None
    return Version(**d)
