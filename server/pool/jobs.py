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
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.schema import EditPlan, SamPrompt
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


def run_mask_job(job: MaskJob) -> tuple[bytes, Any]:
    """(mask PNG bytes, the MaskResult without its arrays) for one segmentation."""
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
    found.mask, found.candidates = np.zeros((0, 0), dtype=bool), []
    for inst in found.instances:
        inst.mask = np.zeros((0, 0), dtype=bool)
    return mask_bytes(mask) or b"", found


# -------------------------------------------------------------------------------- front side


def unpack_edit(result: EditResult) -> tuple[Any, Any]:
    """(executors.run.RunOutput, QA report) from a replica's answer; imports no torch."""
    from retouch.executors.qa.report import QAReport
    from retouch.executors.run import Provenance, RunOutput

    mask = bytes_mask(result.edit_mask)
    out = RunOutput(
        image=bytes_image(result.image),
        raw=None,
        edit_mask=mask,  # type: ignore[arg-type]
        provenance=Provenance.model_validate(result.provenance),
    )
    return out, QAReport.model_validate(result.qa)
