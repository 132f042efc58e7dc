"""``retouch demo``: the main job end to end on a real sample photo (scikit-image's rocket).

Removes the lightning mast to the right of the rocket: writes the source photo and a mask over the
mast, then runs ``retouch edit`` on them — plan (rules, skill doc, plan.json), carry out (on this
machine: the weight-free PatchMatch fill unless a GPU and the plan's weights are present), QA check —
and writes everything into OUT. No network and no weights are needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from retouch.server.cli.app import run_guarded

DEMO_EDIT = "remove the lightning mast on the right"
DEMO_SCENE = "a white rocket on its launch pad at dusk under a deep blue sky, floodlights below"
DEMO_BOX = (434, 118, 468, 402)  # XYXY around the right-hand mast in skimage.data.rocket()


def write_sample(out: Path) -> tuple[Path, Path]:
    """Write the rocket photo and a mask over the mast (255 = edit); return their paths."""
    import numpy as np
    import skimage.data
    from PIL import Image
    from retouch.planner.contract.imageio import array_to_mask

    out.mkdir(parents=True, exist_ok=True)
    photo = skimage.data.rocket()
    source = out / "source.png"
    Image.fromarray(photo).save(source)
    edit = np.zeros(photo.shape[:2], dtype=bool)
    x0, y0, x1, y1 = DEMO_BOX
    edit[y0:y1, x0:x1] = True
    mask = out / "mask.png"
    array_to_mask(edit).save(mask)
    return source, mask


def demo_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for everything the demo writes.")
    ] = Path("outputs/demo"),
) -> None:
    """Run the main job on a sample photo: mask, plan, edit and QA-check a removal."""

    def body() -> None:
        from retouch.server.cli.edit import edit_cmd

        source, mask = write_sample(out)
        typer.echo(f"source  {source}  (scikit-image rocket photo)")
        typer.echo(f"mask    {mask}  (box {','.join(map(str, DEMO_BOX))} over the mast)")
        typer.echo(f'edit    "{DEMO_EDIT}"')
        edit_cmd(
            image=str(source),
            edit=DEMO_EDIT,
            mask=str(mask),
            scene=DEMO_SCENE,
            out=out / "result.png",
        )

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
