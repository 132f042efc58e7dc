"""The request models (what a caller asks for) and the typed ranges they and the plan share.

Re-exported by planner/contract/schema.py, where the plan models live; coordinates are pixels in the source
image, XYXY boxes, origin top-left.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from retouch.planner.contract.bounds import (
    MAX_EDIT_CHARS,
    MAX_EXTEND,
    MAX_MASK_PX,
    MAX_OBJECT_CHARS,
    MAX_POINTS,
    MAX_SEED,
    MAX_SIDE,
    MAX_STEPS,
    Int,
    Num,
    path_field,
)

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
    "z-image",
    "joyai-image-edit",
    "qwen-image-2.1",
    "flux2-dev",
    "qwen-image-layered",
    "joyai-image-edit-plus",
]
LicencePreference = Literal["any", "open"]
MaskSource = Literal["given", "sam-points", "sam-box", "text", "face", "canvas", "none"]
SAM_SOURCES: tuple[MaskSource, ...] = ("sam-points", "sam-box", "text")
"""The mask sources a Segment Anything model makes (clicks and boxes: SAM 1/2.1; words: SAM 3)."""
CLICK_SOURCES: tuple[MaskSource, ...] = ("sam-points", "sam-box")
"""The mask sources from clicks or a box (SAM 1/2.1); GrabCut stands in for SAM without one."""
FacePart = Literal["face", "eyes", "brows", "glasses", "nose", "mouth", "beard"]
Priority = Literal["quality", "balanced", "latency"]
Hardware = Literal["cpu", "gpu-8gb", "gpu-12gb", "gpu-16gb", "gpu-24gb", "gpu-48gb", "gpu-80gb"]
GuidanceKind = Literal["cfg", "distilled"]
QAStatus = Literal["pending", "warn"]

PLAN_SCHEMA_VERSION = 2


Coord = Num(-MAX_SIDE, MAX_SIDE)  # points off the image are refused against its size
Side = Int(1, MAX_SIDE)
Pixel = Int(0, MAX_SIDE)
Grow = Int(0, MAX_MASK_PX)
Seed = Int(0, MAX_SEED)
Steps = Int(1, MAX_STEPS)
Fraction = Num(0, 1)
Scale = Num(0, 100)
Seconds = Num(0, 10**7)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --------------------------------------------------------------------------------------------- request


class SamPoint(_Strict):
    x: Coord = Field(
        description="Column in pixels of the source image (0 = left edge), -65536..65536."
    )
    y: Coord = Field(description="Row in pixels of the source image (0 = top edge), -65536..65536.")
    label: Literal[0, 1] = Field(
        default=1, description="1 = a point on the object (foreground), 0 = background."
    )


class SamPrompt(_Strict):
    points: list[SamPoint] = Field(
        default_factory=list,
        max_length=MAX_POINTS,
        description="Foreground/background clicks for Segment Anything (at most 64).",
    )
    box: tuple[Coord, Coord, Coord, Coord] | None = Field(
        default=None,
        description="Box around the object, XYXY pixels (x0, y0, x1, y1), -65536..65536.",
    )
    text: str | None = Field(
        default=None,
        max_length=MAX_OBJECT_CHARS,
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
                    f"box {self.box} is inverted or empty; give it as X0, Y0, X1, Y1 with X1 > X0, Y1 > Y0"
                )
        return self

    @property
    def empty(self) -> bool:
        return not self.points and self.box is None and not self.text


class Extend(_Strict):
    left: Int(0, MAX_EXTEND) = Field(
        default=0, description="Pixels of new canvas added on the left."
    )
    top: Int(0, MAX_EXTEND) = Field(default=0, description="Pixels of new canvas added on the top.")
    right: Int(0, MAX_EXTEND) = Field(
        default=0, description="Pixels of new canvas added on the right."
    )
    bottom: Int(0, MAX_EXTEND) = Field(
        default=0, description="Pixels of new canvas added at the bottom."
    )

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
    seed: Seed | None = Field(default=None, description="Random seed, 0..2**32-1; null picks 0.")
    steps: Steps | None = Field(default=None, description="Override denoising steps, 1..500.")
    licence: LicencePreference = Field(
        default="any",
        description="open: only weights whose licence allows commercial use (excludes FLUX.1 [dev], "
        "Kontext [dev], Fill [dev], FLUX.2 klein 9B); any: every licence.",
    )


class EditGuidance(_Strict):
    """Images that guide the edit besides its words. One reference for now: Qwen-Image-Edit Plus
    reads 1-3 images in all (the source is one) and klein up to 4, but the edits asked for
    ("put this logo on the shirt") name one; a list would be ``images``."""

    image: str = Field(
        description="Path (or @VERSION) of a reference image the edit uses, e.g. the logo of 'put "
        "this logo on the shirt'; the model sees it as image 2 (Qwen-Image-Edit, FLUX.2 klein)."
    )

    @field_validator("image")
    @classmethod
    def _path_text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the reference image path is empty; give the path of an image")
        return path_field(v, "reference image") or v


class EditRequest(_Strict):
    """One edit: an image, what to do to it, and where."""

    image: str = Field(description="Path of the source image (or a history reference @VERSION).")
    edit: str = Field(
        max_length=MAX_EDIT_CHARS,
        description="The edit in plain words, e.g. 'remove the sign' (at most 2000 characters).",
    )
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
        max_length=MAX_EDIT_CHARS,
        description="A caption of the whole image as it should look after the edit; the diffusion "
        "prompt must describe the whole image, and an agent that can see the image should give one.",
    )
    guidance: EditGuidance | None = Field(
        default=None, description="A reference image the edit uses (see EditGuidance)."
    )
    preferences: Preferences = Field(
        default_factory=Preferences, description="Priority, hardware class, allow-list, seed."
    )
    layers: bool = Field(
        default=False,
        description="Also return the edit as layers: layers/NN-name.png (RGBA), layers.ora, "
        "layers.psd. Words such as 'split into layers' ask too.",
    )

    @field_validator("edit")
    @classmethod
    def _edit_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError('the edit text is empty; describe the edit, e.g. "remove the sign"')
        return v.strip()

    @field_validator("image", "mask")
    @classmethod
    def _path_text(cls, v: str | None, info: ValidationInfo) -> str | None:
        return path_field(v, info.field_name or "path")

    @model_validator(mode="after")
    def _parts_not_empty(self) -> EditRequest:
        if self.sam is not None and self.sam.empty:
            raise ValueError(
                "sam is empty; give points, a box or text, or leave sam out (a given mask or none)"
            )
        if self.extend is not None and not self.extend.any:
            raise ValueError("extend adds no canvas; give the pixels to add on some side")
        return self
