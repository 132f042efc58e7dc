"""QA's fidelity facts: what a result holds (size, mode, bit depth), in memory or as written.

``size_mode`` judges them against the source (the size-mode check); ``visible`` drops the pixels
under alpha 0 from a region (they are not shown, so no pixel measure judges them). Imports the
executors' image room and planner only.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from retouch.executors.images.encode import kind, read_back
from retouch.planner.contract.imageio import bit_depth

Held = tuple[tuple[int, int], str, int, str]
"""What a result holds: size (W, H), mode (RGB;16 / RGBA;16 for 16-bit colour), bits per channel
value, and where it was read ("in memory" or "as written")."""


def memory_facts(image: Image.Image) -> Held:
    """What the in-memory ``image`` holds."""
    return image.size, kind(image), bit_depth(image), "in memory"


def written_facts(written: bytes) -> Held:
    """What an encoded file holds, re-read from its bytes."""
    got = read_back(written)
    return got.size, got.mode, got.depth, "as written"


def size_mode(source: Image.Image, held: Held, expected: tuple[int, int]) -> tuple[float, str]:
    """1.0 when the result is ``expected`` (W, H) in the source's mode and bit depth, else 0.0;
    and the sentence that says both."""
    (rw, rh), mode, depth, where = held
    w, h = expected
    want_mode, want_depth = kind(source), bit_depth(source)
    if want_mode == "PA":  # modes.merge gives PA back as RGBA
        want_mode = "RGBA"
    same = (rw, rh) == (w, h) and (mode, depth) == (want_mode, want_depth)
    return 1.0 if same else 0.0, (
        f"result {rw}x{rh} {mode} {depth}-bit ({where}), expected {w}x{h} {want_mode} "
        f"{want_depth}-bit"
    )


def visible(region: np.ndarray | None, result: Image.Image) -> np.ndarray | None:
    """``region`` bool (H, W) less the result's pixels under alpha 0 (not shown: a transparent
    background extended stays transparent, and there is nothing to judge there)."""
    if region is None or result.mode not in ("RGBA", "LA"):
        return region
    alpha = np.asarray(result)[..., -1]
    return region & (alpha > 0) if alpha.shape == region.shape else region
