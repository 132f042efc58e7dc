"""The envelope of the weight-free fill: what PatchMatch can honestly do, as data.

The classical executor copies patches of the known image into the region (executors/classical).
That removes a thin or small object on a background that repeats, and continues a background
across a new canvas strip; it cannot invent what the surroundings do not show. Each ``Limit`` is
one way an edit falls outside, with the threshold it is judged by and how that threshold was
measured. executors/envelope.py measures an image and region against them; executors/select.py
turns a broken limit into a refusal (``refuse``) or a ``degraded`` entry that names the model
family a GPU machine would run instead. Pure data: no numpy, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LimitId = Literal["envelope-face", "envelope-portrait", "envelope-large-hole", "envelope-structure"]

# --- how an edge is told (executors/envelope.edge_crossings) ---------------------------------------
EDGE_SIGMA = 1.5  # px: Gaussian on the luma before the gradient (ignores JPEG grain and noise)
EDGE_STRENGTH = 0.04  # luma (0..1) per px after that blur: a step of ~25/255 over ~2.5 px
EDGE_ANGLE = 35.0  # degrees: an edge within this of the boundary's normal runs into the region
EDGE_BAND = 4.0  # px: the band outside the region where entering edges are looked for
EDGE_MIN_PX = 6  # px: an entering edge is at least this many band pixels (not a speck)

# --- the thresholds (measured by tests/bench/bench_envelope.py; see each Limit's ``measured``) -----
FACE_COVER = 0.10  # share of a detected face's box inside the region (or a landmark in it)
HOLE_WIDTH_RATIO = 0.20  # the hole's inscribed diameter / the image's short side
STRUCTURE_WIDTH_PX = 64.0  # an edge must be bridged across more than this many px ...
STRUCTURE_CROSSINGS = 2  # ... and at least this many strong edges enter the region


@dataclass(frozen=True)
class Limit:
    """One edge of the envelope: when it is broken, what the fill cannot do, and whether a run is
    refused (``auto`` executor) or only marked degraded."""

    id: LimitId
    applies_to: tuple[str, ...]  # plan intents: remove | extend
    cannot: str  # completes "the weight-free fill, which ..."
    refuse: bool  # True: refuse under executor auto; classical on request still runs, degraded
    why: str  # the rule in one sentence, for plan.rules
    measured: str  # how the threshold was measured


LIMITS: dict[LimitId, Limit] = {
    "envelope-face": Limit(
        id="envelope-face",
        applies_to=("remove",),
        cannot="cannot rebuild a face",
        refuse=True,
        why=f"The region takes in an eye or the nose (dlib's 5 landmarks) or {FACE_COVER:.0%} of a "
        "detected face: patches copied from around it give a smear of skin where eyes, brows or "
        "a mouth were.",
        measured="dlib's HOG detector (executors/faces) on scikit-image's astronaut: the face "
        "box is (175, 76, 266, 167) and the freckles box of the weight-free cases covers all of "
        "it; the mouth alone is ~10% of the box, a mole-sized spot (10 px) ~1%, which stays a "
        "classical spot fill.",
    ),
    "envelope-portrait": Limit(
        id="envelope-portrait",
        applies_to=("extend",),
        cannot="only continues the background and cannot extend a person",
        refuse=False,
        why="The photo holds a face: a new strip beside a person needs their body or scene "
        "continued, which only a diffusion outpaint invents; the fill continues the background.",
        measured="any detected face counts: on scikit-image's astronaut a 16:9 extension cuts "
        "through her shoulders and the flag at both new edges.",
    ),
    "envelope-large-hole": Limit(
        id="envelope-large-hole",
        applies_to=("remove",),
        cannot="cannot invent content wider than its surroundings repeat",
        refuse=False,
        why=f"The hole is wider than {HOLE_WIDTH_RATIO:.0%} of the image's short side: the fill "
        "copies the nearest texture into a span its surroundings do not cover.",
        measured="tests/bench/bench_envelope.py, 252 square holes (16-160 px, 6 seeded places) "
        "on 7 scikit-image photos: PatchMatch's PSNR in the hole beats a flat fill of the ring's "
        "mean colour by +2.9 dB up to 10% of the short side, +1.6 dB at 15-20%, and by -0.4 to "
        "+0.5 dB from 20% on: past it the fill restores nothing the surroundings tell.",
    ),
    "envelope-structure": Limit(
        id="envelope-structure",
        applies_to=("remove", "extend"),
        cannot="cannot complete edges that cross the region",
        refuse=False,
        why=f"At least {STRUCTURE_CROSSINGS} strong edges run into a region wider than "
        f"{STRUCTURE_WIDTH_PX:g} px: lines that must continue across it break or bend in a patch "
        "copy.",
        measured="tests/bench/bench_envelope.py, the same holes split by entering edges: with 2 or "
        "more, PatchMatch's gain over a flat fill is +5.4 dB at 16 px, +3.8 at 32, +2.1 at 64, "
        "+0.5 at 96 and 128 and -0.2 at 160 px: past 64 px it no longer carries the lines "
        "across (the rocket's 34 px mast box, lattice beams across it, stays inside).",
    ),
}
