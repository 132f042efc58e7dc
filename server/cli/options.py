"""Options shared by several commands (plan, edit, mask), defined once."""

from __future__ import annotations

from typing import Annotated

import typer
from retouch.planner.contract.schema import Hardware, LicencePreference, Priority

Image = Annotated[
    str, typer.Argument(help="Source image (PNG, JPEG, WebP...).", show_default=False)
]
Edit = Annotated[str, typer.Argument(help='The edit in words, e.g. "remove the sign".')]
Mask = Annotated[str | None, typer.Option("--mask", help="Mask image, same size; white = edit.")]
Points = Annotated[
    list[str] | None,
    typer.Option(
        "--point", help="SAM click X,Y[:1|0] in pixels (1 = on the object, 0 = background); repeat."
    ),
]
Box = Annotated[str | None, typer.Option("--box", help="SAM box X0,Y0,X1,Y1 in pixels.")]
Text = Annotated[
    str | None,
    typer.Option(
        "--text", help="The object to edit, in words (SAM 3), e.g. 'the dog on the left'."
    ),
]
ExtendOpt = Annotated[
    str | None, typer.Option("--extend", help="Outpaint: pixels to add LEFT,TOP,RIGHT,BOTTOM.")
]
Reference = Annotated[
    str | None,
    typer.Option(
        "--reference",
        help="Reference image the edit uses, e.g. the logo of 'put this logo on the shirt' "
        "(Qwen-Image-Edit or FLUX.2 klein read it).",
    ),
]
Scene = Annotated[
    str | None,
    typer.Option("--scene", help="Caption of the whole image as it should look after the edit."),
]
PriorityOpt = Annotated[Priority, typer.Option("--priority", help="quality, balanced or latency.")]
HardwareOpt = Annotated[
    Hardware,
    typer.Option(
        "--hardware", help="Hardware class to plan for (gpu-24gb: L4/4090; gpu-80gb: A100/H100)."
    ),
]
LicenceOpt = Annotated[
    LicencePreference,
    typer.Option("--licence", help="open: only weights licensed for commercial use; any: all."),
]
Seed = Annotated[int | None, typer.Option("--seed", min=0, help="Random seed.")]
Steps = Annotated[int | None, typer.Option("--steps", min=1, max=500, help="Denoising steps.")]
Json = Annotated[bool, typer.Option("--json", help="Also print the plan as JSON on stdout.")]
MachineHardware = Annotated[
    Hardware | None,
    typer.Option("--hardware", help="Hardware class to plan for; default: this machine's."),
]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", help="Model folder or Hugging Face id instead of the plan's."),
]
SamCheckpoint = Annotated[str | None, typer.Option("--sam", help="Segment Anything checkpoint.")]
DeviceOpt = Annotated[
    str | None,
    typer.Option("--device", help="cpu, cuda, cuda:N or mps; default: the best present."),
]
