"""Building an EditRequest from command-line strings, with one-line errors for bad input."""

from __future__ import annotations

import math

from pydantic import ValidationError
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import (
    EditGuidance,
    EditRequest,
    Extend,
    Preferences,
    SamPoint,
    SamPrompt,
)


def validation_message(exc: ValidationError) -> str:
    """One line from a pydantic error: the first problem, where it is, and the model's own advice."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
    msg = err.get("msg", "invalid value").removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def _numbers(text: str, count: int, what: str, example: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{what} {text!r} has a number that is not finite; give pixel numbers")
    if len(values) != count:
        raise InputError(
            f"{what} {text!r} is not {count} comma-separated numbers; write it as {example}"
        )
    return values


def parse_point(text: str) -> SamPoint:
    """``X,Y`` or ``X,Y:1`` (foreground) or ``X,Y:0`` (background), pixel coordinates."""
    coords, _, label = text.partition(":")
    x, y = _numbers(coords, 2, "--point", "X,Y or X,Y:1 (foreground) / X,Y:0 (background)")
    if label not in ("", "0", "1"):
        raise InputError(
            f"--point {text!r} has label {label!r}; the label is :1 (foreground) or :0"
        )
    return SamPoint(x=x, y=y, label=int(label or 1))


def parse_box(text: str) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = _numbers(text, 4, "--box", "X0,Y0,X1,Y1")
    if x1 <= x0 or y1 <= y0:
        raise InputError(f"--box {text} is inverted or empty; X1 must exceed X0 and Y1 exceed Y0")
    return (x0, y0, x1, y1)


def parse_extend(text: str) -> Extend:
    values = _numbers(text, 4, "--extend", "LEFT,TOP,RIGHT,BOTTOM in pixels, e.g. 0,0,256,0")
    if any(v < 0 or v != int(v) for v in values):
        raise InputError(f"--extend {text} must be whole, non-negative pixel counts")
    left, top, right, bottom = (int(v) for v in values)
    ext = Extend(left=left, top=top, right=right, bottom=bottom)
    if not ext.any:
        raise InputError("--extend 0,0,0,0 adds no canvas; give the pixels to add on some side")
    return ext


def check_reference(path: str) -> str:
    """A --reference path, checked before anything plans or loads: a readable image file.
    InputError for a version reference (the caller resolves those with --session), a missing
    file or a file that is not an image."""
    from retouch.planner.contract.imageio import open_image

    if not path.strip():
        raise InputError("--reference is empty; give the path of an image")
    if path.startswith("@"):
        raise InputError(
            f"--reference {path} is a version reference; give --session NAME to read it "
            "from the history"
        )
    open_image(path, what="reference image")
    return path


def build_request(
    image: str,
    edit: str,
    *,
    mask: str | None = None,
    points: list[str] | None = None,
    box: str | None = None,
    text: str | None = None,
    extend: str | None = None,
    scene: str | None = None,
    priority: str = "balanced",
    hardware: str = "gpu-24gb",
    seed: int | None = None,
    steps: int | None = None,
    families: list[str] | None = None,
    licence: str = "any",
    reference: str | None = None,
) -> EditRequest:
    """EditRequest from CLI strings. Raises InputError with a one-line message on bad input."""
    if not edit.strip():
        raise InputError('the edit text is empty; describe the edit, e.g. "remove the sign"')
    sam = None
    if text is not None and not text.strip():
        raise InputError("--text is empty; name the object, e.g. --text 'the dog on the left'")
    try:
        if points or box or text:
            sam = SamPrompt(
                points=[parse_point(p) for p in points or []],
                box=parse_box(box) if box else None,
                text=text,
            )
        return EditRequest(
            image=image,
            edit=edit,
            mask=mask,
            sam=sam,
            extend=parse_extend(extend) if extend else None,
            scene=scene,
            guidance=EditGuidance(image=reference) if reference is not None else None,
            preferences=Preferences(
                priority=priority,
                hardware=hardware,
                seed=seed,
                steps=steps,
                families=families or None,
                licence=licence,
            ),
        )
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from None
