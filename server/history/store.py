"""The edit-history store: every result of a conversation, addressable and never lost.

Layout of the data directory (``RETOUCH_DATA_DIR``, ``--data-dir``, or the platform's user data
directory for "retouch")::

    DATA_DIR/history.sqlite3        records: versions and sessions (SQLite, WAL mode)
    DATA_DIR/objects/ab/<sha>.png   content-addressed files: images, masks, comparison images,
                                    named by the sha256 of their bytes (stored once however many
                                    versions use them); ``.tif`` for an image PNG cannot hold
                                    (CMYK...): each kept as given (server/history/files.py)

How nothing is lost, step by step, in ``add_version``:

1. Every file is encoded, written to a temporary name beside its final name, fsynced and renamed
   (``os.replace`` is atomic). A process killed here leaves at most a temp file or an unreferenced
   object; ``gc`` collects both.
2. One ``BEGIN IMMEDIATE`` transaction takes the write lock, checks that every file still exists
   (rewriting any that a concurrent ``gc`` collected), inserts the row and moves the session's
   current pointer. A process killed here leaves the transaction uncommitted: no row, no dangling
   reference. ``gc`` deletes files only while it holds the same lock, so it can never delete a file
   a committed row points at.
3. Concurrent writers queue on SQLite's busy timeout (and a retry on top of it); each gets its own
   version. Versions are never updated or overwritten: editing an older version adds a child, i.e.
   starts a branch; ``revert`` only moves the current pointer.

Garbage collection (``gc``) keeps every current version and its ancestors; its policy is in
server/history/gc.py.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel
from retouch.planner.contract.errors import InputError, StoreError
from retouch.server.history.db import (
    COLUMNS,
    DB_NAME,
    OWNED,
    TEMP_GRACE_S,
    Database,
    as_json,
    free_id,
    to_version,
    utc_now,
)
from retouch.server.history.files import (
    ObjectFiles,
    encode_object,
    encode_png,  # noqa: F401 - re-exported: tests encode the store's way
    mask_png,
    open_object,
    png_view,
    private_dirs,
)
from retouch.server.history.gc import collect_files, find_problems, prune_versions
from retouch.server.history.tree import (
    GcReport,
    HistoryTree,
    SessionInfo,
    Version,
    build_tree,
    check_session,
    parse_ref,
)

if TYPE_CHECKING:  # numpy and Pillow load when an image is stored or read, not at a front's start
    import numpy as np
    from PIL import Image

MAX_KEEP_DAYS = 36_500
"""Longest --keep-days (a century); longer overflows a date."""


def check_keep_days(keep_days: float | None) -> None:
    """InputError unless ``keep_days`` is None or in 0..MAX_KEEP_DAYS (NaN is not)."""
    if keep_days is not None and not 0 <= keep_days <= MAX_KEEP_DAYS:
        raise InputError(
            f"--keep-days {keep_days} is out of range 0..{MAX_KEEP_DAYS}; give a number of days"
        )


def default_data_dir() -> Path:
    """``RETOUCH_DATA_DIR`` if set, else the platform's user data directory for "retouch"."""
    env = os.environ.get("RETOUCH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("retouch", appauthor=False))


class Store(Database):
    """SQLite records + content-addressed image files under one data directory (module doc).

    Safe to share between threads and processes: every call opens its own short-lived connection.
    """

    def __init__(self, data_dir: Path | str | None = None) -> None:
        """Open (creating if needed) the store in ``data_dir`` (default: ``default_data_dir()``)."""
        self.data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
        self.db_path = self.data_dir / DB_NAME
        self.objects = self.data_dir / "objects"
        self.files = ObjectFiles(self.objects)
        try:
            private_dirs(self.data_dir, self.objects)  # 0700 whatever the umask
        except OSError as exc:
            raise StoreError(
                f"cannot create the data directory {self.data_dir} ({exc.strerror}); "
                "set RETOUCH_DATA_DIR or --data-dir to a writable folder"
            ) from exc
        self._check_not_lost(self.objects)
        self._retry(self._init_schema)
        for path, mode in ((self.data_dir, 0o700), (self.db_path, 0o600)):  # an older store too
            if path.stat().st_uid == os.getuid():  # (SQLite gives -wal and -shm the db's mode)
                os.chmod(path, mode)

    # ------------------------------------------------------------------------------------ files

    def object_path(self, sha: str) -> Path:
        """Where the object with this sha256 lives: ``objects/ab/<sha>.png`` (or ``.tif``)."""
        return self.files.path(sha)

    def put_file(self, data: bytes) -> str:
        """Store PNG or TIFF bytes atomically (temp file, fsync, rename); returns their sha256.

        Idempotent: an object already present is not rewritten. An object no version points at is
        collectable by ``gc``; ``add_version`` re-checks its files under the write lock.
        """
        return self.files.put(data)

    def read_file(self, sha: str) -> bytes:
        """The bytes of an object, checked against its sha256; StoreError if missing or damaged."""
        return self.files.read(sha)

    # --------------------------------------------------------------------------------- versions

    def add_version(
        self,
        session: str,
        *,
        parent: str | None,
        edit: str,
        image: Image.Image,
        mask: np.ndarray | Image.Image | None = None,
        comparison: Image.Image | None = None,
        request: BaseModel | dict | None = None,
        plan: BaseModel | dict | None = None,
        qa: BaseModel | dict | None = None,
        provenance: BaseModel | dict | None = None,
    ) -> Version:
        """Record a result as a new version of ``session`` and make it the session's current one.

        ``parent`` is the id of the version edited (it must belong to ``session``), or None when
        the source was a file. ``mask`` is bool (H, W) True = edited, or a mask image, the size of
        ``image``. Editing an older version adds a child of it (a branch); nothing is overwritten.
        """
        # 1. check inputs
        from PIL import Image

        check_session(session)
        if not isinstance(image, Image.Image):
            raise InputError(f"image must be a PIL image, got {type(image).__name__}")
        if not isinstance(edit, str) or not edit.strip():
            raise InputError("edit must be the edit in words, a non-empty string")
        # 2. files first: encode, write atomically (outside the lock: encoding takes a while)
        blobs = {"image": encode_object(image)}
        if mask is not None:
            blobs["mask"] = mask_png(mask, image.size)
        if comparison is not None:
            blobs["comparison"] = encode_object(comparison)
        shas = {k: self.put_file(v) for k, v in blobs.items()}
        created = utc_now()
        fields = [
            session,
            parent,
            created,
            edit,
            shas["image"],
            shas.get("mask"),
            shas.get("comparison"),
            as_json(request),
            as_json(plan),
            as_json(qa),
            as_json(provenance),
        ]

        # 3. one transaction: re-check files under the lock, insert the row, move the pointer
        def insert() -> str:
            with self._db(write=True) as conn:
                if parent is not None:
                    self._check_parent(conn, parent, session)
                for kind, sha in shas.items():  # rewrite any a concurrent gc collected
                    self.files.ensure(sha, blobs[kind])
                vid = free_id(conn)
                conn.execute(
                    f"INSERT INTO versions ({', '.join(COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(COLUMNS))})",
                    [vid, *fields],
                )
                conn.execute(
                    "INSERT INTO sessions (name, current, created, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET current = excluded.current, "
                    "updated = excluded.updated",
                    (session, vid, created, created),
                )
                return vid

        return self.get(self._retry(insert))

    def _check_parent(self, conn: sqlite3.Connection, parent: str, session: str) -> None:
        row = conn.execute("SELECT session FROM versions WHERE id = ?", (parent,)).fetchone()
        if row is None:
            raise StoreError(
                f"parent version @{parent} does not exist; pass an id from "
                f"`retouch history {session}`"
            )
        if row["session"] != session:  # never name the other session: it may be private
            raise StoreError(
                f"parent version @{parent} is not in session {session!r}; export it with "
                "`retouch show` and edit the file"
            )

    def get(self, version_id: str, owner: str | None = None) -> Version:
        """The version with exactly this id; StoreError if there is none (or, with ``owner``, if
        it is in a session that is not ``owner``'s: the same words)."""
        sql, args = "SELECT * FROM versions WHERE id = ?", (version_id,)
        if owner is not None:
            sql, args = sql + OWNED, (version_id, owner)
        rows = self._fetch(sql, args)
        if not rows:
            raise StoreError(
                f"no version @{version_id} in {self.data_dir}; list versions with "
                "`retouch history SESSION`"
            )
        return to_version(rows[0])

    def _fetch(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        """Rows of one read query (retried while the database is busy)."""

        def query() -> list[sqlite3.Row]:
            with self._db() as conn:
                return conn.execute(sql, args).fetchall()

        return self._retry(query)

    def resolve(self, ref: str, session: str | None = None, owner: str | None = None) -> Version:
        """The version ``ref`` names: ``@ID``, ``ID``, a unique id prefix, ``current`` (needs
        ``session``), or any of them with ``~N`` (N parents back). With ``session``, the version
        must belong to it; with ``owner`` (a principal), to one of ``owner``'s sessions. StoreError
        for a missing, foreign or ambiguous reference, never naming another session."""
        parsed = parse_ref(ref)
        if session is not None:
            check_session(session)
            self.check_owner(session, owner)
        if parsed.is_current:
            if session is None:
                raise StoreError(f"{ref!r} needs a session; pass the session name (--session)")
            version = self.current(session)
            if version is None:
                raise StoreError(f"session {session!r} has no versions yet; edit a file first")
        else:
            version = self._by_prefix(parsed.base, ref, session, owner)
        for step in range(parsed.back):
            if version.parent is None:
                raise StoreError(
                    f"{ref!r} goes back {parsed.back} versions but @{version.id} "
                    f"(after {step}) is where this line of edits starts; it has no parent: "
                    f"use @{version.id} (or fewer steps back) to reach it"
                )
            version = self.get(version.parent)
        return version

    def _by_prefix(self, prefix: str, ref: str, session: str | None, owner: str | None) -> Version:
        sql = "SELECT * FROM versions WHERE id >= ? AND id < ?"  # the ids starting with prefix
        span = (prefix, prefix + "g")
        if session is None and owner is not None:  # only within the caller's sessions
            rows = self._fetch(sql + OWNED + " ORDER BY seq LIMIT 2", (*span, owner))
        elif session is None:
            rows = self._fetch(sql + " ORDER BY seq LIMIT 2", span)
        else:
            rows = self._fetch(sql + " AND session = ? ORDER BY seq LIMIT 2", (*span, session))
        if len(rows) > 1:
            raise StoreError(
                f"{ref!r} is ambiguous (several versions start with it); give more "
                "characters of the id"
            )
        if rows:
            return to_version(rows[0])
        if session is not None:  # missing or another session's: the same words, naming neither
            raise StoreError(
                f"no version {ref!r} in session {session!r}; list its versions with "
                f"`retouch history {session}`"
            )
        raise StoreError(
            f"no version {ref!r} in {self.data_dir}; list sessions with `retouch "
            "history`, versions with `retouch history SESSION`"
        )

    def current(self, session: str) -> Version | None:
        """The session's current version, or None when the session has none."""
        rows = self._fetch(
            "SELECT v.* FROM sessions s JOIN versions v ON v.id = s.current WHERE s.name = ?",
            (session,),
        )
        return to_version(rows[0]) if rows else None

    def history(self, session: str) -> list[Version]:
        """The session's versions, oldest first. StoreError for an unknown session."""
        return self.state(session)[0]

    def state(self, session: str) -> tuple[list[Version], str | None]:
        """The session's versions, oldest first, and its current version's id, read in one
        snapshot (so a concurrent edit cannot make them disagree). StoreError for an unknown
        session."""
        check_session(session)

        def read() -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
            with self._db() as conn:
                conn.execute("BEGIN")
                rows = conn.execute(
                    "SELECT * FROM versions WHERE session = ? ORDER BY seq", (session,)
                ).fetchall()
                cur = conn.execute(
                    "SELECT current FROM sessions WHERE name = ?", (session,)
                ).fetchall()
                conn.execute("COMMIT")
                return rows, cur

        rows, cur = self._retry(read)
        if not rows:
            raise StoreError(
                f"no session {session!r} in {self.data_dir}; list sessions with `retouch history`"
            )
        return [to_version(r) for r in rows], cur[0]["current"] if cur else None

    def tree(self, session: str) -> HistoryTree:
        """The session's versions as a tree (``retouch.server.history.tree.HistoryTree``)."""
        return build_tree(session, *self.state(session))

    def sessions(self) -> list[SessionInfo]:
        """Every session, most recently updated first."""
        rows = self._fetch(
            "SELECT s.name, s.current, s.updated, COUNT(v.id) AS n FROM sessions s "
            "LEFT JOIN versions v ON v.session = s.name GROUP BY s.name ORDER BY s.updated DESC"
        )
        return [
            SessionInfo(name=r["name"], current=r["current"], versions=r["n"], updated=r["updated"])
            for r in rows
        ]

    def revert(self, session: str, ref: str) -> Version:
        """Make an earlier version of ``session`` current (the next edit starts from it). Nothing
        is deleted. Returns that version."""
        version = self.resolve(ref, session)

        def move() -> None:
            with self._db(write=True) as conn:
                if (
                    conn.execute("SELECT 1 FROM versions WHERE id = ?", (version.id,)).fetchone()
                    is None
                ):  # pruned by gc meanwhile
                    raise StoreError(
                        f"version @{version.id} was just removed by `retouch gc`; "
                        f"pick another from `retouch history {session}`"
                    )
                conn.execute(
                    "UPDATE sessions SET current = ?, updated = ? WHERE name = ?",
                    (version.id, utc_now(), session),
                )

        self._retry(move)
        return version

    # ----------------------------------------------------------------------------------- images

    def load_image(self, version: Version) -> Image.Image:
        """The version's result image, decoded as it was given (mode, bit depth, alpha, ICC)."""
        return open_object(self.read_file(version.image_sha256))

    def image_png(self, version: Version) -> bytes:
        """PNG bytes of the version's image for viewing: its stored file when that is a PNG, else
        (an image kept as TIFF: CMYK...) the image converted to RGB(A) for the screen."""
        return png_view(self.read_file(version.image_sha256))

    def load_mask(self, version: Version) -> np.ndarray | None:
        """The version's edit mask, bool (H, W) True = edited, or None."""
        import numpy as np

        if version.mask_sha256 is None:
            return None
        return np.asarray(open_object(self.read_file(version.mask_sha256))) >= 128

    def load_comparison(self, version: Version) -> Image.Image | None:
        """The version's before/after comparison image, or None."""
        if version.comparison_sha256 is None:
            return None
        return open_object(self.read_file(version.comparison_sha256))

    # -------------------------------------------------------------------------- housekeeping

    def gc(
        self,
        keep_days: float | None = None,
        *,
        temp_grace_s: float = TEMP_GRACE_S,
        now: datetime | None = None,
    ) -> GcReport:
        """Collect garbage (policy: server/history/gc.py). ``keep_days`` None keeps every
        version; ``temp_grace_s`` spares younger temp files; ``now`` is for tests."""
        check_keep_days(keep_days)
        removed: list[str] = []
        if keep_days is not None:
            cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)

            def prune() -> list[str]:
                with self._db(write=True) as conn:
                    return prune_versions(conn, cutoff)

            removed = self._retry(prune)

        def sweep() -> tuple[int, int, int, int]:
            with self._db(write=True) as conn:  # the write lock: no add_version commits meanwhile
                return collect_files(conn, self.objects, temp_grace_s)

        files, temps, freed, kept = self._retry(sweep)
        return GcReport(
            versions_removed=removed,
            files_removed=files,
            temp_files_removed=temps,
            bytes_freed=freed,
            files_kept=kept,
        )

    def verify(self) -> list[str]:
        """Consistency problems, one line each (empty when the store is sound): rows pointing at
        missing or damaged files, parents outside their session, current pointers elsewhere."""

        def read() -> list[str]:
            with self._db() as conn:
                return find_problems(conn, self.object_path)

        return self._retry(read)
