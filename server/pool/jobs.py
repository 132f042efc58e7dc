"""Picklable jobs for the pool and the code a replica runs for them. No ray here.

A job is a description, not a closure: the plan as JSON, the images as lossless bytes (PNG, or
TIFF for modes PNG cannot hold), the executor choice and a job id. The replica decodes it, runs
exactly what the local worker runs (``retouch.server.mcp.edit.run_and_check`` / ``retouch.server.mcp.mask.find_mask``)
and answers with bytes and JSON, so the front needs no shared filesystem and never imports torch.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.imageio import array_to_mask
from retouch.planner.schema import EditPlan, SamPrompt
from retouch.server.mcp.outputs import encode_png

PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")


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


# ------------------------------------------------------------------------------------ bytes


def image_bytes(img: Image.Image) -> bytes:
    """Lossless bytes of ``img``: PNG (as ``encode_png``) when PNG holds its mode, else TIFF."""
    if img.mode in PNG_MODES:
        return encode_png(img)
    buf = io.BytesIO()
    icc = img.info.get("icc_profile")
    img.save(buf, format="TIFF", **({"icc_profile": icc} if icc else {}))
    return buf.getvalue()


def bytes_image(data: bytes) -> Image.Image:
    """Decode ``image_bytes``; the ICC profile stays in ``info``."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        out = im.copy()
        if im.info.get("icc_profile"):
            out.info["icc_profile"] = im.info["icc_profile"]
        return out


def mask_bytes(mask: np.ndarray | None) -> bytes | None:
    return None if mask is None else encode_png(array_to_mask(mask))


def bytes_mask(data: bytes | None) -> np.ndarray | None:
    """bool (H, W) from PNG L bytes (255 = edit)."""
    return None if data is None else np.asarray(bytes_image(data).convert("L")) > 127


# ------------------------------------------------------------------------------ replica side

Progress = Callable[[int, int], None] | None


def run_edit_job(job: EditJob, progress: Progress, cancel: threading.Event) -> EditResult:
    """Run one edit and its QA where the result is (the replica), as the local worker does."""
    from retouch.server.mcp.edit import run_and_check

    plan = EditPlan.model_validate_json(job.plan)
    image = bytes_image(job.image)
    control = bytes_image(job.control) if job.control is not None else None
    out, report = run_and_check(
        plan, image, bytes_mask(job.mask), control, job.executor, progress, cancel
    )
    return EditResult(
        job_id=job.job_id,
        image=image_bytes(out.image),
        edit_mask=mask_bytes(out.edit_mask),
        provenance=out.provenance.model_dump(mode="json"),
        qa=report.model_dump(mode="json"),
    )


def run_mask_job(job: MaskJob) -> tuple[bytes, Any]:
    """(mask PNG bytes, the MaskResult without its arrays) for one segmentation."""
    from retouch.server.mcp.mask import find_mask

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
