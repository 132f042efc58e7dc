"""`retouch history / show / revert / gc` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from retouch.server.cli.app import get_app
from retouch.server.history.store import Store, encode_png
from typer.testing import CliRunner

runner = CliRunner()


def _img(seed: int, mode: str = "RGBA") -> Image.Image:
    arr = np.random.default_rng(seed).integers(0, 256, (24, 24, len(mode)), dtype=np.uint8)
    return Image.fromarray(arr, mode)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def chat(data: Path) -> dict[str, str]:
    """Session "chat": a -> b -> c, then a -> d (a branch; d current). Session "other": o."""
    store = Store(data)
    mask = np.zeros((24, 24), dtype=bool)
    mask[2:6, 2:6] = True
    a = store.add_version(
        "chat",
        parent=None,
        edit="remove the sign",
        image=_img(0),
        mask=mask,
        comparison=_img(9, "RGB"),
    ).id
    b = store.add_version("chat", parent=a, edit="make the sky warmer", image=_img(1)).id
    c = store.add_version("chat", parent=b, edit="warmer still", image=_img(2)).id
    d = store.add_version("chat", parent=a, edit="make the sky cooler", image=_img(3, "RGB")).id
    o = store.add_version("other", parent=None, edit="crop", image=_img(4)).id
    return {"a": a, "b": b, "c": c, "d": d, "o": o}


def invoke(data: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(get_app(), [*args, "--data-dir", str(data)])


def _one_error_line(r, code: int, needle: str) -> None:  # type: ignore[no-untyped-def]
    assert r.exit_code == code, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr


def test_history_json_and_tree(data: Path, chat: dict[str, str]) -> None:
    r = invoke(data, "history", "chat", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [row["id"] for row in rows] == [chat[k] for k in "abcd"]
    assert {"id", "parent", "created", "edit"} <= set(rows[0])
    assert [row["parent"] for row in rows] == [None, chat["a"], chat["b"], chat["a"]]
    assert [row["current"] for row in rows] == [False, False, False, True]
    assert rows[1]["edit"] == "make the sky warmer" and rows[0]["created"].endswith("Z")
    r = invoke(data, "history", "chat")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f"session chat: 4 version(s), current @{chat['d']}"
    assert lines[-1].startswith("*") and f"branch from @{chat['a']}" in lines[-1]
    assert "crop" not in r.stdout


def test_history_lists_sessions(data: Path, chat: dict[str, str]) -> None:
    r = invoke(data, "history", "--json")
    assert r.exit_code == 0, r.output
    got = {s["name"]: (s["versions"], s["current"]) for s in json.loads(r.stdout)}
    assert got == {"chat": (4, chat["d"]), "other": (1, chat["o"])}
    r = invoke(data, "history")
    assert "chat  4 version(s)" in r.stdout and "other  1 version(s)" in r.stdout


def test_data_dir_from_environment(data: Path, chat: dict[str, str], monkeypatch) -> None:
    monkeypatch.setenv("RETOUCH_DATA_DIR", str(data))
    r = runner.invoke(get_app(), ["history", "other", "--json"])
    assert r.exit_code == 0, r.output
    assert [row["id"] for row in json.loads(r.stdout)] == [chat["o"]]


def test_show_writes_files(data: Path, chat: dict[str, str], tmp_path: Path) -> None:
    store = Store(data)
    a = store.get(chat["a"])
    out, mask, cmp_ = tmp_path / "a.png", tmp_path / "m.png", tmp_path / "c.png"
    r = invoke(
        data,
        "show",
        "@" + chat["a"][:5],
        "--out",
        str(out),
        "--mask",
        str(mask),
        "--comparison",
        str(cmp_),
    )
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == store.object_path(a.image_sha256).read_bytes()  # byte for byte
    assert np.array_equal(np.asarray(Image.open(mask)) >= 128, store.load_mask(a))
    assert np.array_equal(np.asarray(Image.open(cmp_)), np.asarray(_img(9, "RGB")))
    assert "remove the sign" in r.stdout and f"wrote {out}" in r.stdout
    # another format, re-encoded losslessly; @current~1 needs the session
    tif = tmp_path / "b.tif"
    r = invoke(data, "show", "@current~1", "--session", "chat", "--out", str(tif), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["id"] == chat["a"]
    assert np.array_equal(np.asarray(Image.open(tif)), np.asarray(_img(0)))


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["show", "@0000aaaa", "--out", "x.png"], 6, "no version '@0000aaaa'"),
        (["show", "not-a-ref"], 6, "is not a version reference"),
        (["show", "@current"], 6, "needs a session"),
        (["revert", "chat", "@ffffffffffff"], 6, "no version"),
        (["revert", "nosuch", "@current"], 6, "no versions yet"),
        (["history", "nosuch"], 6, "no session 'nosuch'"),
        (["history", "bad name"], 2, "session name"),
        (["gc", "--keep-days", "-1"], 2, "out of range"),
    ],
)
def test_bad_references_are_one_line_errors(
    data: Path, chat: dict[str, str], args: list[str], code: int, needle: str
) -> None:
    _one_error_line(invoke(data, *args), code, needle)


def test_foreign_version_is_refused(data: Path, chat: dict[str, str], tmp_path: Path) -> None:
    _one_error_line(invoke(data, "revert", "chat", chat["o"]), 6, "in session 'chat'")
    out = tmp_path / "o.png"
    _one_error_line(
        invoke(data, "show", chat["o"], "--session", "chat", "--out", str(out)),
        6,
        "in session 'chat'",
    )
    assert not out.exists()
    assert Store(data).current("chat").id == chat["d"]


def test_show_refuses_what_it_cannot_write(
    data: Path, chat: dict[str, str], tmp_path: Path
) -> None:
    _one_error_line(
        invoke(data, "show", chat["b"], "--out", str(tmp_path / "b.jpg")), 2, "transparency"
    )
    _one_error_line(
        invoke(data, "show", chat["b"], "--mask", str(tmp_path / "m.png")), 2, "has no mask"
    )
    _one_error_line(
        invoke(data, "show", chat["b"], "--out", str(tmp_path / "b.xyz")), 2, "unknown image suffix"
    )
    _one_error_line(
        invoke(data, "show", chat["b"], "--out", str(tmp_path / "no" / "b.png")),
        2,
        "does not exist",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing half-written


def test_revert_then_history(data: Path, chat: dict[str, str]) -> None:
    r = invoke(data, "revert", "chat", "@" + chat["c"][:6])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"session chat: current is now @{chat['c']} (warmer still)"
    rows = json.loads(invoke(data, "history", "chat", "--json").stdout)
    assert [row["id"] for row in rows if row["current"]] == [chat["c"]]
    assert len(rows) == 4  # undo deletes nothing


def test_gc(data: Path, chat: dict[str, str]) -> None:
    store = Store(data)
    orphan = store.put_file(encode_png(_img(77)))
    r = invoke(data, "gc")
    assert r.exit_code == 0, r.output
    assert "removed 0 version(s), 1 file(s)" in r.stdout
    assert not store.object_path(orphan).exists() and store.verify() == []
    r = invoke(data, "gc", "--keep-days", "0")  # every version is older than 0 days
    assert r.exit_code == 0, r.output
    # c (b's only child) is neither current nor an ancestor of d: b and c are pruned
    assert "removed 2 version(s)" in r.stdout
    assert [v.id for v in store.history("chat")] == [chat["a"], chat["d"]]
    assert store.verify() == []
