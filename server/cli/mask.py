"""``retouch mask``: a mask PNG (255 = edit) from words (SAM 3), or from clicks and/or a box (SAM 1,
SAM 2.1, or the GrabCut fallback)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from retouch.server.cli import options as o
from retouch.server.cli.app import run_guarded

SamOpt = Annotated[
    str | None,
    typer.Option(
        "--sam",
        metavar="CHECKPOINT",
        help="Segment Anything: a SAM 1 .pth, or a transformers folder (or cached Hub id) of SAM "
        "2.1 (clicks, boxes) or SAM 3 (--text); default $RETOUCH_SAM_CHECKPOINT, else for words "
        "facebook/sam3 from the Hugging Face cache, for clicks the lower-quality GrabCut fallback.",
        show_default=False,
    ),
]
SamType = Annotated[
    str,
    typer.Option(
        "--sam-type",
        metavar="TYPE",
        help="SAM 1 checkpoint type: vit_b, vit_l or vit_h; auto reads it from the checkpoint.",
    ),
]
Text = Annotated[
    str | None,
    typer.Option(
        "--text",
        help="The object in words, e.g. 'the dog on the left', 'all the cars' (SAM 3): every "
        "instance is listed, the words choose among them.",
        show_default=False,
    ),
]
InstanceOpt = Annotated[
    str | None,
    typer.Option(
        "--instance",
        metavar="N|all",
        help="With --text: use instance N of those listed (or all of them) instead of the words' "
        "choice.",
        show_default=False,
    ),
]
Invert = Annotated[
    bool,
    typer.Option(
        "--invert",
        help="Write the inverse: everything but the object (e.g. to replace a background).",
    ),
]
Dilate = Annotated[
    int, typer.Option("--dilate", min=0, metavar="PX", help="Grow the written mask by PX pixels.")
]
Out = Annotated[
    Path,
    typer.Option(
        "--out", metavar="MASK.png", help="Mask PNG to write (255 = edit).", show_default=False
    ),
]


def write_png(image, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Save a PIL image as PNG atomically: a temp file beside ``path``, then rename over it."""
    from retouch.planner.contract.atomic import atomic_save

    atomic_save(path, lambda tmp: image.save(tmp, format="PNG"))


def instance_lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    """One line per instance SAM 3 found, the chosen ones marked with *."""
    return [
        f"{'*' if i.id in result.chosen else ' '} #{i.id} box "
        f"{', '.join(f'{v:.0f}' for v in i.box)}  score {i.score:.2f}  area {i.area:.1%}"
        for i in result.instances
    ]


def mask_cmd(
    image: o.Image,
    out: Out,
    point: o.Points = None,
    box: o.Box = None,
    text: Text = None,
    instance: InstanceOpt = None,
    sam: SamOpt = None,
    sam_type: SamType = "vit_b",
    invert: Invert = False,
    dilate: Dilate = 0,
) -> None:
    """Make a mask from --text words, or --point clicks and/or a --box (pixels): 255 = edit."""

    def body() -> None:
        from retouch.executors.segment.sam import check_sam_type
        from retouch.planner.contract.errors import InputError
        from retouch.planner.contract.imageio import array_to_mask, open_image
        from retouch.server.edits.masks import find_mask

        # 1. check every input before any model runs
        if out.suffix.lower() != ".png":
            raise InputError(f"--out {out} must end in .png; a lossy format would blur the mask")
        check_sam_type(sam_type)
        target, prompt = _prompt(point, box, text, instance)
        # 2. segment (the prompt is checked against the image size), invert, dilate
        hard, result = find_mask(
            open_image(image),
            prompt,
            checkpoint=sam,
            sam_type=sam_type,
            pick=target.pick if target else None,
            instance=int(instance) if instance and _small_number(instance) else instance,
            invert=invert,
            dilate_px=dilate,
        )
        for line in instance_lines(result):
            typer.echo(line)
        if result.method == "grabcut":
            typer.echo(f"note: {result.note}", err=True)
        # 3. write, say what was written
        write_png(array_to_mask(hard), out)
        how = {"sam": f"SAM {result.sam_type}", "face": "face models"}.get(result.method, "GrabCut")
        typer.echo(
            f"wrote {out} ({how}, score {result.score:.2f}, {hard.mean():.1%} of the image "
            f"is edit{', inverted' if invert else ''}{f', dilated {dilate} px' if dilate else ''})"
        )

    run_guarded(body)


def _prompt(
    point: list[str] | None, box: str | None, text: str | None, instance: str | None
) -> tuple[Any, Any]:
    """(the words' target or None, the SamPrompt) from --point, --box and --text; InputError for
    an --instance that is neither a listed number nor 'all'."""
    from retouch.planner.contract.errors import InputError
    from retouch.planner.contract.schema import SamPrompt
    from retouch.planner.language.picks import read
    from retouch.server.requests import parse_box, parse_point

    if instance is not None and instance != "all" and not _small_number(instance):
        raise InputError(
            f"--instance {instance[:20]!r} must be a number from the list (0-9999) or 'all'"
        )
    target = read(text) if text is not None else None
    prompt = SamPrompt(
        points=[parse_point(p) for p in point or []],
        box=parse_box(box) if box else None,
        text=target.text if target else None,
    )
    return target, prompt


def register(app: typer.Typer) -> None:
    app.command("mask")(mask_cmd)


def _small_number(text: str) -> bool:
    """An instance index as typed: ASCII digits, at most four (more instances are never listed)."""
    return text.isascii() and text.isdigit() and len(text) <= 4
