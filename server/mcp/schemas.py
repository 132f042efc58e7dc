"""Input and output models of the MCP tools: each tool's JSON schemas are these models' schemas.

Inputs forbid unknown fields, so a misspelt argument is an error the agent sees, not a silent
default. Outputs are the tools' ``structuredContent``; images travel beside them as content blocks
and resource links. Paths are relative to the server's working directory or absolute, and must lie
under the server's roots (``retouch serve --root DIR``). Pixels and XYXY boxes as in planner/schema.
Wherever a tool takes an image it also takes a history version reference (``@ID``, ``@current``,
``@current~1``) with a ``session``; the image is then read from the history store, not a path.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from retouch.executors.qa.report import QAReport
from retouch.planner.contract.bounds import MAX_OBJECT_CHARS, Int
from retouch.planner.contract.schema import (
    Degradation,
    EditGuidance,
    EditPlan,
    EditRequest,
    Extend,
    Hardware,
    PlanChange,
    Preferences,
    SamPrompt,
)

MAX_BASE64_BYTES = 3 * 1024 * 1024
"""Largest decoded base64 image accepted (3 MiB, about 4 MiB of base64 text)."""

BASE64_NOTE = "Base64 PNG/JPEG/WebP or data: URL, at most 3 MiB decoded (4 MiB per HTTP request)."

VERSION_NOTE = "or a version: @ID (or a 4+ hex prefix), @current, @current~N (N back)"

SESSION_NOTE = "The session (one per conversation) a version is looked up in; needed for @current."

MASK_NOTE = "Path of a mask the size of the image, white = edit (e.g. make_mask's)."
MASK_BASE64_NOTE = "The mask as base64 PNG instead of mask; limits as image_base64."


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------- shared parts


class FileRef(_Out):
    path: str = Field(description="Absolute path of the file on the server.")
    uri: str = Field(description="Resource URI that serves the file (resources/read).")
    mime_type: str = Field(description="MIME type of the file.")
    size: int = Field(description="File size in bytes.")


class InputFile(_Out):
    role: str = Field(description="What the file was: image, mask, plan, result...")
    path: str = Field(description="Absolute path that was read.")
    sha256: str = Field(description="SHA-256 of the file's bytes, hex.")
    version: str | None = Field(
        default=None,
        description="The history version this image is (12 hex id), when the tool was given a "
        "version reference; path is then the store's copy.",
    )


class ToolProvenance(_Out):
    """What produced a result, so an agent can say what was done and do it again."""

    tool: str = Field(description="The tool that produced this result.")
    retouch_version: str = Field(description="Version of the retouch package.")
    created: str = Field(description="UTC time the tool finished, ISO 8601.")
    seconds: float = Field(description="Wall-clock seconds the tool took.")
    inputs: list[InputFile] = Field(default_factory=list, description="Files read, with hashes.")
    executor: dict[str, Any] | None = Field(
        default=None,
        description="The executor's own provenance record (model id, seed, every "
        "parameter, mask hash, timings per stage), when an executor ran.",
    )
    version: str | None = Field(
        default=None,
        description="The history version this result was recorded as (12 hex id), when it was.",
    )


class Estimate(_Out):
    seconds: float = Field(description="Estimated seconds for the edit with warm models.")
    cold_load_s: float = Field(description="Extra seconds to load weights the first time.")
    vram_gb: float = Field(description="Estimated peak GPU memory, GiB (0 for the classical fill).")
    hardware: Hardware = Field(description="Hardware class the estimate is for.")
    offload: bool = Field(description="Whether model CPU offload is planned to fit the hardware.")


# ------------------------------------------------------------------------------------- plan_edit


class PlanEditInput(_In):
    image: str | None = Field(
        default=None,
        description="Path of the image, " + VERSION_NOTE + "; or give image_base64.",
    )
    image_base64: str | None = Field(default=None, description=BASE64_NOTE)
    session: str | None = Field(default=None, description=SESSION_NOTE)
    edit: str = Field(description=EditRequest.model_fields["edit"].description)
    mask: str | None = Field(default=None, description=MASK_NOTE)
    mask_base64: str | None = Field(default=None, description=MASK_BASE64_NOTE)
    sam: SamPrompt | None = Field(default=None, description="Where to edit, for Segment Anything.")
    extend: Extend | None = Field(default=None, description="Outpainting: new canvas per side.")
    scene: str | None = Field(
        default=None,
        description="The whole image after the edit, one sentence (the diffusion prompt); give "
        "it if you can see the image.",
    )
    guidance: EditGuidance | None = Field(default=None, description="A reference image.")
    preferences: Preferences = Field(default_factory=Preferences)


class PlanEditOutput(_Out):
    plan_id: str = Field(description="Pass it to run_edit or render_skill_doc.")
    plan: EditPlan = Field(description="The complete, explained plan")
    plan_file: FileRef
    skill_doc: FileRef = Field(description="skill-editing-pipeline.md")
    estimate: Estimate = Field(description="Seconds and GPU memory before anything runs.")
    next_step: str
    provenance: ToolProvenance


# ------------------------------------------------------------------------------------- make_mask


class MakeMaskInput(_In):
    image: str | None = Field(default=None, description="Path of the image, " + VERSION_NOTE + ".")
    image_base64: str | None = Field(default=None, description=BASE64_NOTE)
    session: str | None = Field(default=None, description=SESSION_NOTE)
    text: str | None = Field(
        default=None,
        max_length=MAX_OBJECT_CHARS,
        description="The object in words, e.g. 'the dog on the left' (SAM 3), 'her eyes' (faces). "
        "Try first; else sam clicks/box.",
    )
    instance: Int(1, 1000) | Literal["all"] | None = Field(
        default=None,
        description="With text: an id from a previous reply's instances (or all).",
    )
    sam: SamPrompt = Field(
        default_factory=SamPrompt,
        description="Clicks and/or a box, pixels; instead of text.",
    )
    invert: bool = Field(
        default=False,
        description="Everything but the object (e.g. to replace a background).",
    )
    dilate_px: Int(0, 256) = Field(default=0, description="Grow the mask, pixels.")
    output: str | None = Field(
        default=None, description="Also write the mask here (a new file); it is always in masks/."
    )


class InstanceInfo(_Out):
    id: int = Field(description="Instance number, 1 = most confident.")
    box: tuple[int, int, int, int] = Field(description="XYXY pixels.")
    score: float = Field(description="SAM 3's confidence, 0..1.")
    area: float = Field(description="Fraction of the image it covers, 0..1.")


class MakeMaskOutput(_Out):
    image: str = Field(
        description="The image segmented (a base64 upload's saved path, or @ID); pass it on."
    )
    mask: FileRef = Field(description="L-mode PNG, white (255) = edit.")
    output: str | None = None
    method: Literal["sam", "grabcut", "face"]
    score: float = Field(description="SAM's predicted IoU or GrabCut's confidence, 0..1.")
    note: str = Field(description="How the mask was made and how good to expect it.")
    area: float = Field(description="Fraction of the image covered, 0..1.")
    bbox: tuple[int, int, int, int] | None = Field(description="XYXY pixels; null if empty.")
    instances: list[InstanceInfo] = Field(
        default_factory=list, description="Text masks: every instance, numbered as in the overlay."
    )
    chosen: list[int] = Field(default_factory=list, description="Instance ids in the mask.")
    provenance: ToolProvenance


# ------------------------------------------------------------------------------------- run_edit


class RunEditInput(_In):
    plan: str | None = Field(
        default=None, description="plan_id from plan_edit (or a plan.json path); or give request."
    )
    request: EditRequest | None = Field(
        default=None,
        description="Plan and run in one call: plan_edit's arguments, paths only",
    )
    mask: str | None = Field(
        default=None, description="A mask path instead of the plan's (e.g. make_mask's)."
    )
    mask_base64: str | None = Field(default=None, description=MASK_BASE64_NOTE)
    control: str | None = Field(
        default=None, description="OpenPose control image, when the plan uses a ControlNet."
    )
    overrides: list[PlanChange] = Field(
        default_factory=list,
        max_length=32,
        description="Plan changes for this run, e.g. a failed check's fix changes.",
    )
    executor: Literal["auto", "diffusers", "classical"] = Field(
        default="auto",
        description="auto: the plan's if it can run here, else the weight-free classical fill.",
    )
    output: str | None = Field(default=None, description="Also write the result here (a new file).")
    session: str | None = Field(
        default=None,
        description="Record the result as a new current version of this session (one per "
        "conversation); default: the plan image's version's session.",
    )
    keep_failed: bool = Field(
        default=False, description="Make a QA-failed result '@current' too (else it stays)."
    )
    layers: bool = Field(
        default=False, description="Also write the edit as layers (.png, .ora, .psd)."
    )


class RunEditOutput(_Out):
    degraded: list[Degradation] = Field(
        description="Every way the run differs from the plan, with the fix; read it first."
    )
    verdict: str = Field(description="failed, degraded, clean but unverified, or verified.")
    run_id: str
    result: FileRef = Field(description="Full size, PNG (alpha and ICC kept).")
    output: str | None = None
    mask: FileRef | None = Field(description="The mask used (after invert/dilate).")
    preview: FileRef
    comparison: FileRef = Field(description="Source|mask|result; zooms on a small region.")
    plan_file: FileRef = Field(description="The plan as run.")
    applied: list[PlanChange]
    qa: QAReport
    next_step: str
    version: str | None = Field(default=None, description="The version recorded (@ID), if any.")
    session: str | None = None
    parent: str | None = Field(default=None, description="The version edited; null for a file.")
    current: bool | None = Field(default=None, description="Whether it became '@current'.")
    remaining: list[str] | None = Field(
        default=None, description="The text's other edits, not run yet, in order."
    )
    version_uri: str | None = None
    layers: list[FileRef] | None = Field(
        default=None, description="The layers, bottom first; the composite; .ora; .psd."
    )
    provenance: ToolProvenance = Field(description="Model, seed, parameters, mask hash, timings")


# ------------------------------------------------------------------------------------- check_edit


class CheckEditInput(_In):
    source: str = Field(description="Path of the image edited, " + VERSION_NOTE + ".")
    result: str = Field(description="Path of the edited image, or a version.")
    session: str | None = Field(default=None, description=SESSION_NOTE)
    mask: str | None = Field(
        default=None, description="The edit mask (white = edited); null for a whole image."
    )
    plan: str | None = Field(
        default=None, description="plan_id or plan.json path for its checklist; null: default."
    )


class CheckEditOutput(_Out):
    qa: QAReport = Field(description="Every checklist item: value, limit, pass/fail/skipped, fix.")
    passed: bool = Field(description="True when no check failed.")
    fixes: list[PlanChange] = Field(
        description="The failed checks' fixes as plan changes; pass them "
        "as run_edit overrides to retry."
    )
    provenance: ToolProvenance = Field(description="What was measured.")


# ------------------------------------------------------------------------------- render_skill_doc


class RenderSkillDocInput(_In):
    plan: str = Field(description="plan_id from plan_edit, or the path of a plan.json.")


class RenderSkillDocOutput(_Out):
    skill_doc: FileRef = Field(description="skill-editing-pipeline.md in the plan's folder.")
    markdown: str = Field(description="The document's text.")
    provenance: ToolProvenance = Field(description="Which plan was rendered.")


# ------------------------------------------------------------------------------------- list_models


class ListModelsInput(_In):
    dirs: list[str] = Field(
        default_factory=list,
        max_length=16,
        description="Extra folders to search for model "
        "directories and SAM checkpoints (under the server's roots).",
    )
    probe_device: bool = Field(
        default=False,
        description="Load torch (once, on the GPU worker) to "
        "report the CUDA device exactly; otherwise the driver is read.",
    )


class DeviceInfo(_Out):
    kind: Literal["cuda", "mps", "cpu"] = Field(description="Where diffusion would run.")
    name: str | None = Field(default=None, description="GPU name, if any.")
    memory_gb: float | None = Field(default=None, description="GPU memory, GiB, if known.")
    source: Literal["torch", "driver", "platform", "none"] = Field(
        description="How this was found out."
    )
    hardware: Hardware = Field(
        description="The planner's hardware class that fits this device; "
        "pass it in preferences.hardware."
    )


class FamilyInfo(_Out):
    family: str = Field(description="Model family (planner registry).")
    default_id: str = Field(description="Hugging Face id the planner picks.")
    pipeline: str = Field(description="diffusers pipeline class.")
    modes: list[str] = Field(description="Plan modes it runs.")
    vram_gb: float = Field(description="Peak GPU memory without offload, GiB.")
    offload_vram_gb: float = Field(description="Peak GPU memory with CPU offload, GiB.")
    installed: bool = Field(description="Whether weights were found locally.")
    local_path: str | None = Field(description="Where the weights were found.")
    fetch_hint: str = Field(description="How to get the weights if they are missing.")
    licence: str = Field(description="Licence of the default weights (SPDX id or its name).")
    commercial_use: bool = Field(description="Whether that licence allows commercial use.")
    loras: list[str] = Field(
        default_factory=list,
        description="Step-distillation LoRA fused into the local weights at load (fewer steps).",
    )


class SamInfo(_Out):
    path: str = Field(description="SAM 1 checkpoint file, or SAM 2.1 / SAM 3 folder.")
    sam_type: str | None = Field(
        description="vit_b/vit_l/vit_h (SAM 1, by file name), sam2.1, sam3 or sam3-litetext."
    )
    prompts: Literal["clicks", "words"] = Field(
        default="clicks", description="What it segments from: clicks/boxes, or words (SAM 3)."
    )


class ListModelsOutput(_Out):
    device: DeviceInfo = Field(description="The device edits run on.")
    hf_cache: str = Field(description="Hugging Face cache folder that was searched.")
    families: list[FamilyInfo] = Field(description="Every model family, installed or not.")
    sam_checkpoints: list[SamInfo] = Field(description="SAM checkpoints found.")
    text_masks: str = Field(
        default="",
        description="Whether make_mask can take words: where SAM 3 is, or how to get it.",
    )
    classical: str = Field(description="The weight-free executor, always available.")
    provenance: ToolProvenance = Field(description="When and how this was looked up.")


# ------------------------------------------------------------- the editor app's tools (app-only)


class CommitMaskInput(_In):
    image: str = Field(description="Path or @ID.")
    session: str | None = None
    mask_base64: str = Field(description="PNG the size of the image, white = edit.")


class CommitMaskOutput(_Out):
    mask: FileRef = Field(description="The stored mask; pass its path to plan_edit or run_edit.")
    area: float = Field(description="Fraction of the image covered, 0..1.")
    bbox: tuple[int, int, int, int] = Field(description="XYXY pixels, exclusive end.")


class ViewImageInput(_In):
    image: str = Field(description="Path or @ID.")
    session: str | None = None


class ViewImageOutput(_Out):
    image: str = Field(description="What was shown: the path, or @ID.")
    width: int = Field(description="The image's full width, pixels.")
    height: int = Field(description="The image's full height, pixels.")
