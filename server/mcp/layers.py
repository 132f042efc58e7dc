"""The resource links of an edit's layer files (server/edits/files.py writes them): run_edit's
reply links each, named and described for an agent choosing which to open or hand on."""

from __future__ import annotations

from pathlib import Path

from mcp_types import ResourceLink
from retouch.server.mcp.schemas import FileRef
from retouch.server.mcp.toolkit import link

LAYER_FILES = {
    ".ora": "the layers as one OpenRaster file (GIMP, Krita, MyPaint)",
    ".psd": "the layers as one Photoshop file",
}


def layer_links(refs: list[FileRef]) -> list[ResourceLink]:
    """A resource link per layer file of a run (server/edits/files.py writes them): each
    layers/NN-name.png (bottom first, the last the composite), then the .ora and the .psd."""
    out = []
    for ref in refs:
        name = Path(ref.path).name
        what = LAYER_FILES.get(Path(name).suffix)
        if what is None:
            n, _, layer = Path(name).stem.partition("-")
            what = (
                "the visible layers composited (the result)"
                if layer == "composite"
                else f"layer {int(n)} from the bottom: {layer} (RGBA)"
            )
        out.append(link(ref, name, what))
    return out


def with_layers(
    refs: list[FileRef] | None, summary: str, links: list[ResourceLink]
) -> tuple[str, list[ResourceLink]]:
    """run_edit's summary and links, with a sentence and a link per file when it wrote layers."""
    if not refs:
        return summary, links
    return f"{summary} Layers: {len(refs)} files, linked below.", [*links, *layer_links(refs)]
