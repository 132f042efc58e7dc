"""Ranges for every number retouch accepts, and the checks that refuse names the OS cannot take.

Numeric fields of the request, the plan and the MCP tools' inputs are typed with ``Int(lo, hi)`` or
``Num(lo, hi)``: pydantic enforces the range (NaN and infinity included) and the JSON schema shows
it as ``minimum``/``maximum``; a value outside gives one error naming the field, the value and the
range, e.g. ``mask.dilate_px: 100000 is out of range 0..4096``. Expensive values also have caps
scaled to the image where they are used (executors/images/masks.py).

``check_path_text`` refuses a path the OS or the JSON encoder rejects (not UTF-8, a NUL byte, a name
over NAME_MAX bytes, a path over PATH_MAX bytes) with an InputError before anything opens it.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field, ValidationError, WrapValidator
from retouch.planner.contract.errors import InputError

MAX_SIDE = 65_536
"""Largest image side, px, any coordinate may name (PNG and the planner's canvas limit)."""
MAX_EXTEND = 16_384
"""Largest canvas extension per side, px."""
DEFAULT_MAX_CANVAS_PIXELS = 4_096 * 4_096
"""Largest extended canvas, pixels (RETOUCH_MAX_CANVAS_PIXELS overrides; never above the image
limit, RETOUCH_MAX_PIXELS): a 1000x1000 PNG extended 2000 px per side took 114 s of CPU."""
MAX_MASK_PX = 4_096
"""Largest dilation or feather radius a plan may ask for, px (also capped by the image's side)."""
MAX_SEED = 2**32 - 1
"""Largest seed: NumPy's and every diffusers pipeline's generator take 32-bit seeds."""
MAX_STEPS = 500
"""Most denoising steps."""
MAX_POINTS = 64
"""Most Segment Anything clicks in one prompt."""
MAX_EDIT_CHARS = 2_000
"""Longest edit text or scene caption, characters (text encoders read 77-512 tokens)."""
MAX_OBJECT_CHARS = 200
"""Longest object name for SAM 3 ('the dog on the left')."""
NAME_MAX = 255
"""Longest file-name component, bytes (Linux, macOS, Windows)."""
PATH_MAX = 4_096
"""Longest path, bytes (Linux)."""

_RANGE_ERRORS = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "finite_number",
}


def _ranged(lo: float, hi: float) -> WrapValidator:
    def wrap(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if all(e["type"] in _RANGE_ERRORS for e in exc.errors()):
                raise ValueError(f"{value!r} is out of range {lo}..{hi}") from None
            raise

    return WrapValidator(wrap)


def Int(lo: int, hi: int) -> Any:  # noqa: N802 - reads as a type in annotations
    """``int`` limited to lo..hi (inclusive)."""
    return Annotated[int, Field(ge=lo, le=hi), _ranged(lo, hi)]


def Num(lo: float, hi: float) -> Any:  # noqa: N802 - reads as a type in annotations
    """Finite ``float`` limited to lo..hi (inclusive); NaN and infinity are refused."""
    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False), _ranged(lo, hi)]


def check_path_text(path: str | os.PathLike[str], what: str) -> str:
    """``path`` as text if the OS and a JSON encoder can take it; InputError saying why not."""
    raw = os.fspath(path)
    if isinstance(raw, bytes):
        raw = os.fsdecode(raw)
    if "\x00" in raw:
        raise InputError(f"{what} path contains a NUL byte; give a plain file path")
    try:
        data = raw.encode("utf-8")
    except UnicodeEncodeError:
        shown = raw.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise InputError(
            f"{what} path {shown} is not valid UTF-8; rename the file with a UTF-8 name"
        ) from None
    if len(data) > PATH_MAX:
        raise InputError(
            f"{what} path is {len(data)} bytes long, over the {PATH_MAX}-byte limit; use a "
            "shorter path"
        )
    for part in raw.split("/"):
        if len(part.encode("utf-8")) > NAME_MAX:
            raise InputError(
                f"{what} path has a name of {len(part.encode('utf-8'))} bytes "
                f"({part[:24]}...), over the {NAME_MAX}-byte limit; use a shorter name"
            )
    return raw


def path_field(value: str | None, what: str) -> str | None:
    """A pydantic validator's body for a path field: ``value`` unchanged, or ValueError."""
    if value is None:
        return value
    try:
        check_path_text(value, what)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return value
