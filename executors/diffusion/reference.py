"""The reference image of a multi-image edit (``EditRequest.guidance.image``): read, checked, and
refused where the model that runs would ignore it.

    read_reference(plan, given)        -> Reference | None   the RGB image the pipeline is given
    check_takes_reference(plan, ...)                          InputError / ModelMissingError when
                                                              the executor or family takes none

Which (family, mode) takes a reference is planner data (planner/catalog/reference.py). The reference goes
to the model whole, at its own size: each pipeline sizes extra images itself (Qwen-Image-Edit Plus
to ~1024^2 and ~384^2, klein to at most 1 MP with sides floored to 16), so it never has to match the
source. What klein's image processor refuses (a side under 64 px, an aspect over 8:1) is refused
here first, for every family, in words.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from PIL import Image
from retouch.executors.images import modes as imagemodes
from retouch.planner.catalog.reference import REFERENCE_FAMILIES, takes_reference
from retouch.planner.contract.errors import InputError, ModelMissingError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.imageio import open_image
from retouch.planner.contract.schema import EditPlan

MIN_SIDE = 64  # Flux2ImageProcessor.check_image_input: min_side_length
MAX_ASPECT = 8  # and max_aspect_ratio
WHAT = "reference image"


@dataclass(frozen=True)
class Reference:
    """The reference as the model gets it, and what provenance records of it."""

    image: Image.Image  # RGB, the file's own size (EXIF orientation applied)
    source: str  # the path read, or "given" for an image passed to run_plan
    mode: str  # the file's Pillow mode before conversion to RGB
    flattened: bool  # transparent pixels were composited onto white

    def params(self) -> dict[str, str | bool]:
        """Provenance parameters: path, size, mode and the sha256 of the RGB pixels (row-major
        uint8, so the same picture gives the same hash whatever file format held it)."""
        w, h = self.image.size
        return {
            "reference": self.source,
            "reference_size": f"{w}x{h}",
            "reference_mode": self.mode,
            "reference_flattened": self.flattened,
            "reference_sha256": hashlib.sha256(self.image.tobytes()).hexdigest(),
        }


def read_reference(plan: EditPlan, given: Image.Image | None) -> Reference | None:
    """The plan's reference image (``given`` replaces reading ``plan.request.guidance.image``);
    None when the plan has none. InputError for a missing or unreadable file, a side under
    ``MIN_SIDE`` or an aspect over ``MAX_ASPECT``, or an image given to a plan made without a
    reference."""
    guidance = plan.request.guidance
    if guidance is None:
        if given is not None:
            raise InputError(
                "a reference image was given but the plan was made without one; plan again "
                "with the reference image so the planner picks a model that reads it",
                [hint("reference")],
            )
        return None
    image = given if given is not None else open_image(guidance.image, what=WHAT)
    w, h = image.size
    if min(w, h) < MIN_SIDE or max(w, h) > MAX_ASPECT * min(w, h):
        raise InputError(
            f"{WHAT} is {w}x{h}; give one at least {MIN_SIDE} px on each side and at most "
            f"{MAX_ASPECT}:1 (FLUX.2 klein's limits)"
        )
    mode = image.mode
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")  # a logo's transparent pixels: onto white, and said so
        flattened = rgba.getextrema()[3][0] < 255
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
    else:
        flattened = False
        rgb = Image.fromarray(imagemodes.split(image).rgb)  # 16-bit, CMYK, L... as sources are
    return Reference(rgb, "given" if given is not None else guidance.image, mode, flattened)


def check_takes_reference(
    plan: EditPlan, family: str | None, *, model: str | None, executor: str, why: str
) -> None:
    """Refuse a run whose executor would ignore the plan's reference image.

    ``family``: the family that will run (None: the weight-free fill); ``model``: the --model
    given, if any; ``executor``: the executor asked for (auto, diffusers, classical); ``why``: the
    executor choice's reason (executors.select.choose_executor)."""
    if plan.request.guidance is None:
        return
    takers = " or ".join(REFERENCE_FAMILIES)
    if family is None:
        message = (
            f"the weight-free fill cannot use a {WHAT} ({why}); a reference edit needs "
            f"{plan.model.family} ({plan.model.id}) or another of {takers}"
        )
        if executor == "classical":
            raise InputError(
                f"{message}: use the executor auto or diffusers", [hint("executor", "auto")]
            )
        raise ModelMissingError(f"{message}: fetch it with `hf download {plan.model.id}`")
    if takes_reference(family, plan.mode):
        return
    if model is not None:
        raise InputError(
            f"model {model} holds {family}, which takes no {WHAT} in {plan.mode} edits; give "
            f"a {takers} model (Qwen-Image-Edit-2509/2511, FLUX.2 klein) or drop the reference",
            [hint("model")],
        )
    raise ModelMissingError(
        f"the plan's {plan.model.family} ({plan.model.id}) is not on this machine and the "
        f"{family} found instead takes no {WHAT}; fetch it with `hf download {plan.model.id}`"
    )
