"""Nothing lost: writers SIGKILLed mid-edit, and several processes writing one session at once.

The processes run tests/server/history/store_worker.py (see its docstring for the kill points).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from retouch.server.history.store import Store

WORKER = Path(__file__).with_name("store_worker.py")
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="uses fork, SIGKILL and /proc"
)


def _all_files_referenced(store: Store) -> None:
    with store._db() as conn:
        from retouch.server.history.gc import referenced_files

        refs = referenced_files(conn)
    on_disk = [p for p in store.objects.glob("*/*") if p.is_file()]
    assert not [p for p in on_disk if p.name.startswith(".tmp-")]
    assert {p.name[:64] for p in on_disk} == refs


def test_writers_killed_at_random_points_leave_the_store_consistent(tmp_path: Path) -> None:
    rounds = 30
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, str(WORKER), "crash", str(tmp_path), str(rounds), "7", str(report)],
        check=True,
        env=ENV,
        timeout=120,
    )
    entries = json.loads(report.read_text())
    assert len(entries) == rounds
    for n, e in enumerate(entries):
        assert e["killed"], (n, e)  # the child died by SIGKILL, not by an error of its own
        assert e["acked_missing"] == [], (n, e)  # every version add_version returned is there
        assert e["problems"] == [], (n, e)  # no row points at a missing or damaged file
        assert e["current_ok"], (n, e)
        if e["point"] != "timing":  # died inside version number `at`, all before it recorded
            assert e["acked"] == e["at"] - 1, (n, e)
            assert e["problems_after_gc"] == [], (n, e)
        if e["point"] == "temp-written":  # killed between write and rename: gc finds the temp
            assert e["gc"]["temp_files_removed"] >= 1, (n, e)
        if e["point"] in ("files-written", "in-transaction"):  # files in place, no row
            assert e["gc"]["files_removed"] >= 3, (n, e)  # image, mask and comparison
    store = Store(tmp_path)
    assert store.verify() == []
    versions = store.history("crash")
    assert len(versions) >= sum(e["acked"] for e in entries)
    store.gc(temp_grace_s=0)
    _all_files_referenced(store)
    assert store.verify() == [] and len(store.history("crash")) == len(versions)
    for v in versions[-3:]:
        assert store.load_image(v).size == (48, 48)


def test_concurrent_writers_all_recorded_while_gc_runs(tmp_path: Path) -> None:
    """Four processes add versions to one session at once, on a store none of them created,
    while this process runs gc in a loop; every version each one was told about is recorded."""
    writers, count = 4, 12
    data = tmp_path / "data"
    acks = [tmp_path / f"acks-{i}.txt" for i in range(writers)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "write", str(data), "chat", str(count), str(a)],
            env=ENV,
            stderr=subprocess.PIPE,
        )
        for a in acks
    ]
    sweeps = 0
    deadline = time.monotonic() + 120
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        if (data / "history.sqlite3").exists():
            Store(data).gc()
            sweeps += 1
        time.sleep(0.02)
    errors = [p.communicate(timeout=30)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * writers, errors
    store = Store(data)
    acked = [line for a in acks for line in a.read_text().split()]
    assert len(acked) == writers * count == len(set(acked))
    versions = store.history("chat")
    assert sorted(v.id for v in versions) == sorted(acked)
    assert store.verify() == []
    by_id = {v.id: v for v in versions}
    assert all(v.parent is None or v.parent in by_id for v in versions)
    assert sum(v.parent is None for v in versions) <= writers  # only racing first edits are roots
    assert store.current("chat").id in by_id
    assert sweeps > 0
    store.gc(temp_grace_s=0)
    _all_files_referenced(store)
