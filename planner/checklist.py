"""The QA checklist a plan carries: which checks apply to which mode, their thresholds and fixes.

Thresholds are limits on the measures executors/qa.py computes (that module documents how each value
is measured and the measurements that set each limit). A fix is a change to the plan that the retry
loop applies (``retouch edit --max-retries N``).
"""

from __future__ import annotations

from planner.schema import Fix, PlanChange, QAItem

# Bands of SSIM (result vs source, grey) that an SDEdit strength should land in: below the band the
# edit went over the fidelity cliff; above it, the edit did almost nothing.
STRUCTURE_BANDS: list[tuple[float, tuple[float, float]]] = [
    (0.35, (0.60, 0.995)),
    (0.55, (0.40, 0.98)),
    (0.70, (0.25, 0.95)),
    (1.01, (0.05, 0.90)),
]
INSTRUCT_BAND = (0.30, 0.98)


def structure_band(strength: float | None) -> tuple[float, float]:
    if strength is None:
        return INSTRUCT_BAND
    return next(band for upper, band in STRUCTURE_BANDS if strength < upper)


def _item(
    id: str,
    measure: str,
    threshold: float,
    op: str,
    summary: str,
    changes: list[PlanChange] | None = None,
    band: tuple[float, float] | None = None,
) -> QAItem:
    return QAItem(
        id=id,
        measure=measure,
        threshold=threshold,
        passes_when=op,
        band=band,
        fix=Fix(summary=summary, changes=changes or []),
    )


def outside_unchanged() -> QAItem:
    return _item(
        "outside-unchanged",
        "largest absolute channel difference (0-255) between result "
        "and source outside the edit region",
        0,
        "<=",
        "re-composite the source over the result outside the mask (an executor bug if it "
        "recurs: report it)",
    )


def seam() -> QAItem:
    return _item(
        "seam",
        "mean gradient across the mask boundary divided by the image's own mean "
        "gradient (1 = as smooth as the photo's texture)",
        2.0,
        "<=",
        "dilate the mask 8 px more and feather it 4 px more",
        [
            PlanChange(field="mask.dilate_px", op="add", value=8),
            PlanChange(field="mask.feather_px", op="add", value=4),
        ],
    )


def color_shift() -> QAItem:
    return _item(
        "color-shift",
        "CIE76 colour difference between the mean Lab colour just inside the "
        "edit boundary and the ring just outside it, beyond the source's own difference",
        8.0,
        "<=",
        "match colour to the border ring and blur the conditioning border (mask leakage)",
        [
            PlanChange(field="color_match", op="set", value=True),
            PlanChange(field="mask.feather_px", op="add", value=4),
        ],
    )


def saturation() -> QAItem:
    return _item(
        "saturation",
        "fraction of edit-region pixels that are clipped or over-saturated "
        "(HSV S > 0.95), beyond the source's own fraction there",
        0.05,
        "<=",
        "lower the text guidance to 70%",
        [PlanChange(field="guidance.text", op="multiply", value=0.7)],
    )


def structure(strength: float | None) -> QAItem:
    lo, hi = structure_band(strength)
    return _item(
        "structure",
        "SSIM of the result against the source (grey, 7x7 windows) over the edited area",
        lo,
        ">=",
        "lower the strength by 0.1 (or run the strength sweep)",
        [PlanChange(field="strength", op="add", value=-0.1)],
        band=(lo, hi),
    )


def size_mode() -> QAItem:
    return _item(
        "size-mode",
        "1 when the result's size and mode equal the source's (the extended "
        "canvas for outpainting), else 0",
        1,
        "==",
        "resize/convert back to the source geometry (an executor bug if it recurs)",
    )


def blank() -> QAItem:
    return _item(
        "blank",
        "fraction of edit-region pixels that are black (all channels <= 4) or NaN "
        "where the source was not",
        0.5,
        "<=",
        "the model returned a blank image (a safety filter or NaNs in fp16): change the "
        "seed, or run in bf16/fp32",
        [PlanChange(field="seed", op="add", value=1)],
    )


def prompt(warn: bool) -> QAItem:
    item = _item(
        "prompt",
        "1 when the positive prompt describes the whole image (a scene caption was given), else 0",
        1,
        ">=",
        "give a caption of the whole image as it should look (--scene / scene)",
    )
    if warn:
        item.status = "warn"
    return item


def checklist(
    mode: str, strength: float | None, warn_prompt: bool, has_region: bool
) -> list[QAItem]:
    """The checks that apply to a plan, in the order they are reported.

    ``has_region``: the edit is confined to a mask (inpaint, outpaint, repaint, masked SDEdit).
    """
    items: list[QAItem] = []
    if has_region:
        items.append(outside_unchanged())
    items += [size_mode(), blank()]
    if has_region:
        items += [seam(), color_shift(), saturation()]
    if mode in ("sdedit", "instruct"):
        items.append(structure(strength))
    if mode != "instruct":
        items.append(prompt(warn_prompt))
    return items
