"""planner.atomic inside ``confined``: folders are opened without following symlinks and must
pass the check; ``read_confined`` reads a file the same way (issue 31, check what you use)."""

from __future__ import annotations

from pathlib import Path

import pytest
from retouch.planner.contract.atomic import (
    atomic_write,
    confined,
    make_dirs,
    read_confined,
    rename_dir,
)
from retouch.planner.contract.errors import InputError


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    return root.resolve(), outside.resolve()


def inside(root: Path):  # type: ignore[no-untyped-def]
    return lambda p: p == root or p.is_relative_to(root)


def test_writes_and_folders_inside_the_root_work(dirs: tuple[Path, Path]) -> None:
    root, _ = dirs
    with confined(inside(root)):
        make_dirs(root / "a" / "b")
        atomic_write(root / "a" / "b" / "f.txt", "hello")
        moved = rename_dir(root / "a" / "b", "c")
    assert (moved / "f.txt").read_text() == "hello"
    assert [p.name for p in moved.iterdir()] == ["f.txt"]  # no temp file left
    assert read_confined(moved / "f.txt", inside(root), 100, "image") == b"hello"


def test_a_symlinked_folder_is_refused_and_nothing_is_written_through_it(
    dirs: tuple[Path, Path],
) -> None:
    root, outside = dirs
    (root / "out").symlink_to(outside, target_is_directory=True)
    with confined(inside(root)):
        with pytest.raises(InputError, match="changed while"):
            atomic_write(root / "out" / "f.txt", "x")
        with pytest.raises(InputError, match="changed while"):
            make_dirs(root / "out" / "new")
        with pytest.raises(InputError, match="changed while"):
            atomic_write(outside / "f.txt", "x")  # the check refuses a folder outside the root
    assert list(outside.iterdir()) == []
    # outside ``confined`` the same write follows the link, as before
    atomic_write(root / "out" / "f.txt", "x")
    assert (outside / "f.txt").read_text() == "x"


def test_read_confined_refuses_a_swapped_file_or_folder(dirs: tuple[Path, Path]) -> None:
    root, outside = dirs
    (outside / "secret.png").write_bytes(b"secret")
    (root / "pics").mkdir()
    (root / "pics" / "photo.png").symlink_to(outside / "secret.png")
    (root / "dir").symlink_to(outside, target_is_directory=True)
    check = inside(root)
    for path in (root / "pics" / "photo.png", root / "dir" / "secret.png"):
        with pytest.raises(InputError, match="changed while"):
            read_confined(path, check, 100, "image")
    (root / "big.png").write_bytes(b"x" * 101)
    with pytest.raises(InputError, match="file-size limit"):
        read_confined(root / "big.png", check, 100, "image")


def test_undo_never_removes_through_a_folder_swapped_for_a_symlink(
    dirs: tuple[Path, Path],
) -> None:
    from retouch.planner.contract.atomic import undo_on_failure

    root, outside = dirs
    (outside / "f.txt").write_text("not the call's")
    with pytest.raises(RuntimeError), undo_on_failure():
        atomic_write(root / "run" / "f.txt", "x")
        atomic_write(root / "kept" / "g.txt", "y")
        (root / "run").rename(root / "run-orig")
        (root / "run").symlink_to(outside, target_is_directory=True)
        raise RuntimeError("the call failed")
    assert (outside / "f.txt").read_text() == "not the call's"
    assert not (root / "kept").exists()  # the rest was undone, folder and all
