"""Helper processes for tests/server/history/test_store_crash.py (run as a script, never collected).

    store_worker.py write DATA_DIR SESSION COUNT ACKS
        add COUNT versions to SESSION, each edited from the session's current version; append
        each new id to the file ACKS once add_version has returned.
    store_worker.py crash DATA_DIR ROUNDS SEED REPORT
        ROUNDS times: fork a child that adds versions in a loop, kill it (SIGKILL) at a random
        moment or at a chosen point inside add_version, then check the store; write a JSON
        report. Forking from this process, which imports the store once, keeps each round cheap.

Kill points: "timing" = after a random delay; "temp-written" = a temp file written, not yet
renamed; "files-written" = every file in place, no transaction yet; "in-transaction" = the row
inserted, the transaction not yet committed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import sys
import time
import traceback

import numpy as np
from PIL import Image
from retouch.server.history.store import Store

POINTS = ("timing", "temp-written", "timing", "files-written", "timing", "in-transaction")


def _image(rng: np.random.Generator, size: int = 48) -> Image.Image:
    return Image.fromarray(rng.integers(0, 256, (size, size, 4), dtype=np.uint8), "RGBA")


def add_one(store: Store, session: str, rng: np.random.Generator, n: int) -> str:
    """One version edited from the session's current one, with a mask and a comparison image."""
    current = store.current(session)
    image = _image(rng)
    mask = rng.random((48, 48)) > 0.5
    v = store.add_version(
        session,
        parent=current.id if current else None,
        edit=f"edit {n}",
        image=image,
        mask=mask,
        comparison=_image(rng),
        request={"edit": f"edit {n}"},
        qa={"passed": True},
    )
    return v.id


def _ack(fd: int, vid: str) -> None:
    os.write(fd, f"{vid}\n".encode())


def write(data_dir: str, session: str, count: int, acks: str) -> None:
    store = Store(data_dir)
    rng = np.random.default_rng(os.getpid())
    fd = os.open(acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    for n in range(count):
        _ack(fd, add_one(store, session, rng, n))


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(point: str, at: int, which: int) -> None:
    """Make this (child) process kill itself in its ``at``-th add_version, at ``point``; for
    "temp-written", after the ``which``-th of its 3 files (image, mask, comparison)."""
    hits = {"n": 0}
    target = 3 * (at - 1) + which if point == "temp-written" else at

    def hit() -> None:
        hits["n"] += 1
        if hits["n"] == target:
            _die()

    if point == "temp-written":
        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            real_fsync(fd)
            if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".tmp-"):
                hit()

        os.fsync = fsync
    elif point == "files-written":
        real_db = Store._db

        def db(self: Store, write: bool = False):  # type: ignore[no-untyped-def]
            if write:
                hit()
            return real_db(self, write)

        Store._db = db  # type: ignore[method-assign]
    elif point == "in-transaction":

        class Killer(sqlite3.Connection):
            def execute(self, sql: str, *args):  # type: ignore[no-untyped-def, override]
                cur = super().execute(sql, *args)
                if sql.startswith("INSERT INTO sessions"):
                    hit()
                return cur

        real_connect = sqlite3.connect
        sqlite3.connect = lambda *a, **k: real_connect(*a, factory=Killer, **k)  # type: ignore


def _child(data_dir: str, acks: str, point: str, at: int, which: int, seed: int) -> None:
    try:
        fd = os.open(acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        store = Store(data_dir)
        _arm(point, at, which)
        rng = np.random.default_rng(seed)
        for n in range(100_000):
            _ack(fd, add_one(store, "crash", rng, n))
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(3)  # never return into the parent's code


def _current_ok(point: str, current, acked: list[str], before) -> bool:  # type: ignore[no-untyped-def]
    """The current version is the last acknowledged one (or, before any ack, the one from before
    the round); a random kill may also land after a commit and before its ack, leaving current
    one step further: a child of that version."""
    expected = acked[-1] if acked else (before.id if before else None)
    got = current.id if current else None
    if got == expected:
        return True
    return point == "timing" and current is not None and current.parent == expected


def crash(data_dir: str, rounds: int, seed: int, report: str) -> None:
    rnd = random.Random(seed)
    store = Store(data_dir)
    out = []
    for r in range(rounds):
        point = POINTS[r % len(POINTS)]
        acks = os.path.join(data_dir, f"acks-{r}.txt")
        before = store.current("crash")
        at, which = rnd.randint(1, 4), rnd.randint(1, 3)
        pid = os.fork()
        if pid == 0:
            _child(data_dir, acks, point, at, which, seed * 1000 + r)
        if point == "timing":
            time.sleep(rnd.uniform(0.0, 0.15))
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        acked = open(acks).read().split() if os.path.exists(acks) else []
        recorded = {v.id for v in store.history("crash")} if store.current("crash") else set()
        current = store.current("crash")
        entry = {
            "point": point,
            "at": at,
            "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
            "acked": len(acked),
            "acked_missing": [a for a in acked if a not in recorded],
            "problems": store.verify(),
            "current_ok": _current_ok(point, current, acked, before),
        }
        if point != "timing":
            entry["gc"] = store.gc(temp_grace_s=0).model_dump()
            entry["problems_after_gc"] = store.verify()
        out.append(entry)
    with open(report, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "write":
        write(args[0], args[1], int(args[2]), args[3])
    elif cmd == "crash":
        crash(args[0], int(args[1]), int(args[2]), args[3])
    else:
        sys.exit(f"unknown command {cmd!r}")
