"""Fake executors for the edit service's runner seam: run_plan's keywords, a real RunOutput.

``good`` fills the hole with a heavy blur under a soft edge (QA passes); ``black`` paints it black
(blank, seam and colour checks fail, and their fixes grow the mask).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter
from retouch.executors.run import Provenance, RunOutput


def provenance(plan, executor: str = "classical") -> Provenance:  # type: ignore[no-untyped-def]
    return Provenance(
        executor=executor,
        model_id=None,
        family=None,
        pipeline=None,
        device="cpu",
        dtype=None,
        seed=plan.seed,
        steps=None,
        strength=None,
        guidance_text=None,
        guidance_image=None,
        mask_sha256=None,
        crop_boxes=[],
        timings={"total": 0.0},
        params={},
    )


class FakeRunner:
    """run_plan's keywords; answers with the queued fills in turn (the last one repeats) and
    records what each call was given."""

    def __init__(self, *fills: str) -> None:
        self.fills = list(fills)
        self.calls: list[dict] = []

    def __call__(self, plan, *, image=None, mask=None, **kw):  # type: ignore[no-untyped-def]
        self.calls.append({"plan": plan, "image": image, "mask": mask, **kw})
        fill = self.fills.pop(0) if len(self.fills) > 1 else self.fills[0]
        src = np.asarray(image).astype(float)
        if fill == "good":
            blur = np.asarray(image.filter(ImageFilter.GaussianBlur(40))).astype(float)
            soft = Image.fromarray((mask * 255).astype(np.uint8)).filter(
                ImageFilter.GaussianBlur(2)
            )
            a = np.asarray(soft).astype(float)[..., None] / 255
            out, edit = src * (1 - a) + blur * a, a[..., 0] > 0.002
        else:
            edit = mask.copy()
            out = src.copy()
            out[edit] = 0
        img = Image.fromarray(out.round().astype(np.uint8), image.mode)
        return RunOutput(image=img, raw=None, edit_mask=edit, provenance=provenance(plan))
