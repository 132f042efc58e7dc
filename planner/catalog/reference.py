"""Reference images (``EditRequest.guidance.image``): which pipelines take one, and the prompt words.

Derived from the catalog entries' ``reference_modes`` (planner/catalog/families/), read by the planner (planner/plan.py, the ``reference-*`` rules of planner/rules.py)
and by the executors, which refuse a reference a pipeline would silently ignore:

    family            modes    how the diffusers pipeline takes it
    qwen-image-edit   instruct QwenImageEditPlusPipeline(image=[source, reference]): up to ~3 images
                               in all; each resized to ~1024^2 (VAE) and ~384^2 (the VL encoder),
                               whatever its size; the prompt names them "Picture 1", "Picture 2"
    flux2-klein       instruct Flux2KleinPipeline(image=[source, reference]): up to 4 references,
                               each at its own size (over 1 MP scaled down, sides floored to 16)
    flux2-klein       inpaint, Flux2KleinInpaintPipeline(image_reference=reference): conditions
                      outpaint the masked area on it

Qwen-Image-Edit's masked pipeline (QwenImageEditInpaintPipeline) reads one image only; LongCat,
Kontext, Fill, SD and SDXL read none.
"""

from __future__ import annotations

from retouch.planner.catalog.families import FAMILIES
from retouch.planner.catalog.specs import FamilySpec
from retouch.planner.contract.schema import Family, Mode, Prompt
from retouch.planner.language.prompts import tokens

REFERENCE_MODES: dict[Family, tuple[Mode, ...]] = {
    f: spec.reference_modes for f, spec in FAMILIES.items() if spec.reference_modes
}


def _best_default_score(spec: FamilySpec) -> float:
    """The default weights' best published GEdit-Bench-EN overall score (-1 when none)."""
    own = [
        s.value for s in spec.scores if s.bench == "GEdit-Bench-EN" and s.weights == spec.default_id
    ]
    return max(own, default=-1.0)


# The families that read a reference, the best published default weights first (the planner's
# reference-editor rule tries them in this order): qwen-image-edit, then flux2-klein.
REFERENCE_FAMILIES: tuple[Family, ...] = tuple(
    sorted(REFERENCE_MODES, key=lambda f: -_best_default_score(FAMILIES[f]))
)
NO_FAMILY_FIX = (
    "a reference image needs qwen-image-edit or flux2-klein: allow one of them "
    "(preferences.families), pick larger hardware, or drop the reference image"
)

# The prompt of an instruction edit with a reference: the source is the first image, the reference
# the second, as both model families number their inputs ("image 1", "image 2": BFL's FLUX.2
# prompting guide; Qwen's encoder labels them "Picture 1", "Picture 2").
REFERENCE_WORDS = "Image 1 is the photo to edit; image 2 is the reference image."


def takes_reference(family: str, mode: str) -> bool:
    """Whether ``family``'s pipeline for ``mode`` reads a reference image."""
    return mode in REFERENCE_MODES.get(family, ())  # type: ignore[call-overload]


def prompt_with_reference(prompt: Prompt, mode: str) -> Prompt:
    """The prompt of a plan with a reference: an instruction edit says which image is which (after
    the instruction); a masked fill's reference is its own input (``image_reference``) and its
    prompt stays as built."""
    if mode != "instruct":
        return prompt
    text = prompt.positive.strip()
    positive = f"{text}{' ' if text.endswith(('.', '!', '?')) else '. '}{REFERENCE_WORDS}"
    return prompt.model_copy(
        update={
            "positive": positive if text else REFERENCE_WORDS,
            "tokens": min(4096, tokens(positive)),
            "built_by": f"{prompt.built_by}+reference",
        }
    )
