"""The canvas and the working size: from size words (or --extend) and the chosen family.

``words_canvas`` turns the first edit's size words into a ``CanvasPlan`` (planner/language/sizes.py does
the arithmetic); ``with_canvas`` makes the request and facts look as if --extend had been given,
which is what executors read. ``work_size`` is the size a whole-frame run works at. Every canvas
and work size is checked against the canvas pixel limit (bounds.check_canvas) before use.
"""

from __future__ import annotations

from retouch.planner.catalog.registry import FamilySpec
from retouch.planner.contract.schema import (
    CanvasPlan,
    CropPlan,
    EditRequest,
    Extend,
    ImageFacts,
    WorkSize,
)
from retouch.planner.language import sizes
from retouch.planner.language.intent import Intent

SIDE_WORDS = {"left": "left", "right": "right", "top": "top", "bottom": "bottom", "upper": "top",
              "lower": "bottom"}  # fmt: skip


def _sides(spatial: tuple[str, ...]) -> set[str]:
    return {SIDE_WORDS[w] for phrase in spatial for w in phrase.replace("-", " ").split()
            if w in SIDE_WORDS}  # fmt: skip


def words_canvas(
    request: EditRequest, facts: ImageFacts, it: Intent, multiple: int
) -> CanvasPlan | None:
    """The canvas the edit's size words ask for, when no mask, SAM prompt or --extend is given."""
    edit = it.first
    if edit.kind != "extend" or request.mask is not None:
        return None
    if request.sam is not None and not request.sam.empty:
        return None
    words = edit.size or sizes.default_words(edit.verb)
    ext, how = sizes.extension(words, facts.width, facts.height, _sides(edit.spatial), multiple)
    sizes.check_canvas(facts.width, facts.height, ext)
    return CanvasPlan(
        source="words",
        words=words.words,
        extend=ext,
        width=facts.width + ext.left + ext.right,
        height=facts.height + ext.top + ext.bottom,
        multiple_of=multiple,
        rule="canvas-from-words",
        reason=how,
    )


def with_canvas(
    request: EditRequest, facts: ImageFacts, canvas: CanvasPlan
) -> tuple[EditRequest, ImageFacts]:
    """The request and facts as if --extend had been given (executors read request.extend)."""
    update = sizes.canvas_facts(facts.width, facts.height, canvas.extend)
    return (
        request.model_copy(update={"extend": canvas.extend}),
        facts.model_copy(update=update),
    )


def given_canvas(ext: Extend, facts: ImageFacts) -> CanvasPlan:
    sizes.check_canvas(facts.width, facts.height, ext)
    return CanvasPlan(
        source="given",
        extend=ext,
        width=facts.width + ext.left + ext.right,
        height=facts.height + ext.top + ext.bottom,
        multiple_of=1,
        rule="outpaint-canvas",
        reason="the canvas extension as given",
    )


def work_size(
    mode: str, executor: str, crop: CropPlan, facts: ImageFacts, spec: FamilySpec
) -> WorkSize | None:
    """Whole-frame runs (SDEdit, instruct) work at the family's native area, then map back."""
    if executor != "diffusers" or mode not in ("sdedit", "instruct") or crop.enabled is not False:
        return None
    w, h = sizes.work_size(facts.out_width, facts.out_height, spec.native_resolution,
                           spec.multiple_of)  # fmt: skip
    sizes.check_canvas(w, h, None, "work size")
    return WorkSize(
        width=w,
        height=h,
        scale=round(w / facts.out_width, 4),
        reason=f"{spec.family} is trained at {spec.native_resolution}x{spec.native_resolution}: "
        f"the {facts.out_width}x{facts.out_height} frame runs at {w}x{h} (same aspect, sides a "
        f"multiple of {spec.multiple_of}) and the result is resized back",
    )
