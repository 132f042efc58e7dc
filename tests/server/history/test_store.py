"""The history store in-process: files, version references, undo and branches, gc, bad states."""

from __future__ import annotations

import io
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path

import numpy as np
import pytest
import retouch.server.history.db as db_mod
from PIL import Image, ImageCms
from retouch.planner.contract.errors import InputError, StoreError
from retouch.server.history.store import Store, default_data_dir, encode_png
from retouch.server.history.tree import build_tree, format_tree, parse_ref


def _img(seed: int, mode: str = "RGB", size: int = 32) -> Image.Image:
    rng = np.random.default_rng(seed)
    bands = len(mode)
    arr = rng.integers(0, 256, (size, size, bands), dtype=np.uint8)
    return Image.fromarray(arr if bands > 1 else arr[..., 0], mode)


def _objects(store: Store) -> set[str]:
    return {p.name[:64] for p in store.objects.glob("*/*.png")}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "data")


def _chain(store: Store, session: str, n: int, seed: int = 0) -> list[str]:
    ids: list[str] = []
    for i in range(n):
        v = store.add_version(
            session, parent=ids[-1] if ids else None, edit=f"edit {i}", image=_img(seed * 100 + i)
        )
        ids.append(v.id)
    return ids


# ------------------------------------------------------------------------------- files and records


def test_image_keeps_alpha_and_icc_and_files_are_content_addressed(store: Store) -> None:
    image = _img(1, "RGBA")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.info["icc_profile"] = icc
    mask = np.zeros((32, 32), dtype=bool)
    mask[4:12, 8:20] = True
    v = store.add_version(
        "chat",
        parent=None,
        edit="remove the sign",
        image=image,
        mask=mask,
        comparison=_img(2),
        request={"edit": "remove the sign"},
        qa={"passed": True, "checks": [1, 2]},
        provenance={"seed": 3},
    )
    back = store.load_image(v)
    assert back.mode == "RGBA" and back.info.get("icc_profile") == icc
    assert np.array_equal(np.asarray(back), np.asarray(image))
    assert np.array_equal(store.load_mask(v), mask)
    assert np.array_equal(np.asarray(store.load_comparison(v)), np.asarray(_img(2)))
    for sha in (v.image_sha256, v.mask_sha256, v.comparison_sha256):
        assert sha is not None
        assert sha256(store.object_path(sha).read_bytes()).hexdigest() == sha
    got = store.get(v.id)
    assert (
        got == v and got.qa == {"passed": True, "checks": [1, 2]} and got.provenance == {"seed": 3}
    )
    assert got.created.endswith("Z") and datetime.fromisoformat(got.created).tzinfo is not None
    # the same pixels again: a new version, no new file
    before = _objects(store)
    v2 = store.add_version("chat", parent=v.id, edit="again", image=image)
    assert v2.id != v.id and v2.image_sha256 == v.image_sha256 and _objects(store) == before


def test_mask_as_image_and_mismatched_mask(store: Store) -> None:
    mask = Image.new("L", (32, 32), 0)
    mask.paste(255, (0, 0, 10, 5))
    v = store.add_version("s", parent=None, edit="e", image=_img(0), mask=mask)
    assert store.load_mask(v).sum() == 50
    with pytest.raises(InputError, match="must match"):
        store.add_version("s", parent=None, edit="e", image=_img(0), mask=np.ones((16, 32), bool))
    assert len(store.history("s")) == 1


def test_encode_png_is_deterministic() -> None:
    assert encode_png(_img(5, "RGBA")) == encode_png(_img(5, "RGBA"))


@pytest.mark.parametrize(
    ("kwargs", "err", "needle"),
    [
        ({"session": "bad name"}, InputError, "session name"),
        ({"session": ""}, InputError, "session name"),
        ({"edit": "  "}, InputError, "edit must be"),
        ({"image": np.zeros((4, 4, 3))}, InputError, "PIL image"),
        ({"parent": "0123456789ab"}, StoreError, "does not exist"),
    ],
)
def test_add_version_checks_inputs(store: Store, kwargs: dict, err: type, needle: str) -> None:
    args = {"session": "s", "parent": None, "edit": "e", "image": _img(0)} | kwargs
    session = args.pop("session")
    with pytest.raises(err, match=needle):
        store.add_version(session, **args)
    assert store.sessions() == []


def test_put_file_refuses_what_is_not_png_or_tiff(store: Store) -> None:
    with pytest.raises(InputError, match="PNG and TIFF files only"):
        store.put_file(b"GIF89a...")


# ------------------------------------------------------------------------------- references


def test_refs_resolve_every_form(store: Store) -> None:
    a, b, c = _chain(store, "chat", 3)
    for ref in (c, "@" + c, c[:4], "@" + c[:6].upper(), "current", "@current", f"{c}~0"):
        assert store.resolve(ref, "chat").id == c, ref
    assert store.resolve("current~1", "chat").id == b
    assert store.resolve(f"@{c[:5]}~2", "chat").id == a
    assert store.resolve(b).id == b  # no session: any session's version


@pytest.mark.parametrize(
    "ref", ["", "@", "zz12", "abc", "@current~", "current~-1", "a/b", "../etc", "@abcd ef"]
)
def test_malformed_ref_is_a_store_error(store: Store, ref: str) -> None:
    with pytest.raises(StoreError, match="not a version reference"):
        store.resolve(ref, "chat")


def test_missing_foreign_ambiguous_and_too_far_back(store: Store, monkeypatch) -> None:
    (a,) = _chain(store, "chat", 1)
    (other,) = _chain(store, "other", 1, seed=1)
    with pytest.raises(StoreError, match=r"no version '@0000' in session 'chat'"):
        store.resolve("@0000", "chat")
    with pytest.raises(StoreError, match=r"no version '@\w+' in session 'chat'") as err:
        store.resolve("@" + other, "chat")
    assert "other" not in str(err.value)  # another session is never named
    with pytest.raises(StoreError, match="goes back 1 versions"):
        store.resolve("current~1", "chat")
    with pytest.raises(StoreError, match="needs a session"):
        store.resolve("current")
    with pytest.raises(StoreError, match="no versions yet"):
        store.resolve("current", "empty")
    ids = iter(["abcd00000001", "abcd11111111"])
    monkeypatch.setattr(db_mod, "new_id", lambda: next(ids))
    store.add_version("chat", parent=a, edit="x", image=_img(7))
    store.add_version("chat", parent=a, edit="y", image=_img(8))
    with pytest.raises(StoreError, match="ambiguous"):
        store.resolve("abcd", "chat")
    assert store.resolve("abcd1", "chat").id == "abcd11111111"


def test_parse_ref() -> None:
    assert parse_ref("@Current~3").model_dump() == {"base": "current", "back": 3}
    assert parse_ref(" 3f2a9c ").model_dump() == {"base": "3f2a9c", "back": 0}


# ------------------------------------------------------------------------------- undo, branches


def test_revert_then_edit_starts_a_branch(store: Store) -> None:
    v1, v2, v3 = _chain(store, "chat", 3)
    assert store.current("chat").id == v3
    assert store.revert("chat", "current~2").id == v1
    assert store.current("chat").id == v1
    assert [v.id for v in store.history("chat")] == [v1, v2, v3]  # nothing deleted
    v4 = store.add_version(
        "chat", parent=store.current("chat").id, edit="cooler sky", image=_img(40)
    ).id
    assert store.current("chat").id == v4 and store.get(v3).parent == v2  # v3 untouched
    tree = store.tree("chat")
    nodes = {n.id: n for n in tree.versions}
    assert tree.roots == [v1] and tree.current == v4
    assert nodes[v1].children == [v2, v4] and nodes[v2].children == [v3]
    assert [n.id for n in tree.versions if n.current] == [v4]
    text = format_tree(tree).splitlines()
    assert text[0] == f"session chat: 4 version(s), current @{v4}"
    line4 = next(line for line in text[1:] if v4 in line)
    assert line4.startswith("*") and f"branch from @{v1}" in line4 and "cooler sky" in line4
    # the branch is indented one step deeper than the chain it left
    assert line4.index(v4) > next(line for line in text[1:] if v2 in line).index(v2)
    # revert can go forward again to the abandoned line
    assert store.revert("chat", v3[:6]).id == v3


def test_revert_refuses_foreign_and_missing(store: Store) -> None:
    (a,) = _chain(store, "chat", 1)
    (b,) = _chain(store, "other", 1, seed=1)
    with pytest.raises(StoreError, match="no version .* in session 'chat'"):
        store.revert("chat", b)
    with pytest.raises(StoreError, match="no version"):
        store.revert("chat", "@ffffffff")
    assert store.current("chat").id == a and store.current("other").id == b


def test_parent_from_another_session_is_refused_and_leaves_no_row(store: Store) -> None:
    (b,) = _chain(store, "other", 1, seed=1)
    with pytest.raises(StoreError, match="is not in session 'chat'"):
        store.add_version("chat", parent=b, edit="e", image=_img(99))
    assert store.current("chat") is None
    with pytest.raises(StoreError, match="no session 'chat'"):
        store.history("chat")
    assert store.gc().files_removed == 1  # its image was written first, now an orphan


def test_sessions_listing(store: Store) -> None:
    _chain(store, "a", 2)
    _chain(store, "b", 1, seed=3)
    got = [(s.name, s.versions) for s in store.sessions()]
    assert got == [("b", 1), ("a", 2)]


def test_long_chain_tree_is_flat_and_draws() -> None:
    class V:
        def __init__(self, i: int) -> None:
            self.id, self.parent = f"{i:012x}", (f"{i - 1:012x}" if i else None)
            self.created, self.edit = "2026-01-01T00:00:00.000Z", f"edit {i}"

    rows = [V(i) for i in range(3000)]
    tree = build_tree("long", rows, rows[-1].id)
    assert tree.roots == [rows[0].id] and len(tree.model_dump_json()) > 0
    lines = format_tree(tree).splitlines()
    assert len(lines) == 3001 and lines[-1].startswith("* " + rows[-1].id)


# ------------------------------------------------------------------------------- gc


def test_gc_collects_orphans_and_old_temp_files_only(store: Store) -> None:
    (v,) = _chain(store, "chat", 1)
    orphan = store.put_file(encode_png(_img(50)))
    sub = store.object_path(orphan).parent
    fresh, stale = sub / ".tmp-1-aa-x.png", sub / ".tmp-2-bb-y.png"
    fresh.write_bytes(b"partial")
    stale.write_bytes(b"partial!")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    stray = sub / "notes.txt"
    stray.write_text("not ours")
    orphan_size = store.object_path(orphan).stat().st_size
    report = store.gc()
    assert report.files_removed == 1 and report.temp_files_removed == 1 and report.files_kept == 1
    assert report.bytes_freed == orphan_size + len(b"partial!")
    assert not store.object_path(orphan).exists() and not stale.exists()
    assert fresh.exists() and stray.exists()  # a live writer may still be filling a fresh temp
    assert store.object_path(store.get(v).image_sha256).exists()
    assert store.gc(temp_grace_s=0).temp_files_removed == 1 and not fresh.exists()
    assert store.verify() == []


def test_file_collected_before_the_transaction_is_rewritten(store: Store, monkeypatch) -> None:
    """A gc running between add_version's file writes and its transaction deletes the (still
    unreferenced) files; add_version re-checks under the write lock and writes them again."""
    real_put = Store.put_file

    def put_then_collected(self: Store, data: bytes) -> str:
        sha = real_put(self, data)
        self.gc()  # what a concurrent `retouch gc` would do right now
        assert not self.object_path(sha).exists()
        return sha

    monkeypatch.setattr(Store, "put_file", put_then_collected)
    v = store.add_version(
        "chat", parent=None, edit="e", image=_img(3), mask=np.ones((32, 32), bool)
    )
    assert store.verify() == []
    assert np.array_equal(np.asarray(store.load_image(v)), np.asarray(_img(3)))


def _age(store: Store, vid: str, days: float) -> None:
    when = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")
    with sqlite3.connect(store.db_path) as conn:
        conn.execute(
            "UPDATE versions SET created = ? WHERE id = ?", (when.replace("+00:00", "Z"), vid)
        )


def test_gc_keep_days_prunes_old_dead_branches_only(store: Store) -> None:
    v1, v2, v3 = _chain(store, "chat", 3)
    v4 = store.add_version("chat", parent=v1, edit="branch", image=_img(10)).id
    v5 = store.add_version("chat", parent=v4, edit="branch 2", image=_img(11)).id
    v6 = store.add_version("chat", parent=v2, edit="recent branch", image=_img(12)).id
    store.revert("chat", v3)
    (w1,) = _chain(store, "other", 1, seed=7)
    for vid in (v1, v2, v3, v4, v5, w1):
        _age(store, vid, 30)
    v5_image = store.object_path(store.get(v5).image_sha256)
    report = store.gc(keep_days=7)
    # v4 and v5: old, not current, nothing kept below them. v6 is recent; v3 is current; v1, v2
    # are their ancestors; w1 is other's current.
    assert report.versions_removed == [v4, v5]
    assert [v.id for v in store.history("chat")] == [v1, v2, v3, v6]
    assert report.files_removed == 2 and not v5_image.exists()
    assert store.verify() == []
    # ten days on, v6 is old too and goes; the current chain stays
    report = store.gc(keep_days=7, now=datetime.now(UTC) + timedelta(days=10))
    assert report.versions_removed == [v6]
    assert [v.id for v in store.history("chat")] == [v1, v2, v3]
    assert store.current("other").id == w1
    with pytest.raises(InputError, match="out of range"):
        store.gc(keep_days=-1)


# ------------------------------------------------------------------------------- damage and setup


def test_missing_or_damaged_file_is_reported(store: Store) -> None:
    a, b = _chain(store, "chat", 2)
    store.object_path(store.get(a).image_sha256).unlink()
    path_b = store.object_path(store.get(b).image_sha256)
    path_b.write_bytes(path_b.read_bytes()[:-10] + b"0123456789")
    problems = store.verify()
    assert len(problems) == 2 and "missing" in problems[0] and "damaged" in problems[1]
    with pytest.raises(StoreError, match="missing"):
        store.load_image(store.get(a))
    with pytest.raises(StoreError, match="damaged"):
        store.load_image(store.get(b))


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with sqlite3.connect(store.db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer retouch"):
        Store(tmp_path)


def test_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "history.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable history database"):
        Store(tmp_path)


def test_unwritable_data_dir(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the data directory"):
        Store(tmp_path / "file" / "data")


def test_default_data_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RETOUCH_DATA_DIR", str(tmp_path / "env"))
    assert default_data_dir() == tmp_path / "env"
    assert Store().data_dir == tmp_path / "env" and (tmp_path / "env" / "history.sqlite3").exists()
    monkeypatch.delenv("RETOUCH_DATA_DIR")
    import platformdirs

    assert default_data_dir() == Path(platformdirs.user_data_dir("retouch", appauthor=False))


def test_png_bytes_open_as_stored(store: Store) -> None:
    v = store.add_version("s", parent=None, edit="e", image=_img(4, "LA"))
    data = store.read_file(v.image_sha256)
    assert Image.open(io.BytesIO(data)).mode == "LA"
