"""The request and plan models: retouch's contract between planner, executors, server and tools.

``plan.json`` is ``EditPlan.model_dump_json()``. Field names here are read by other tools; rename
nothing without a migration. Coordinates are pixels in the source image, XYXY boxes, origin top-left.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from retouch.planner.contract.bounds import MAX_OBJECT_CHARS, MAX_SIDE, Int, Num, path_field
from retouch.planner.contract.readiness import Degradation
from retouch.planner.contract.request import (  # noqa: F401  (re-exported: the contract's names live here)
    PLAN_SCHEMA_VERSION,
    EditGuidance,
    EditRequest,
    ExecutorName,
    Extend,
    FacePart,
    Family,
    Fraction,
    Grow,
    GuidanceKind,
    Hardware,
    LicencePreference,
    MaskSource,
    Mode,
    Pixel,
    Preferences,
    Priority,
    QAStatus,
    SamPoint,
    SamPrompt,
    Scale,
    Seconds,
    Seed,
    Side,
    Steps,
    _Strict,
)
from retouch.planner.contract.understood import EditStep, ParsedWords, WorkSize

# --------------------------------------------------------------------------------------------- facts


class ImageFacts(_Strict):
    """What the planner knows about the inputs, read with Pillow only."""

    width: Side = Field(description="Source width in pixels (after EXIF orientation).")
    height: Side = Field(description="Source height in pixels (after EXIF orientation).")
    mode: str = Field(description="Pillow mode of the source, e.g. RGB, RGBA, L, I;16.")
    has_alpha: bool = Field(description="Whether the source carries an alpha channel.")
    mask_area: Fraction | None = Field(
        default=None, description="Fraction of the image the edit region covers, 0..1."
    )
    mask_bbox: tuple[Pixel, Pixel, Pixel, Pixel] | None = Field(
        default=None, description="Bounding box of the edit region, XYXY pixels, exclusive end."
    )
    mask_bbox_area: Fraction | None = Field(
        default=None, description="Fraction of the image the edit region's bounding box covers."
    )
    mask_touches_border: bool | None = Field(
        default=None, description="Whether the edit region reaches the image border."
    )
    mask_regions: Int(0, MAX_SIDE**2) | None = Field(
        default=None, description="Number of separate regions in the mask (8-connected)."
    )
    extend: Extend | None = Field(default=None, description="Requested canvas extension.")
    ring_words: str | None = Field(
        default=None,
        description="The ring just outside the mask in words (dominant colour and texture), for "
        "removal prompts when no scene caption says what is behind the object.",
    )

    @property
    def out_width(self) -> int:
        return self.width + (self.extend.left + self.extend.right if self.extend else 0)

    @property
    def out_height(self) -> int:
        return self.height + (self.extend.top + self.extend.bottom if self.extend else 0)


# --------------------------------------------------------------------------------------------- plan


def _weights_id(value: str, info: ValidationInfo) -> str:
    """A model id or folder the OS can take (its length and encoding checked, planner/bounds)."""
    return path_field(value, f"{info.field_name} of the weights") or value


class CitedScore(_Strict):
    """A published benchmark score of the chosen weights, with where it was read."""

    bench: Literal["GEdit-Bench-EN", "ImgEdit"] = Field(description="Benchmark name.")
    value: Num(0, 10) = Field(
        description="Overall score (GEdit-Bench-EN 0-10, ImgEdit 1-5), as published."
    )
    weights: str = Field(description="Published weights the score is for (a Hub id).")
    source: str = Field(description="Title of the paper or report the score was read in.")
    url: str = Field(description="Where that source is published.")
    note: str = Field(description="The table and row, and who measured it.")


class ModelChoice(_Strict):
    family: Family = Field(description="Model family chosen (see the model registry).")
    id: str = Field(description="Hugging Face model id or local directory of the chosen weights.")
    pipeline: str = Field(description="diffusers pipeline class that runs this family.")
    alternates: list[str] = Field(
        default_factory=list, description="Other families that would also do, best first."
    )
    native_resolution: Int(64, 8192) = Field(
        description="Side in pixels the family was trained at."
    )
    vram_gb: Num(0, 4096) = Field(description="Estimated peak VRAM for one edit, GiB.")
    offload: bool = Field(
        default=False, description="Whether model CPU offload is needed to fit the hardware."
    )
    licence: str | None = Field(
        default=None, description="Licence of the chosen weights: an SPDX id or the licence's name."
    )
    commercial_use: bool | None = Field(
        default=None, description="Whether that licence allows commercial use."
    )
    quality_rule: str | None = Field(
        default=None,
        description="The rule that chose this family by published quality; null when the "
        "family was not chosen by quality.",
    )
    cited_scores: list[CitedScore] = Field(
        default_factory=list,
        description="Published scores of the chosen weights behind quality_rule (empty when "
        "none is sourced or the family was not chosen by quality).",
    )

    _id_text = field_validator("id")(_weights_id)


class MaskPlan(_Strict):
    source: MaskSource = Field(description="Where the edit mask comes from.")
    invert: bool = Field(
        default=False,
        description="Regenerate the inverse of the mask (e.g. the background around a SAM subject).",
    )
    dilate_px: Grow = Field(default=0, description="Grow the mask by this many pixels, 0..4096.")
    feather_px: Grow = Field(
        default=0, description="Soften the stitch edge over this many px, 0..4096."
    )
    sam_model: str | None = Field(
        default=None, description="Segment Anything type (vit_b/vit_l/vit_h) when SAM is used."
    )
    text: str | None = Field(
        default=None,
        max_length=MAX_OBJECT_CHARS,
        description="The object's name SAM 3 segments when source is text ('the dog'), or the "
        "face words when source is face ('her glasses').",
    )
    pick: str | None = Field(
        default=None,
        description="Which instances the words choose (planner/language/picks.py): left, right, top-left, "
        "largest, back, left:2 (second from the left), all, ...; null = the most confident.",
    )
    part: FacePart | None = Field(
        default=None,
        description="The face part the face models mask when source is face: face, eyes, brows, "
        "glasses, nose, mouth or beard.",
    )
    note: str = Field(default="", description="How the mask is produced, in one sentence.")

    @field_validator("text")
    @classmethod
    def _named(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():  # SAM 3 and the face words need a name
            raise ValueError("mask.text is empty; name what the mask covers ('the dog') or null it")
        return v


class ControlNetPlan(_Strict):
    type: Literal["openpose"] = Field(description="Kind of control signal.")
    id: str = Field(description="ControlNet model id.")
    conditioning_scale: Num(0, 5) = Field(description="controlnet_conditioning_scale, 0..5.")
    image: str = Field(description="What the control image is and who supplies it.")

    _id_text = field_validator("id")(_weights_id)


class Guidance(_Strict):
    kind: GuidanceKind = Field(
        description="cfg: classifier-free guidance (a negative prompt applies); distilled: the "
        "model takes the scale as an input (Flux), no negative prompt, no extra batch."
    )
    text: Scale = Field(description="Text guidance scale (guidance_scale), 0..100.")
    image: Scale | None = Field(
        default=None,
        description="Image guidance scale (image_guidance_scale), 0..100; null if unused.",
    )
    meaning: str = Field(description="What the scales mean for this family, in one sentence.")


class CropPlan(_Strict):
    enabled: bool | Literal["auto"] = Field(
        description="Run the model only on the mask's padded bounding box(es); auto: decide once "
        "the SAM mask is known."
    )
    padding_px: Pixel = Field(default=0, description="Context margin around each box, px.")
    multiple_of: Int(1, 128) = Field(
        default=8, description="Box sides are rounded up to this multiple, 1..128."
    )
    resize_to: Int(8, 8192) | None = Field(
        default=None, description="Long side the crop is resized to before the model (native)."
    )
    box: tuple[Pixel, Pixel, Pixel, Pixel] | None = Field(
        default=None, description="Padded union box, XYXY pixels (one box per region at run time)."
    )
    reason: str = Field(default="", description="Why crop is on or off.")


class Prompt(_Strict):
    original: str = Field(description="The edit text as the user wrote it.")
    positive: str = Field(description="Prompt given to the model.")
    negative: str = Field(default="", description="Negative prompt (cfg families only).")
    describes_whole_image: bool = Field(
        description="Whether the positive prompt describes the whole image, as it should."
    )
    built_by: str = Field(
        default="",
        description="Prompt template (planner/language/prompts.py) that built the positive.",
    )
    token_limit: int = Field(
        default=77,
        ge=1,
        le=4096,
        description="Text-encoder tokens the family reads (77 for CLIP, start and end included).",
    )
    tokens: int = Field(
        default=0, ge=0, le=4096, description="Estimated tokens of the positive prompt as given."
    )
    dropped: list[str] = Field(
        default_factory=list,
        description="Words left out, least important first, to keep the prompt within the limit.",
    )


class PlanChange(_Strict):
    field: str = Field(description="Dotted plan field, e.g. mask.dilate_px or guidance.text.")
    op: Literal["set", "add", "multiply"] = Field(description="How the value changes.")
    value: float | int | str | bool | None = Field(description="Operand.")


class Fix(_Strict):
    summary: str = Field(description="The fix in words.")
    changes: list[PlanChange] = Field(
        default_factory=list, description="The fix as changes to the plan, applied on retry."
    )


class QAItem(_Strict):
    id: str = Field(description="Check id (outside-unchanged, seam, color-shift, ...).")
    measure: str = Field(description="What is measured, and in what unit.")
    threshold: Num(-1e9, 1e9) = Field(description="Limit the measured value is compared with.")
    passes_when: Literal["<=", ">=", "=="] = Field(description="value <op> threshold passes.")
    band: tuple[Num(-1e9, 1e9), Num(-1e9, 1e9)] | None = Field(
        default=None, description="Expected range instead of a one-sided limit (structure)."
    )
    fix: Fix = Field(description="What to change when the check fails.")
    status: QAStatus = Field(
        default="pending", description="pending: measured after the edit; warn: known risk now."
    )


class CanvasPlan(_Strict):
    source: Literal["given", "words"] = Field(
        description="given: the canvas extension given; words: computed from size words in the edit text."
    )
    words: str = Field(default="", description="The size words read, empty for a given extension.")
    extend: Extend = Field(description="Pixels of new canvas per side.")
    width: int = Field(ge=1, le=65536, description="Width of the extended canvas, px.")
    height: int = Field(ge=1, le=65536, description="Height of the extended canvas, px.")
    multiple_of: int = Field(
        ge=1, le=128, description="Each computed side is rounded to this multiple (the family's)."
    )
    rule: str = Field(description="Rule that used it.")
    reason: str = Field(description="How the extension was found, one line.")


class RuleHit(_Strict):
    id: str = Field(description="Rule id from the planner's rule table.")
    why: str = Field(description="The rule's reason, one sentence.")


class StageLatency(_Strict):
    stage: str = Field(description="Pipeline stage.")
    seconds: Seconds = Field(description="Estimated seconds.")


class Latency(_Strict):
    hardware: Hardware = Field(description="Hardware class the estimate is for.")
    stages: list[StageLatency] = Field(description="Estimated seconds per stage, warm models.")
    total_s: Seconds = Field(description="Sum of the stages, seconds.")
    cold_load_s: Seconds = Field(description="Extra seconds to load weights the first time.")


class EditPlan(_Strict):
    """A complete, explained plan for one edit. Serialised as plan.json."""

    schema_version: Int(1, PLAN_SCHEMA_VERSION) = Field(
        default=PLAN_SCHEMA_VERSION, description="plan.json version (1..2)."
    )
    request: EditRequest = Field(description="The request this plan answers.")
    facts: ImageFacts = Field(description="What was read from the inputs.")
    intent: str = Field(description="What the edit text asks for (remove, replace-sky, ...).")
    sequence: list[EditStep] = Field(
        default_factory=list,
        description="Every edit recognised in the text, in order; this plan carries out the first.",
    )
    understood: list[ParsedWords] = Field(
        default_factory=list,
        description="Words read from the (first) edit and the rule or template that used each.",
    )
    canvas: CanvasPlan | None = Field(
        default=None, description="Canvas extension for outpainting, given or from size words."
    )
    work_size: WorkSize | None = Field(
        default=None,
        description="Size the model runs at when it sees the whole frame (no crop): the family's "
        "native area at the source's aspect; null when it runs on crops or needs no model.",
    )
    mode: Mode = Field(description="inpaint | outpaint | sdedit | instruct | repaint.")
    executor: ExecutorName = Field(description="diffusers or classical (weight-free).")
    model: ModelChoice = Field(description="Base model and alternates.")
    mask: MaskPlan = Field(description="Mask source and preparation.")
    controlnet: ControlNetPlan | None = Field(default=None, description="ControlNet, if any.")
    guidance: Guidance = Field(description="Guidance scales and what they mean.")
    strength: Fraction | None = Field(
        default=None, description="SDEdit t/T in 0..1; null for plain inpainting."
    )
    strength_sweep: list[Fraction] | None = Field(
        default=None,
        max_length=16,
        description="Strengths to try when near the 0.5-0.6 fidelity cliff.",
    )
    steps: Steps = Field(description="Denoising steps, 1..500.")
    seed: Seed = Field(description="Random seed, 0..2**32-1.")
    crop: CropPlan = Field(description="Crop-to-mask decision.")
    color_match: bool = Field(
        default=False, description="Match the regenerated region's colour to its surroundings."
    )
    prompt: Prompt = Field(description="Original, positive and negative prompts.")
    qa: list[QAItem] = Field(description="QA checklist with thresholds and fixes.")
    rules: list[RuleHit] = Field(description="Rules that fired, in order, each with its reason.")
    latency: Latency = Field(description="Estimated seconds per stage.")
    layers: bool = Field(
        default=False,
        description="Whether the run also writes the edit as layers (request.layers or words "
        "such as 'split into layers').",
    )
    warnings: list[str] = Field(default_factory=list, description="Known risks, one line each.")
    runnable: bool | None = Field(
        default=None,
        description="Whether this machine can carry the plan out now (weights, checkpoint and "
        "control image present, or an honest substitute); null when not assessed.",
    )
    missing: list[str] = Field(
        default_factory=list,
        description="What this machine lacks to run the plan (weights, a checkpoint, a control "
        "image), each with how to get it; empty when runnable.",
    )
    degraded: list[Degradation] = Field(
        default_factory=list,
        description="What will run here instead of what was planned (executor, model, mask "
        "source, hardware), each with how to get the planned one.",
    )
