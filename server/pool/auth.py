"""Ray token authentication for the pool: where the token lives, making one (0600), turning token
mode on for this process, and asking a cluster whether it refuses callers without a token.

Ray 2.60 reads ``RAY_AUTH_MODE=token`` and the token from ``RAY_AUTH_TOKEN``,
``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token`` (the path ``ray get-auth-token --generate``
writes), so a token made here is the one ``ray start`` on this machine uses. Anyone who reaches an
unauthenticated cluster's ports runs code on it; the pool commands refuse one unless told
``--insecure`` (the front: ``RETOUCH_POOL_INSECURE=1``). Ray is imported inside the functions.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from retouch.planner.contract.errors import InputError

MODE_ENV = "RAY_AUTH_MODE"
TOKEN_ENV = "RAY_AUTH_TOKEN"
PATH_ENV = "RAY_AUTH_TOKEN_PATH"
INSECURE_ENV = "RETOUCH_POOL_INSECURE"


def insecure_from_env() -> bool:
    """``RETOUCH_POOL_INSECURE=1``: the front (``retouch serve --pool``) may use an open cluster."""
    return os.environ.get(INSECURE_ENV, "").strip().lower() in ("1", "true", "yes")


def token_path() -> Path:
    """Where Ray looks for the token file: ``$RAY_AUTH_TOKEN_PATH``, else ``~/.ray/auth_token``."""
    given = os.environ.get(PATH_ENV, "").strip()
    return Path(given).expanduser() if given else Path.home() / ".ray" / "auth_token"


def ensure_token(path: Path, generate: bool) -> tuple[Path, str]:
    """(the token file, what happened: "found", "generated" or "tightened"). A file readable by
    group or others is made 0600; with ``generate`` a missing one is created 0600, whole or not
    at all. Raises InputError for a missing file (without ``generate``) or an empty one."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if not generate:
            raise InputError(
                f"no Ray auth token at {path}; copy the cluster's token there (chmod 600) or set "
                f"{PATH_ENV}, or pass --insecure for a cluster without authentication"
            ) from None
        return _generate(path), "generated"
    except OSError as exc:
        raise InputError(f"cannot read the Ray auth token {path} ({exc.strerror})") from exc
    what = "found"
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o600)
        what = "tightened"
    if not path.read_text().strip():
        raise InputError(f"the Ray auth token {path} is empty; delete it and run again to make one")
    return path, what


def _generate(path: Path) -> Path:
    """A new random token in ``path`` (0600, parent 0700 when made here), written whole."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)  # fails if another process made one meanwhile: keep theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path


def enable_token_mode(path: Path | None) -> None:
    """Token mode for this process and the Ray processes it starts (``path``: the token file;
    None when ``RAY_AUTH_TOKEN`` carries the token itself)."""
    os.environ[MODE_ENV] = "token"
    if path is not None:
        os.environ[PATH_ENV] = str(path)
    _reload_ray_config()


def disable_token_mode() -> None:
    """``--insecure`` with ``--address local``: a private Ray without authentication."""
    os.environ[MODE_ENV] = "disabled"
    _reload_ray_config()


def _reload_ray_config() -> None:
    """Ray caches its config (and the token) when first imported: make it read the env again."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
    except ImportError:  # no ray: nothing cached
        return
    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


def secure(generate: bool) -> str:
    """Turn token mode on for this process; return one line saying where the token is.
    ``generate``: make a token if there is none (the pool's own commands)."""
    if os.environ.get(TOKEN_ENV, "").strip():
        enable_token_mode(None)
        return f"Ray token authentication on (token from ${TOKEN_ENV})"
    path, what = ensure_token(token_path(), generate)
    enable_token_mode(path)
    said = {
        "found": "token",
        "generated": "new token (give this file to every node and client)",
        "tightened": "token (its mode was loose; now 0600)",
    }[what]
    return f"Ray token authentication on; {said} at {path}"


def cluster_requires_token(gcs_address: str, timeout: float = 5) -> bool:
    """True when the GCS at ``HOST:PORT`` refuses a call that carries no token, False when it
    answers one (an open cluster). Raises ConnectionError when it does neither."""
    import grpc
    from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

    with grpc.insecure_channel(gcs_address) as channel:
        stub = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel)
        try:
            stub.GetAllNodeInfo(gcs_service_pb2.GetAllNodeInfoRequest(), timeout=timeout)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                return True
            msg = f"the GCS at {gcs_address} did not answer: {exc.code().name}"
            raise ConnectionError(msg) from exc
    return False
