"""The pool's token file handling (no Ray cluster): where the token is, making one 0600,
tightening a loose one, refusing a missing or empty one, and token mode in the environment."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from retouch.planner.contract.errors import InputError
from retouch.server.pool import auth


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (auth.MODE_ENV, auth.TOKEN_ENV, auth.PATH_ENV, auth.INSECURE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(auth, "_reload_ray_config", lambda: None)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_token_path_is_rays_default_unless_the_env_names_one(tmp_path: Path) -> None:
    assert auth.token_path() == tmp_path / "home" / ".ray" / "auth_token"
    os.environ[auth.PATH_ENV] = str(tmp_path / "elsewhere" / "tok")
    assert auth.token_path() == tmp_path / "elsewhere" / "tok"


def test_a_missing_token_is_generated_0600_and_kept_on_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".ray" / "auth_token"
    got, what = auth.ensure_token(path, generate=True)
    assert (got, what) == (path, "generated")
    token = path.read_text()
    assert len(token) == 64 and int(token, 16) >= 0
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["auth_token"]  # no temp file left
    assert auth.ensure_token(path, generate=True) == (path, "found")
    assert path.read_text() == token
    other = tmp_path / "second"
    auth.ensure_token(other, generate=True)
    assert other.read_text() != token


def test_a_missing_token_without_generate_says_where_and_how(tmp_path: Path) -> None:
    path = tmp_path / "nope"
    with pytest.raises(InputError) as err:
        auth.ensure_token(path, generate=False)
    msg = str(err.value)
    assert str(path) in msg and auth.PATH_ENV in msg and "--insecure" in msg
    assert not path.exists()


def test_a_loose_token_is_made_0600_and_an_empty_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "tok"
    path.write_text("abc")
    path.chmod(0o644)
    assert auth.ensure_token(path, generate=False) == (path, "tightened")
    assert mode(path) == 0o600
    path.write_text("  \n")
    with pytest.raises(InputError, match="is empty"):
        auth.ensure_token(path, generate=True)


def test_secure_turns_token_mode_on_and_says_where_the_token_is(tmp_path: Path) -> None:
    line = auth.secure(generate=True)
    path = tmp_path / "home" / ".ray" / "auth_token"
    assert os.environ[auth.MODE_ENV] == "token"
    assert os.environ[auth.PATH_ENV] == str(path)
    assert str(path) in line and "new token" in line and path.exists()
    assert "new token" not in auth.secure(generate=False)


def test_a_token_in_the_environment_is_used_and_no_file_made(tmp_path: Path) -> None:
    os.environ[auth.TOKEN_ENV] = "x" * 32
    line = auth.secure(generate=True)
    assert os.environ[auth.MODE_ENV] == "token" and auth.TOKEN_ENV in line
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(
    ("value", "insecure"), [("1", True), ("yes", True), ("0", False), ("", False)]
)
def test_insecure_from_env(value: str, insecure: bool) -> None:
    os.environ[auth.INSECURE_ENV] = value
    assert auth.insecure_from_env() is insecure
