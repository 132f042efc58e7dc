"""The request and plan models: retouch's contract between planner, executors, server and tools.

``plan.json`` is ``EditPlan.model_dump_json()``. Field names here are read by other tools; rename
nothing without a migration. Coordinates are pixels in the source image, XYXY boxes, origin top-left.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.readiness import Degradation
from planner.understood import EditStep, ParsedWords, WorkSize

Mode = Literal["inpaint", "outpaint", "sdedit", "instruct", "repaint"]
ExecutorName = Literal["diffusers", "classical"]
Family = Literal[
    "sd-inpaint",
    "sdxl-inpaint",
    "flux-fill",
    "flux-kontext",
    "instruct-pix2pix",
    "sd",
    "sdxl",
    "ddpm",
    "flux2-klein",
    "qwen-image-edit",
    "longcat-image-edit",
]
LicencePreference = Literal["any", "open"]
MaskSource = Literal["given", "sam-points", "sam-box", "text", "canvas", "none"]
Priority = Literal["quality", "balanced", "latency"]
Hardware = Literal["cpu", "gpu-8gb", "gpu-12gb", "gpu-16gb", "gpu-24gb", "gpu-48gb", "gpu-80gb"]
GuidanceKind = Literal["cfg", "distilled"]
QAStatus = Literal["pending", "warn"]

PLAN_SCHEMA_VERSION = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------- request


class SamPoint(_Strict):
    x: float = Field(description="Column in pixels of the source image (0 = left edge).")
    y: float = Field(description="Row in pixels of the source image (0 = top edge).")
    label: Literal[0, 1] = Field(
        default=1, description="1 = a point on the object (foreground), 0 = background."
    )


class SamPrompt(_Strict):
    points: list[SamPoint] = Field(
        default_factory=list, description="Foreground/background clicks for Segment Anything."
    )
    box: tuple[float, float, float, float] | None = Field(
        default=None, description="Box around the object, XYXY pixels (x0, y0, x1, y1)."
    )
    text: str | None = Field(
        default=None,
        description="The object named in words, e.g. 'the dog on the left' (SAM 3); instead of "
        "points and box.",
    )

    @model_validator(mode="after")
    def _box_ordered(self) -> SamPrompt:
        if self.text is not None and not self.text.strip():
            raise ValueError("text is empty; name the object, e.g. 'the dog'")
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            if x1 <= x0 or y1 <= y0:
                raise ValueError(
                    f"box {self.box} is inverted or empty; give it as X0,Y0,X1,Y1 with X1>X0, Y1>Y0"
                )
        return self

    @property
    def empty(self) -> bool:
        return not self.points and self.box is None and not self.text


class Extend(_Strict):
    left: int = Field(default=0, ge=0, description="Pixels of new canvas added on the left.")
    top: int = Field(default=0, ge=0, description="Pixels of new canvas added on the top.")
    right: int = Field(default=0, ge=0, description="Pixels of new canvas added on the right.")
    bottom: int = Field(default=0, ge=0, description="Pixels of new canvas added at the bottom.")

    @property
    def any(self) -> bool:
        return bool(self.left or self.top or self.right or self.bottom)


class Preferences(_Strict):
    priority: Priority = Field(
        default="balanced",
        description="quality: best model that fits; latency: fastest adequate path; balanced: between.",
    )
    hardware: Hardware = Field(
        default="gpu-24gb",
        description="Hardware class the plan must fit and its latency is estimated for "
        "(gpu-24gb is an L4/RTX 4090 class card; gpu-80gb an A100/H100).",
    )
    families: list[Family] | None = Field(
        default=None, description="Allow-list of model families; null allows every family."
    )
    seed: int | None = Field(default=None, ge=0, description="Random seed; null picks 0.")
    steps: int | None = Field(default=None, ge=1, le=500, description="Override denoising steps.")
    licence: LicencePreference = Field(
        default="any",
        description="open: only weights whose licence allows commercial use (excludes FLUX.1 [dev], "
        "Kontext [dev], Fill [dev], FLUX.2 klein 9B); any: every licence.",
    )


class EditRequest(_Strict):
    """One edit: an image, what to do to it, and where."""

    image: str = Field(description="Path of the source image (or a history reference @VERSION).")
    edit: str = Field(description="The edit in plain words, e.g. 'remove the sign'.")
    mask: str | None = Field(
        default=None, description="Path of a mask image the size of the source; white = edit."
    )
    sam: SamPrompt | None = Field(
        default=None, description="Segment Anything prompt used to make the mask."
    )
    extend: Extend | None = Field(
        default=None, description="Canvas extension for outpainting, in pixels per side."
    )
    scene: str | None = Field(
        default=None,
        description="A caption of the whole image as it should look after the edit; the diffusion "
        "prompt must describe the whole image, and an agent that can see the image should give one.",
    )
    preferences: Preferences = Field(
        default_factory=Preferences, description="Priority, hardware class, allow-list, seed."
    )

    @field_validator("edit")
    @classmethod
    def _edit_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError('the edit text is empty; describe the edit, e.g. "remove the sign"')
        return v.strip()


# --------------------------------------------------------------------------------------------- facts


class ImageFacts(_Strict):
    """What the planner knows about the inputs, read with Pillow only."""

    width: int = Field(description="Source width in pixels (after EXIF orientation).")
    height: int = Field(description="Source height in pixels (after EXIF orientation).")
    mode: str = Field(description="Pillow mode of the source, e.g. RGB, RGBA, L, I;16.")
    has_alpha: bool = Field(description="Whether the source carries an alpha channel.")
    mask_area: float | None = Field(
        default=None, description="Fraction of the image the edit region covers, 0..1."
    )
    mask_bbox: tuple[int, int, int, int] | None = Field(
        default=None, description="Bounding box of the edit region, XYXY pixels, exclusive end."
    )
    mask_bbox_area: float | None = Field(
        default=None, description="Fraction of the image the edit region's bounding box covers."
    )
    mask_touches_border: bool | None = Field(
        default=None, description="Whether the edit region reaches the image border."
    )
    mask_regions: int | None = Field(
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


class ModelChoice(_Strict):
    family: Family = Field(description="Model family chosen (see the model registry).")
    id: str = Field(description="Hugging Face model id or local directory of the chosen weights.")
    pipeline: str = Field(description="diffusers pipeline class that runs this family.")
    alternates: list[str] = Field(
        default_factory=list, description="Other families that would also do, best first."
    )
    native_resolution: int = Field(description="Side in pixels the family was trained at.")
    vram_gb: float = Field(description="Estimated peak VRAM for one edit, GiB.")
    offload: bool = Field(
        default=False, description="Whether model CPU offload is needed to fit the hardware."
    )
    licence: str | None = Field(
        default=None, description="Licence of the chosen weights: an SPDX id or the licence's name."
    )
    commercial_use: bool | None = Field(
        default=None, description="Whether that licence allows commercial use."
    )


class MaskPlan(_Strict):
    source: MaskSource = Field(description="Where the edit mask comes from.")
    invert: bool = Field(
        default=False,
        description="Regenerate the inverse of the mask (e.g. the background around a SAM subject).",
    )
    dilate_px: int = Field(default=0, ge=0, description="Grow the mask by this many pixels.")
    feather_px: int = Field(
        default=0, ge=0, description="Soften the stitch edge over this many px."
    )
    sam_model: str | None = Field(
        default=None, description="Segment Anything type (vit_b/vit_l/vit_h) when SAM is used."
    )
    text: str | None = Field(
        default=None, description="The object's name SAM 3 segments when source is text: 'the dog'."
    )
    pick: str | None = Field(
        default=None,
        description="Which instances the words choose (planner/picks.py): left, right, top-left, "
        "largest, back, left:2 (second from the left), all, ...; null = the most confident.",
    )
    note: str = Field(default="", description="How the mask is produced, in one sentence.")


class ControlNetPlan(_Strict):
    type: Literal["openpose"] = Field(description="Kind of control signal.")
    id: str = Field(description="ControlNet model id.")
    conditioning_scale: float = Field(description="controlnet_conditioning_scale.")
    image: str = Field(description="What the control image is and who supplies it.")


class Guidance(_Strict):
    kind: GuidanceKind = Field(
        description="cfg: classifier-free guidance (a negative prompt applies); distilled: the "
        "model takes the scale as an input (Flux), no negative prompt, no extra batch."
    )
    text: float = Field(description="Text guidance scale (guidance_scale).")
    image: float | None = Field(
        default=None, description="Image guidance scale (image_guidance_scale); null if unused."
    )
    meaning: str = Field(description="What the scales mean for this family, in one sentence.")


class CropPlan(_Strict):
    enabled: bool | Literal["auto"] = Field(
        description="Run the model only on the mask's padded bounding box(es); auto: decide once "
        "the SAM mask is known."
    )
    padding_px: int = Field(default=0, ge=0, description="Context margin around each box.")
    multiple_of: int = Field(default=8, description="Box sides are rounded up to this multiple.")
    resize_to: int | None = Field(
        default=None, description="Long side the crop is resized to before the model (native)."
    )
    box: tuple[int, int, int, int] | None = Field(
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
        default="", description="Prompt template (planner/prompts.py) that built the positive."
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
    threshold: float = Field(description="Limit the measured value is compared with.")
    passes_when: Literal["<=", ">=", "=="] = Field(description="value <op> threshold passes.")
    band: tuple[float, float] | None = Field(
        default=None, description="Expected range instead of a one-sided limit (structure)."
    )
    fix: Fix = Field(description="What to change when the check fails.")
    status: QAStatus = Field(
        default="pending", description="pending: measured after the edit; warn: known risk now."
    )


class CanvasPlan(_Strict):
    source: Literal["given", "words"] = Field(
        description="given: --extend; words: computed from size words in the edit text."
    )
    words: str = Field(default="", description="The size words read, empty for --extend.")
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
    seconds: float = Field(description="Estimated seconds.")


class Latency(_Strict):
    hardware: Hardware = Field(description="Hardware class the estimate is for.")
    stages: list[StageLatency] = Field(description="Estimated seconds per stage, warm models.")
    total_s: float = Field(description="Sum of the stages, seconds.")
    cold_load_s: float = Field(description="Extra seconds to load weights the first time.")


class EditPlan(_Strict):
    """A complete, explained plan for one edit. Serialised as plan.json."""

    schema_version: int = Field(default=PLAN_SCHEMA_VERSION, description="plan.json version.")
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
    strength: float | None = Field(
        default=None, description="SDEdit t/T in 0..1; null for plain inpainting."
    )
    strength_sweep: list[float] | None = Field(
        default=None, description="Strengths to try when near the 0.5-0.6 fidelity cliff."
    )
    steps: int = Field(description="Denoising steps.")
    seed: int = Field(description="Random seed.")
    crop: CropPlan = Field(description="Crop-to-mask decision.")
    color_match: bool = Field(
        default=False, description="Match the regenerated region's colour to its surroundings."
    )
    prompt: Prompt = Field(description="Original, positive and negative prompts.")
    qa: list[QAItem] = Field(description="QA checklist with thresholds and fixes.")
    rules: list[RuleHit] = Field(description="Rules that fired, in order, each with its reason.")
    latency: Latency = Field(description="Estimated seconds per stage.")
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
