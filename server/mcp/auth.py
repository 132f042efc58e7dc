"""Who is calling: bearer tokens over HTTP, one principal per token (issue 31: private sessions).

    RETOUCH_MCP_TOKEN=...            one token, one user: the local user (principal None), as stdio
    RETOUCH_MCP_TOKEN_FILE=tokens    several tokens, one principal per token; a line is
                                     ``NAME TOKEN`` (``#`` starts a comment)

A history session belongs to the principal whose call first named it (server/history/store.py:
``Store.check_owner``); a principal resolves versions only within its own sessions, and an error
never names another principal's session. ``principal()`` reads the SDK's authenticated token of
the call being served; stdio, in-memory clients and the one-token case are the local user (None),
who sees every session. Imports the MCP SDK only inside functions.
"""

from __future__ import annotations

import hmac
import os
import re
import stat
from pathlib import Path
from typing import Any

from retouch.planner.contract.errors import InputError

TOKEN_FILE_ENV = "RETOUCH_MCP_TOKEN_FILE"
LOCAL_CLIENT = "retouch-client"  # the client id of the one-token case: the local user
PRINCIPAL_PREFIX = "principal:"  # client ids of token-file principals
MIN_TOKEN_CHARS = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def read_token_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """{token: principal} from a token file (module doc). InputError naming the line for a bad
    line, a repeated name or token, a token under MIN_TOKEN_CHARS, or an empty file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        mode = p.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the token file {p} ({exc}); give a readable UTF-8 file"
        ) from exc
    tokens: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not _NAME.fullmatch(parts[0]):
            raise InputError(
                f"token file {p} line {n}: expected 'NAME TOKEN' (a name of letters, digits, "
                "'.', '_' or '-', then the token)"
            )
        name, token = parts
        if len(token) < MIN_TOKEN_CHARS:
            raise InputError(
                f"token file {p} line {n}: the token of {name!r} is {len(token)} characters; "
                f"give at least {MIN_TOKEN_CHARS} (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        if token in tokens or name in tokens.values():
            raise InputError(f"token file {p} line {n}: {name!r} or its token appears twice")
        tokens[token] = name
    if not tokens:
        raise InputError(f"token file {p} names no principal; add lines 'NAME TOKEN'")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        import logging

        logging.getLogger("retouch").warning(
            "the token file %s is readable by other users; chmod 600 it", p
        )
    return tokens


class BearerTokens:
    """TokenVerifier for a token file: constant-time compare against every token, the matching
    one's principal as the client id (``principal:NAME``)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._tokens = [(t.encode(), name) for t, name in tokens.items()]

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        given, found = token.encode(), None
        for secret, name in self._tokens:  # no early exit: time does not depend on which
            if hmac.compare_digest(given, secret):
                found = name
        if found is None:
            return None
        return AccessToken(token=token, client_id=PRINCIPAL_PREFIX + found, scopes=[])


def principal() -> str | None:
    """The principal of the call being served: a token file's NAME, or None for the local user
    (stdio, in memory, or the one-token case)."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    if token is None or not token.client_id.startswith(PRINCIPAL_PREFIX):
        return None
    return token.client_id.removeprefix(PRINCIPAL_PREFIX)


def http_auth(
    loopback: bool, token: str | None, token_file: str | None, argv: list[str]
) -> dict[str, str] | None:
    """Check ``retouch serve --http``'s authentication settings; the token file's {token:
    principal}, or None for one token or none. InputError when the server would listen beyond
    loopback without a token, or with a token under MIN_TOKEN_CHARS; a warning when the token was
    given on the command line (every user's ``ps`` shows it)."""
    import logging

    tokens = read_token_file(token_file) if token_file else None
    if token and tokens:
        raise InputError("give one token (--token or RETOUCH_MCP_TOKEN) or a token file, not both")
    if not loopback and not (token or tokens):
        raise InputError(
            "listening beyond loopback exposes the server; also set RETOUCH_MCP_TOKEN (or "
            f"--token, or {TOKEN_FILE_ENV} / --token-file for several users)"
        )
    if not loopback and token and len(token) < MIN_TOKEN_CHARS:
        raise InputError(
            f"the token is {len(token)} characters; beyond loopback give at least "
            f"{MIN_TOKEN_CHARS} (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if token and any(a == "--token" or a.startswith("--token=") for a in argv):
        logging.getLogger("retouch").warning(
            "--token on the command line is visible to every user in ps; set RETOUCH_MCP_TOKEN "
            "or use a token file instead"
        )
    return tokens
