"""``retouch demo``: the main job end to end on a real sample photo (scikit-image's astronaut).

Removes the space-shuttle model behind the astronaut: writes the source photo and its mask, plans the
edit, and writes the skill doc and plan.json into OUT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli import run_guarded

DEMO_EDIT = "remove the space shuttle model in the background"
DEMO_SCENE = (
    "studio portrait of an astronaut in an orange flight suit in front of a mottled grey "
    "backdrop, American flag on the left"
)
DEMO_BOX = (344, 0, 474, 292)  # XYXY around the shuttle model in skimage.data.astronaut()


def write_sample(out: Path) -> tuple[Path, Path]:
    """Write the astronaut photo and a mask over the shuttle model; return their paths."""
    import numpy as np
    import skimage.data
    from PIL import Image

    from planner.imageio import array_to_mask

    out.mkdir(parents=True, exist_ok=True)
    photo = skimage.data.astronaut()
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
    """Run the main job on a sample photo: plan (and, where available, edit and check) a removal."""

    def body() -> None:
        from server.commands.plan import plan_request
        from server.requests import build_request

        source, mask = write_sample(out)
        request = build_request(str(source), DEMO_EDIT, mask=str(mask), scene=DEMO_SCENE)
        plan, doc = plan_request(request, out)
        typer.echo(f"source  {source}  ({plan.facts.width}x{plan.facts.height})")
        typer.echo(f"mask    {mask}  ({plan.facts.mask_area:.1%} of the image)")
        typer.echo(
            f"plan    {plan.mode} with {plan.model.family}, dilate {plan.mask.dilate_px} px, "
            f"text CFG {plan.guidance.text}, crop {plan.crop.enabled}"
        )
        typer.echo(f"        rules: {', '.join(r.id for r in plan.rules)}")
        typer.echo(f"doc     {doc}")

    run_guarded(body)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
