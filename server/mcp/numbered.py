"""The text-mask preview: the mask overlay (outputs.mask_overlay) with every instance SAM 3 found
outlined and numbered, so an agent can name another by its id."""

from __future__ import annotations

import io
from collections.abc import Sequence

CHOSEN = (255, 60, 60)  # outline of the instances in the mask
OTHER = (255, 220, 0)  # outline of the others


def numbered_overlay(
    overlay_jpeg: bytes,
    size: tuple[int, int],
    boxes: Sequence[tuple[int, tuple[float, float, float, float]]],
    chosen: Sequence[int],
) -> bytes:
    """JPEG: ``overlay_jpeg`` (a preview of an image of ``size`` (W, H)) with each (id, XYXY box)
    outlined and labelled '#id'; the chosen ids in red, the others in yellow."""
    from PIL import Image, ImageDraw

    img = Image.open(io.BytesIO(overlay_jpeg)).convert("RGB")
    sx, sy = img.width / size[0], img.height / size[1]
    draw = ImageDraw.Draw(img)
    for n, (x0, y0, x1, y1) in boxes:
        colour = CHOSEN if n in chosen else OTHER
        xy = (x0 * sx, y0 * sy, max(x0 * sx, x1 * sx - 1), max(y0 * sy, y1 * sy - 1))
        draw.rectangle(xy, outline=colour, width=2)
        label = f"#{n}"
        tx, ty = xy[0] + 2, xy[1] + 1
        box = draw.textbbox((tx, ty), label)
        draw.rectangle(box, fill=(0, 0, 0))
        draw.text((tx, ty), label, fill=colour)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()
