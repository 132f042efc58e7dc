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

from executors.qa.report import QAReport
from planner.bounds import MAX_OBJECT_CHARS, Int
from planner.schema import (
    Degradation,
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

BASE64_NOTE = (
    "Base64 image bytes (PNG, JPEG or WebP; a data: URL is accepted), at most 3 MiB decoded. The "
    "transport bounds it too: over HTTP the whole request body is limited to 4 MiB. For larger "
    "images pass a path instead."
)

VERSION_NOTE = (
    "or a history version: @ID (its 12 hex characters, or a unique prefix of 4+), @current (the "
    "session's current version) or either with ~N (N versions back: @current~1 is the one before)"
)

SESSION_NOTE = (
    "The session (one per conversation: letters, digits, '.', '_', ':' or '-') that a version "
    "reference is looked up in; it must hold the version. Needed for @current."
)


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
        description="Path of the source image (PNG, JPEG, WebP...), " + VERSION_NOTE + ". Give "
        "this or image_base64.",
    )
    image_base64: str | None = Field(default=None, description=BASE64_NOTE)
    session: str | None = Field(default=None, description=SESSION_NOTE)
    edit: str = Field(description=EditRequest.model_fields["edit"].description)
    mask: str | None = Field(
        default=None,
        description="Path of a mask the size of the image; "
        "white = edit (e.g. the mask make_mask wrote).",
    )
    sam: SamPrompt | None = Field(
        default=None,
        description="Segment Anything prompt (points with "
        "labels and/or a box, pixels) saying where to edit.",
    )
    extend: Extend | None = Field(
        default=None, description="Outpainting: pixels of new canvas per side."
    )
    scene: str | None = Field(
        default=None, description=EditRequest.model_fields["scene"].description
    )
    preferences: Preferences = Field(
        default_factory=Preferences,
        description="Priority, hardware class, family allow-list, seed, steps.",
    )


class PlanEditOutput(_Out):
    plan_id: str = Field(description="Id of this plan; pass it to run_edit or render_skill_doc.")
    plan: EditPlan = Field(description="The complete, explained plan.")
    plan_file: FileRef = Field(description="plan.json.")
    skill_doc: FileRef = Field(description="skill-editing-pipeline.md rendered from the plan.")
    estimate: Estimate = Field(description="Time and memory before anything runs.")
    next_step: str = Field(description="What to call next, in one sentence.")
    provenance: ToolProvenance = Field(description="How this plan was made.")


# ------------------------------------------------------------------------------------- make_mask


class MakeMaskInput(_In):
    image: str | None = Field(
        default=None, description="Path of the image to segment, " + VERSION_NOTE + "."
    )
    image_base64: str | None = Field(default=None, description=BASE64_NOTE)
    session: str | None = Field(default=None, description=SESSION_NOTE)
    text: str | None = Field(
        default=None,
        max_length=MAX_OBJECT_CHARS,
        description="The object in words, e.g. 'the dog on the left', 'all the cars' (SAM 3). "
        "Every instance found is listed in the reply; the words choose among them. The first "
        "way to make a mask; use sam clicks/box when the words find the wrong thing.",
    )
    instance: Int(1, 1000) | Literal["all"] | None = Field(
        default=None,
        description="With text: the instance id from a previous reply's instances (or all) "
        "instead of the words' choice.",
    )
    sam: SamPrompt = Field(
        default_factory=SamPrompt,
        description="Points on the object (label 1; 0 = background) and/or a box "
        "around it, pixels of the image; instead of text.",
    )
    invert: bool = Field(
        default=False,
        description="Return everything but the object (e.g. to "
        "replace the background around a subject).",
    )
    dilate_px: Int(0, 256) = Field(default=0, description="Grow the mask by this many pixels.")
    sam_type: Literal["vit_b", "vit_l", "vit_h", "auto"] = Field(
        default="vit_b", description="SAM size the checkpoint is; auto reads it from the file."
    )
    checkpoint: str | None = Field(
        default=None,
        description="A SAM 1 .pth, or a SAM 2.1 / SAM 3 transformers folder; null "
        "uses $RETOUCH_SAM_CHECKPOINT, else (text) facebook/sam3 from the Hugging Face cache, "
        "(clicks/box) the GrabCut fallback.",
    )
    output: str | None = Field(
        default=None,
        description="Also write the mask PNG here (must not "
        "exist yet). It is always kept under the output folder's masks/.",
    )


class InstanceInfo(_Out):
    id: int = Field(description="Instance number, 1 = most confident.")
    box: tuple[int, int, int, int] = Field(description="XYXY pixels.")
    score: float = Field(description="SAM 3's confidence, 0..1.")
    area: float = Field(description="Fraction of the image it covers, 0..1.")


class MakeMaskOutput(_Out):
    image: str = Field(
        description="Path of the image that was segmented (a base64 upload is saved "
        "under the output folder's inputs/: pass this path on to plan_edit), or @ID when it "
        "was a history version."
    )
    mask: FileRef = Field(description="The mask, L-mode PNG, white (255) = edit.")
    output: str | None = Field(default=None, description="The extra copy written to `output`.")
    method: Literal["sam", "grabcut"] = Field(description="How the mask was made.")
    score: float = Field(description="SAM's predicted IoU or GrabCut's separation proxy, 0..1.")
    note: str = Field(description="How the mask was made and how good to expect it.")
    area: float = Field(description="Fraction of the image the mask covers, 0..1.")
    bbox: tuple[int, int, int, int] | None = Field(
        description="Bounding box of the mask, XYXY pixels, exclusive end; null if empty."
    )
    instances: list[InstanceInfo] = Field(
        default_factory=list,
        description="Text masks: every instance found, numbered as in the overlay; pass an id "
        "as `instance` to use another.",
    )
    chosen: list[int] = Field(
        default_factory=list, description="Text masks: ids of the instances in the mask."
    )
    provenance: ToolProvenance = Field(description="How this mask was made.")


# ------------------------------------------------------------------------------------- run_edit


class RunEditInput(_In):
    plan: str | None = Field(
        default=None,
        description="plan_id from plan_edit, or the path of a plan.json. Give this or request.",
    )
    request: EditRequest | None = Field(
        default=None,
        description="Plan and run in one call "
        "(paths only; upload base64 images with plan_edit first).",
    )
    mask: str | None = Field(
        default=None,
        description="Mask path to use instead of the plan's own "
        "(e.g. from make_mask when the plan's mask source is sam-*).",
    )
    control: str | None = Field(
        default=None,
        description="ControlNet control image (an OpenPose "
        "skeleton the size of the image), when the plan uses a ControlNet.",
    )
    overrides: list[PlanChange] = Field(
        default_factory=list,
        max_length=32,
        description="Changes to any plan field "
        "for this run (a QA fix's changes can be passed as they are), "
        "e.g. {field: 'seed', op: 'set', value: 7}.",
    )
    executor: Literal["auto", "diffusers", "classical"] = Field(
        default="auto",
        description="auto: the plan's executor if it can run here, else the "
        "weight-free classical fill where the mode allows it.",
    )
    output: str | None = Field(
        default=None,
        description="Also write the full-size result here "
        "(must not exist yet). It is always kept in the run folder.",
    )
    session: str | None = Field(
        default=None,
        description="Record the result as a new version of this session (one per "
        "conversation) and make it current; then edit it next with image '@current'. Defaults to "
        "the session of the version the plan's image names; null with a file image records "
        "nothing. A version reference in a request is looked up in it.",
    )


class RunEditOutput(_Out):
    degraded: list[Degradation] = Field(
        description="Every way the run differs from the plan (executor, model, mask source, "
        "hardware), with how to get the planned one; empty when it ran as planned. Read it first."
    )
    verdict: str = Field(
        description="The QA verdict in one line: failed, degraded, clean but unverified, or verified."
    )
    run_id: str = Field(description="Id of this run; its files are under retouch://out/runs/<id>/.")
    result: FileRef = Field(description="The full-size result, PNG (alpha and ICC kept).")
    output: str | None = Field(default=None, description="The extra copy written to `output`.")
    mask: FileRef | None = Field(description="The edit mask actually used (after invert/dilate).")
    preview: FileRef = Field(description="The small preview shown inline.")
    comparison: FileRef = Field(description="Source | result side by side.")
    plan_file: FileRef = Field(description="The plan as run, overrides applied.")
    applied: list[PlanChange] = Field(description="The overrides that were applied.")
    qa: QAReport = Field(description="The result measured against the plan's QA checklist.")
    next_step: str = Field(description="What to do next, in one sentence.")
    version: str | None = Field(
        default=None,
        description="Id of the history version the result was recorded as (refer to it as "
        "@ID); null when no session was given.",
    )
    session: str | None = Field(default=None, description="The session it was recorded in.")
    parent: str | None = Field(
        default=None,
        description="The version this edit started from; null when the source was a file.",
    )
    version_uri: str | None = Field(
        default=None, description="Resource URI of the version's image: retouch://version/<id>.png."
    )
    provenance: ToolProvenance = Field(
        description="Model, seed, every parameter, mask hash, timings."
    )


# ------------------------------------------------------------------------------------- check_edit


class CheckEditInput(_In):
    source: str = Field(
        description="Path of the source image the edit started from, " + VERSION_NOTE + "."
    )
    result: str = Field(description="Path of the edited image, or a history version (@ID...).")
    session: str | None = Field(default=None, description=SESSION_NOTE)
    mask: str | None = Field(
        default=None,
        description="Path of the edit mask on the result's grid "
        "(white = edited); null for a whole-image edit or an outpaint plan.",
    )
    plan: str | None = Field(
        default=None,
        description="plan_id or plan.json path: its checklist and "
        "thresholds are used; null uses the default checklist.",
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
    kind: Literal["cuda", "cpu"] = Field(description="Where diffusion would run.")
    name: str | None = Field(default=None, description="GPU name, if any.")
    memory_gb: float | None = Field(default=None, description="GPU memory, GiB, if known.")
    source: Literal["torch", "driver", "none"] = Field(description="How this was found out.")
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


class SamInfo(_Out):
    path: str = Field(description="SAM 1 checkpoint file, or SAM 2.1 / SAM 3 folder.")
    sam_type: str | None = Field(
        description="vit_b / vit_l / vit_h (SAM 1, from the file name), sam2.1 or sam3."
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
