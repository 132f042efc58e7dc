"""Picklable jobs for the pool and the code a replica runs for them. No ray and no MCP here.

A job is a description, not a closure: the plan as JSON, the images as lossless bytes (PNG, or
TIFF for modes PNG cannot hold), the executor choice and a job id. The replica decodes it, runs
the edit service's step that the local worker runs (``retouch.server.edits.sequence.attempt``:
run_plan and the QA of what ran; ``retouch.server.edits.masks.find_mask``) and answers with bytes
and JSON, so the front needs no shared filesystem and never imports torch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.schema import EditPlan, SamPrompt
from retouch.server.edits.images import (  # noqa: F401  (the wire format; client imports these)
    bytes_image,
    bytes_mask,
    image_bytes,
    mask_bytes,
)


class EditJob(BaseModel):
    """One edit for the pool: everything ``run_plan`` needs, as bytes and JSON."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(description="Unique per tool call; a retried job keeps it.")
    plan: str = Field(description="The EditPlan as JSON (overrides applied).")
    image: bytes = Field(description="The source, decoded and EXIF-oriented, as lossless bytes.")
    mask: bytes | None = Field(default=None, description="The given mask, PNG L (255 = edit).")
    control: bytes | None = Field(default=None, description="The control image, lossless bytes.")
    executor: str = Field(default="auto", description="auto | diffusers | classical.")

    @property
    def model_id(self) -> str:
        """The multiplexing key: the plan's model (empty for a weight-free plan)."""
        plan = EditPlan.model_validate_json(self.plan)
        return "" if plan.executor == "classical" else (plan.model.id or "")


class EditResult(BaseModel):
    """What a replica answers: the result as PNG bytes, the edit mask, provenance and QA."""

    model_config = ConfigDict(extra="forbid")

    job_id: str
    image: bytes = Field(description="The result, PNG (TIFF for CMYK), mode/alpha/ICC kept.")
    edit_mask: bytes | None = Field(description="The region regenerated, PNG L; None if none.")
    provenance: dict[str, Any] = Field(description="retouch.executors.run.Provenance as JSON.")
    qa: dict[str, Any] = Field(description="The QA report as JSON.")
    replica: str = Field(default="", description="The replica that ran it.")


class MaskJob(BaseModel):
    """One ``make_mask`` segmentation for the pool's Segmenter."""

    model_config = ConfigDict(extra="forbid")

    job_id: str
    image: bytes
    prompt: SamPrompt
    pick: str | None = None
    instance: int | str | None = None
    checkpoint: str | None = None
    sam_type: str = "vit_b"
    invert: bool = False
    dilate_px: int = 0


class FoundInstance(BaseModel):
    """One object a text prompt found (its mask is not sent; the chosen ones are in the mask)."""

    model_config = ConfigDict(extra="forbid")

    id: int
    box: tuple[float, float, float, float]
    score: float
    area: float


class MaskAnswer(BaseModel):
    """What the Segmenter answers: the mask as PNG bytes and how it was found, as plain data."""

    model_config = ConfigDict(extra="forbid")

    job_id: str
    mask: bytes = Field(
        description="The mask, PNG L (255 = the object, inverted/dilated as asked)."
    )
    score: float
    method: Literal["sam", "grabcut", "face"]
    sam_type: str | None
    scores: list[float]
    note: str
    instances: list[FoundInstance]
    chosen: list[int]


# ------------------------------------------------------------------------------ replica side

Progress = Callable[[int, int], None] | None


def run_edit_job(job: EditJob, progress: Progress, cancel: threading.Event) -> EditResult:
    """Run one edit and its QA where the result is (the replica), as the local worker does."""
    from retouch.server.edits.job import EditJob as ServiceJob
    from retouch.server.edits.job import RunSettings
    from retouch.server.edits.sequence import attempt

    plan = EditPlan.model_validate_json(job.plan)
    edit = ServiceJob(
        plan=plan,
        image=bytes_image(job.image),
        mask=bytes_mask(job.mask),
        control=bytes_image(job.control) if job.control is not None else None,
        settings=RunSettings(executor=job.executor),
    )
    out, report = attempt(plan, edit, progress, cancel)
    return EditResult(
        job_id=job.job_id,
        image=image_bytes(out.image),
        edit_mask=mask_bytes(out.edit_mask),
        provenance=out.provenance.model_dump(mode="json"),
        qa=report.model_dump(mode="json"),
    )


def run_mask_job(job: MaskJob) -> MaskAnswer:
    """The mask and how it was found, as plain data, for one segmentation."""
    from retouch.server.edits.masks import find_mask

    mask, found = find_mask(
        bytes_image(job.image),
        job.prompt,
        checkpoint=job.checkpoint,
        sam_type=job.sam_type,
        pick=job.pick,
        instance=job.instance,
        invert=job.invert,
        dilate_px=job.dilate_px,
    )
    return MaskAnswer(
        job_id=job.job_id,
        mask=mask_bytes(mask) or b"",
        score=float(found.score),
        method=found.method,
        sam_type=found.sam_type,
        scores=[float(s) for s in found.scores],
        note=found.note,
        instances=[
            FoundInstance(id=i.id, box=tuple(float(v) for v in i.box), score=i.score, area=i.area)
            for i in found.instances
        ],
        chosen=list(found.chosen),
    )


# -------------------------------------------------------------------------------- front side


def unpack_edit(answer: Any) -> tuple[Any, Any]:
    """(executors.run.RunOutput, QA report) from a replica's answer (a plain dict, validated
    here as an EditResult); imports no torch."""
    from retouch.executors.qa.report import QAReport
    from retouch.executors.run import Provenance, RunOutput

    result = EditResult.model_validate(answer)
    mask = bytes_mask(result.edit_mask)
    out = RunOutput(
        image=bytes_image(result.image),
        raw=None,
        edit_mask=mask,  # type: ignore[arg-type]
        provenance=Provenance.model_validate(result.provenance),
    )
    return out, QAReport.model_validate(result.qa)


def unpack_mask(answer: Any) -> tuple[np.ndarray, Any]:
    """(bool (H, W) mask, a MaskResult without arrays) from the Segmenter's answer (a plain
    dict, validated here as a MaskAnswer); imports no torch."""
    from retouch.executors.segment.prompts import Instance, MaskResult

    got = MaskAnswer.model_validate(answer)
    empty = np.zeros((0, 0), dtype=bool)
    found = MaskResult(
        mask=empty,
        score=got.score,
        method=got.method,
        sam_type=got.sam_type,
        scores=list(got.scores),
        note=got.note,
        instances=[
            Instance(id=i.id, box=i.box, score=i.score, area=i.area, mask=empty)
            for i in got.instances
        ],
        chosen=list(got.chosen),
    )
    return bytes_mask(got.mask), found
