"""The QA checklist a plan carries: which checks apply to which mode, their thresholds and fixes.

Thresholds are limits on the measures executors/qa/measures.py computes (that module documents how
each value is measured). A fix is a change to the plan that the retry loop applies
(``retouch edit --max-retries N``, executors/qa/retry.py).

Each threshold's comment quotes the measurements that set it, from tests/bench/bench_qa_thresholds.py:
8 scikit-image photos (astronaut, coffee, chelsea, rocket, immunohistochemistry, camera, grass, brick)
x 6 random box masks (32 px to a third of the image per side), min / median / max of the value for
clean composites (an exact paste of the source, an OpenCV Telea fill, a blur stitched in with a 6 px
inward feather as executors/images/composite.py does) and planted defects. Rerun it after changing a
measure.
"""

from __future__ import annotations

from retouch.planner.contract.request import SAM_SOURCES
from retouch.planner.contract.schema import Fix, PlanChange, QAItem

# Bands of SSIM (result vs source, grey) that an SDEdit strength should land in: below the band the
# edit went over the fidelity cliff; above it, the edit did almost nothing. Whole-image SSIM of
# stand-in changes over the 8 photos (min / median / max): same image 1.0; tone grade x1.1+8
# 0.875 / 0.971 / 0.985; blur sigma 1 0.772 / 0.905 / 0.964; noise sigma 10 0.676 / 0.775 / 0.968;
# blur sigma 2 0.459 / 0.781 / 0.856; noise sigma 25 0.328 / 0.468 / 0.841; blur sigma 4 0.196 /
# 0.657 / 0.795; blur 4 + noise 25 0.142 / 0.220 / 0.252; a different photo 0.048 / 0.174 / 0.230.
# So a light (t < 0.35) edit must stay above 0.60 (every mild change above passes, every destroyed
# or different image fails) and below 0.995 (an untouched image fails). Where real SDEdit outputs
# land between those anchors for t = 0.35-1.0 is a prior from SD 1.5/SDXL img2img at 512-1024 px,
# not measured here (no weights on this machine): the lower limit falls as t rises, and from
# t = 0.7 only a result unrelated to the source (SSIM < 0.05) fails.
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
        "mean RGB step between neighbouring pixels across the edit region's edge, divided by the "
        "larger of the photo's own step in the ring just outside and the source's step across the "
        "same edge (1 = as smooth as the photo's texture)",
        # clean: exact paste <= 1.00 (by construction), Telea 0.45 / 0.59 / 1.09, feathered blur
        # 0.44 / 0.95 / 1.04; defects: a patch from elsewhere pasted hard 1.13 / 6.17 / 104.9 (47 of
        # 48 above 1.5; only 45 of 48 above 2.0: grass-on-grass 1.92-2.31 was missed), black region
        # 4.58 / 15.2 / 50.9, saturated patch 1.40 / 5.46 / 24.2. 1.5 is 1.4x the clean maximum.
        # The same foreign patch stitched with an 8 px feather measures 0.81 / 1.24 / 11.3: the
        # feather is the fix, and what colour difference remains is color-shift's to catch.
        1.5,
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
        "CIE76 colour difference between the mean Lab colour of the band 3 px just inside the "
        "edit region's edge and the ring 3 px just outside the feather, beyond the source's own "
        "difference between the same pixels",
        # clean: exact paste 0, Telea 0 / 0 / 0.54, feathered blur 0 / 0 / 0.58; defects: a colour
        # offset of (+18, -12, +14) RGB pasted hard 7.39 / 16.8 / 21.0 (the low end on the
        # astronaut's dark background), the same offset stitched with an 8 px feather 2.83 / 16.0 /
        # 20.8 (47 of 48 above 4.0), a foreign patch with an 8 px feather 0 / 5.88 / 70.4,
        # saturated patch 3.27 / 17.4 / 52.4. CIE76 2.3 is a just-noticeable difference; 4.0 is
        # 6.9x the clean maximum and catches every hard offset with a margin of 1.8x.
        4.0,
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
        "fraction of edit-region pixels that are clipped to a vivid colour (HSV S > 0.95 at "
        "V > 0.25), beyond the source's own fraction there",
        # clean: exact paste and Telea 0, feathered blur 0 / 0 / 0.031 (blurring coffee's red
        # saucer); defect: saturation x3 + 60, value x1.3 on the 5 colour photos 0.01 / 0.67 / 1.00
        # (26 of 30 above 0.05; grey photos have no hue to saturate: 0). 0.05 is 1.6x the clean
        # maximum. A patch of vivid content moved in from elsewhere measures up to 0.065: new,
        # genuinely vivid content over 5% of the region is flagged too.
        0.05,
        "<=",
        "lower the text guidance to 70%",
        [PlanChange(field="guidance.text", op="multiply", value=0.7)],
    )


def structure_fix(mode: str, too_far: bool, image_guidance: bool = True) -> Fix:
    """The fix for a structure failure. too_far: SSIM under the band (the edit went over the fidelity
    cliff); else over it (the edit barely changed the image). image_guidance: the family takes an
    image guidance scale (InstructPix2Pix); without one (Flux Kontext) the text guidance moves."""
    if mode != "instruct":
        step = -0.1 if too_far else 0.1
        return Fix(
            summary=f"{'lower' if too_far else 'raise'} the strength by 0.1 (or run the "
            "strength sweep)",
            changes=[PlanChange(field="strength", op="add", value=step)],
        )
    if image_guidance:
        factor = 1.25 if too_far else 0.8
        return Fix(
            summary=f"{'raise' if too_far else 'lower'} the image guidance "
            f"{'25' if too_far else '20'}% (closer to the source when higher)",
            changes=[PlanChange(field="guidance.image", op="multiply", value=factor)],
        )
    factor = 0.8 if too_far else 1.25
    return Fix(
        summary=f"{'lower' if too_far else 'raise'} the text guidance "
        f"{'20' if too_far else '25'}% (how hard the instruction is followed)",
        changes=[PlanChange(field="guidance.text", op="multiply", value=factor)],
    )


def structure(strength: float | None, mode: str = "sdedit") -> QAItem:
    lo, hi = structure_band(strength)
    fix = structure_fix(mode, too_far=True)
    return _item(
        "structure",
        "mean SSIM of the result against the source (grey, 7x7 windows) over "
        "the regenerated pixels; fails below the band (over the fidelity cliff) and above "
        "it (the edit did almost nothing)",
        lo,
        ">=",
        fix.summary,
        fix.changes,
        band=(lo, hi),
    )


def size_mode() -> QAItem:
    return _item(
        "size-mode",
        "1 when the result as written has the source's size, mode and bit depth (the "
        "extended canvas for outpainting), else 0",
        1,
        "==",
        "resize/convert back to the source geometry (an executor bug if it recurs)",
    )


def blank() -> QAItem:
    return _item(
        "blank",
        "of the edit-region pixels that were not black in the source, the fraction that are black "
        "(all channels <= 4) or NaN in the result",
        # clean: 0 / 0 / 0.048 (Telea); a patch from elsewhere pasted (dark content moved in)
        # 0 / 0 / 0.12; a blanked region 1.0 on every photo and box. Legitimately dark new content
        # (a shadow) stays well under half the region; a safety checker's or NaN's blank image
        # fills all of it: 0.5.
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
        "give a scene caption: the whole image as it should look",
    )
    if warn:
        item.status = "warn"
    return item


def prompt_adherence() -> QAItem:
    return _item(
        "prompt-adherence",
        "CLIP cosine similarity of the positive prompt with the edited area of the result, minus "
        "the same for the source (> 0: the edit moved the area toward the prompt); skipped "
        "without local CLIP weights",
        # No threshold to calibrate: an edit that carried its prompt out cannot leave the area
        # further from the prompt than the source was, so the limit is the source itself.
        0.0,
        ">=",
        "try another seed (this sample did not carry the prompt out), or reword the prompt",
        [PlanChange(field="seed", op="add", value=1)],
    )


# ------------------------------------------------------------------ content checks (weights-free)

CHANGE_INTENTS = ("remove", "replace-object", "replace-sky", "replace-background")
# Coverage band (fraction of the image) a segmenter's mask may take for each intent. The issue's
# failures set the ends: a 12x13 px click mask for a name tag (0.06% of 512x512 is 157 px, so the
# sliver is under 0.05%) and a "small tag" click mask over a quarter of the image. A removal or an
# object replacement over 25% is a subject, not an object in the scene; a sky or background may
# take up to 95% (a band that still fails a mask of everything).
COVERAGE_BANDS: dict[str, tuple[float, float]] = {
    "remove": (0.0005, 0.25),
    "replace-object": (0.0005, 0.25),
}
COVERAGE_DEFAULT = (0.0005, 0.95)
# The mask's outline against image edges (executors/images/edges.py edge_alignment, 2 px
# tolerance), on the 8 photos: 48 felzenszwalb segments (0.5-25% of the image; outlines that follow
# edges by construction) 0.790 / 2.121 / 6.949 (5th percentile 1.037); the same segments moved to a
# random place 0.137 / 1.006 / 5.439 (29% under 0.75); random ellipses 0.159 / 1.130 / 3.361 (10%
# under). 0.75 is just under the clean minimum: no false alarm; it fails outlines on clearly weaker
# edges than a random placement. A mask over the wrong object that still follows edges is for the
# clicks and the coverage band to catch.
MASK_EDGE_RATIO = 0.75


def coverage_band(intent: str) -> tuple[float, float]:
    return COVERAGE_BANDS.get(intent, COVERAGE_DEFAULT)


def changed() -> QAItem:
    return _item(
        "changed",
        "mean grey change of the result from the source inside the edit region, divided by the "
        "change an OpenCV Telea fill of the region from its border makes (0 = untouched, 1 = "
        "changed as much as a plain fill), or 1.5 x (1 - the correlation of the region's fine "
        "detail with the source's) when more: a fill shares none of it",
        # clean: Telea 0.883 / 1.000 / 1.018, classical fill (Telea + texture) 0.857 / 1.054 /
        # 1.292, another photo's content 1.22 / 3.20 / 42.3, shifted/mirrored copies 0.63 / 2.0 /
        # 12.3; defects: exact paste 0 / 0 / 0, noise sigma 2 0.023 / 0.062 / 0.587, JPEG q80
        # 0.028 / 0.117 / 0.453, a 1.5 px blur (the object still there) 0.052 / 0.277 / 0.660.
        # 0.75 sits between the near-equal maximum 0.66 and the clean fills' minimum 0.857.
        # PatchMatch (the classical fill since issue 26) scored 0.34-2.4 on the ratio alone (21%
        # under 0.75: it can rebuild a region much like its surroundings); with the detail term,
        # 47 boxes of the same photos: PatchMatch 0.776 / 1.460 / 1.686, Telea + texture >= 1.156,
        # noise sigma 2 <= 0.307, JPEG q80 <= 0.261, 1.5 px blur <= 0.718, paste 0 (content.py).
        # bench_qa_thresholds.py's own 48 boxes: PatchMatch 0.705 / 1.458 / 2.425 (2 under 0.75),
        # noise sigma 2 caught 45 of 48, paste all.
        0.75,
        ">=",
        "the region came back (nearly) unchanged: check the mask covers the object and try "
        "another seed",
        [PlanChange(field="seed", op="add", value=1)],
    )


def repetition() -> QAItem:
    return _item(
        "repetition",
        "fraction of the new area's textured 16x16 blocks (at 256 px, finer for a narrow region) "
        "that are one shifted or mirrored copy of the source outside the region (best match leaves "
        "< 10% of the block's variance and the same copy < 5% within 16 px around it), over at "
        "least 8 blocks; 1 when the new area adds a face or holds a copy of a source face",
        # tests/bench/bench_qa_thresholds.py, 8 photos x 6 boxes: clean Telea max 0.125, classical
        # fill max 0.125, another photo's patch 0, Telea outpaint 0; defects flagged: a mirrored
        # neighbour strip 88% of 48, a shifted copy 73% of 48, the classical mirror + blur
        # outpaint 25% of 8 (its blur hides the copy beyond the first blocks). Flat copies (sky)
        # have no textured block and score 0: invisible, and not flagged. Counting only the
        # largest single copy (issue 26; a PatchMatch fill is a collage of small copies): mirrored
        # neighbour 42 of 48 flagged, shifted copy 36 of 48, PatchMatch fills 2 of 48 (0.3, and
        # 0.75 where it pasted one chunk of grass whole: seed + 1 is the fix); on
        # bench_qa_thresholds.py's boxes PatchMatch 3 of 48 (max 0.583), mirrored 88%, shifted 73%.
        0.2,
        "<=",
        "the new area repeats the source (a mirrored or copied patch): use a diffusion model "
        "for this region, or a smaller mask, and another seed",
        [PlanChange(field="seed", op="add", value=1)],
    )


def mask_fit() -> QAItem:
    return _item(
        "mask-fit",
        "how much stronger the image's edges are along the segmenter's mask outline than along "
        "the same outline at random places (1 = no better than a random shape); fails too when a "
        "click lies outside the mask or the mask's coverage is outside the intent's band",
        MASK_EDGE_RATIO,
        ">=",
        "the mask does not fit the request: give a box around the object, add a background "
        "click (label 0) on what leaked in, or draw the mask",
    )


def checklist(
    mode: str,
    strength: float | None,
    warn_prompt: bool,
    has_region: bool,
    intent: str | None = None,
    mask_source: str = "given",
) -> list[QAItem]:
    """The checks that apply to a plan, in the order they are reported.

    ``has_region``: the edit is confined to a mask (inpaint, outpaint, repaint, masked SDEdit).
    ``intent``: the plan's intent (``changed`` applies to removals and replacements);
    ``mask_source``: where the mask comes from (``mask-fit`` checks a segmenter's masks).
    """
    items: list[QAItem] = []
    if has_region:
        items.append(outside_unchanged())
    items += [size_mode(), blank()]
    if has_region:
        items += [seam(), color_shift(), saturation()]
        if mask_source in SAM_SOURCES:
            items.append(mask_fit())
        if intent in CHANGE_INTENTS and mode in ("inpaint", "repaint"):
            items.append(changed())
        items.append(repetition())
    if mode in ("sdedit", "instruct"):
        items.append(structure(strength, mode))
    if mode != "instruct":
        items.append(prompt(warn_prompt))
    if mode != "repaint":  # RePaint's DDPM is unconditional: it reads no prompt
        items.append(prompt_adherence())
    return items


# Identity: Euclidean distance of dlib's 128-D face embeddings (executors/faces/embed.py; aligned by
# the 5 landmarks) between the source's face and the result's face at the same place. Measured with
# the real models on scikit-image's astronaut: contrast x0.7 0.08, resize to 75% 0.10, brightness
# x1.3 0.15, JPEG q30 0.18, her mirror image 0.19, noise sigma 12 0.20, blur sigma 1 0.22, the
# mouth filled by OpenCV Telea 0.31, JPEG q10 0.33, blur sigma 2 0.38; another person (Grace Hopper,
# matplotlib's sample photo) 0.70. dlib's own threshold for "same person" across different photos
# is 0.6 (99.38% on LFW). An edit keeps the photo, so the same face should stay nearer than two
# photos of one person: 0.5 passes every mild change above and fails the other person.
IDENTITY_MAX = 0.5
IDENTITY_REPORT_ONLY = 4.0  # over any distance two dlib embeddings can have: the value is reported


def identity(mode: str, changes_face: bool = False) -> QAItem:
    """``identity``: the result's face still belongs to the source's person. ``changes_face``
    (the edit asks for another age, expression or person): the distance is reported, not judged."""
    measure = (
        "largest distance between a face the edit touches and the result's face there (dlib "
        "128-D embeddings; 0 = the same face, dlib's same-person limit 0.6)"
    )
    if changes_face:
        return _item(
            "identity",
            measure + "; reported only: the edit is meant to change the face",
            IDENTITY_REPORT_ONLY,
            "<=",
            "nothing to fix: the edit is meant to change the face",
        )
    if mode in ("sdedit", "instruct"):
        # the same change as the structure check's fix, told but not applied a second time: both
        # checks fail together when the edit went too far, and the retry applies each change once
        fix = structure_fix(mode, too_far=True)
        return _item("identity", measure, IDENTITY_MAX, "<=", f"the face changed: {fix.summary}")
    return _item(
        "identity",
        measure,
        IDENTITY_MAX,
        "<=",
        "the face changed: mask only the part to edit ('her glasses', not 'her face') and try "
        "another seed",
        [PlanChange(field="seed", op="add", value=1)],
    )


def identity_items(
    mode: str, has_region: bool, mask_source: str, changes_face: bool = False
) -> list[QAItem]:
    """``[identity]`` for an edit whose mask comes from face words or that changes the whole image
    (a photo without faces skips it at QA time); ``[]`` otherwise."""
    if mask_source == "face" or not has_region:
        return [identity(mode, changes_face)]
    return []
