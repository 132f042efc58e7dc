"""The weight-free mask fallback: OpenCV GrabCut from a box (or a box around the clicked points).

Lower quality than Segment Anything: GrabCut separates colours, not objects, so an object coloured
like its surroundings bleeds into them. Every result says so in ``MaskResult.note``.

How a prompt becomes GrabCut's input (at most ``work_side`` px on the long side, for speed):
- a box: outside = background, inside = probably foreground;
- points only: a guessed box, the points' bounding box grown by ``POINT_MARGIN`` of the short image
  side (or by the points' own spread, whichever is larger) on each side, is probably foreground and
  the rest only *probably* background, so the object may reach past the guess;
- foreground points (label 1) become small definite-foreground disks, background points (label 0)
  definite-background disks;
- a box that covers the whole image leaves no background to learn from, so a thin border ring is
  marked probably-background.
After GrabCut only the regions that hold a foreground point are kept (the largest region when there
is none), and holes smaller than 0.05% of the image are filled. A box in which GrabCut keeps
nothing (a thin object on busy ground: the rocket's mast) becomes the mask itself, score 0.

``MaskResult.score`` is ``confidence()``: colour separation times how well the mask fits the box it
grew from. Colour separation alone did not track quality (0.82-0.97 on the bad masks below); the
fit does. Calibration on scikit-image photos, one prompt each (fill = share of the box the mask
covers; escape = share of the mask outside the guessed box of a click):

    bad (the issue's cases)          fill   escape  separation  confidence
    astronaut name tag, click        0.008  0       0.82        0.07   (a 23x18 px sliver)
    astronaut mission patch, click   0.96   0.69    0.73        0      (bled over the suit)
    cat's nose, click                0.58   0.64    0.67        0      (half the face)
    coffee spoon, click              0.99   0.84    0.92        0      (saucer + cup)
    coffee saucer, click             0.92   0.86    0.79        0      (saucer + cup + table)
    rocket tower, box                0.002  0       0.97        0.02   (one floodlight)
    good
    astronaut face / helmet / tag, box  0.74 / 0.87 / 0.64, escape 0  -> 0.74 / 0.58 / 0.89
    cat's eye, click                 0.50   0.001   0.74        0.74
    coffee cup, box                  0.47   0       0.80        0.80
    rocket, box                      0.39   0       0.84        0.84

Every bad mask is under 0.1 and every good one over 0.55: ``LOW_CONFIDENCE`` (0.3) sits between.
The cost: one click says nothing of the object's extent, so a right mask that grows far past the box
guessed around the click scores low too (a clear synthetic ellipse clicked once: 0); the note then
asks for a look at the overlay, and a box or a few clicks spread over the object restore the score.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from retouch.executors.images import masks
from retouch.executors.segment.prompts import MaskResult, check_prompt, to_rgb
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.schema import SamPrompt

POINT_MARGIN = 0.15  # box margin around points-only prompts, as a fraction of the short side
LOW_CONFIDENCE = 0.3  # under this the mask is probably not the object (see the module docstring)
FULL_FILL = 0.10  # a mask covering this share of its box or more is not a sliver
MAX_ESCAPE = 0.30  # a click mask with this share outside its guessed box has bled into the scene
NOTE = (
    "GrabCut fallback (no SAM checkpoint): lower quality than Segment Anything; set "
    "RETOUCH_SAM_CHECKPOINT to a SAM checkpoint for better masks"
)


def _box_from(prompt: SamPrompt, w: int, h: int) -> tuple[float, float, float, float]:
    """The box GrabCut starts from, XYXY pixels (points-only prompts get a box around the points)."""
    if prompt.box is not None:
        return prompt.box
    fg = np.array([[p.x, p.y] for p in prompt.points if p.label == 1], dtype=np.float64)
    (x0, y0), (x1, y1) = fg.min(axis=0), fg.max(axis=0)
    margin = max(POINT_MARGIN * min(w, h), x1 - x0, y1 - y0)
    return (
        max(0.0, x0 - margin),
        max(0.0, y0 - margin),
        min(float(w), x1 + margin),
        min(float(h), y1 + margin),
    )


def separation(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Confidence proxy in 0..1: how distinct the object's colours are from the rest of the box.

    Bhattacharyya distance between 8x8x8 RGB histograms of ``mask`` pixels and of the other pixels
    of ``box`` grown by a quarter of its size (0 = the same colours, 1 = no colour in common).
    """
    import cv2

    if not mask.any():
        return 0.0
    h, w = mask.shape
    x0, y0, x1, y1 = box
    gx, gy = (x1 - x0) // 4 + 1, (y1 - y0) // 4 + 1
    region = np.zeros_like(mask)
    region[max(0, y0 - gy) : min(h, y1 + gy), max(0, x0 - gx) : min(w, x1 + gx)] = True
    rest = region & ~mask
    if not rest.any():
        return 0.0

    def hist(sel: np.ndarray) -> np.ndarray:
        hst = cv2.calcHist([rgb], [0, 1, 2], sel.astype(np.uint8), [8, 8, 8], [0, 256] * 3)
        return cv2.normalize(hst, hst, alpha=1.0, norm_type=cv2.NORM_L1)

    return float(np.clip(cv2.compareHist(hist(mask), hist(rest), cv2.HISTCMP_BHATTACHARYYA), 0, 1))


def confidence(
    rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], guessed: bool
) -> float:
    """0..1: colour separation times box fit (calibration in the module docstring).

    ``box``: XYXY on ``mask``'s grid, the user's box or (``guessed``) the box around the clicks.
    Box fit = min(1, fill / FULL_FILL) (a sliver of its box scores low) times, for a guessed box,
    max(0, 1 - escape / MAX_ESCAPE) (a mask that grew far past the clicked object scores low).
    """
    if not mask.any():
        return 0.0
    x0, y0, x1, y1 = box
    inside = np.zeros_like(mask)
    inside[y0:y1, x0:x1] = True
    fill = (mask & inside).sum() / max(1, inside.sum())
    fit = min(1.0, fill / FULL_FILL)
    if guessed:
        escape = (mask & ~inside).sum() / mask.sum()
        fit *= max(0.0, 1.0 - escape / MAX_ESCAPE)
    return round(float(separation(rgb, mask, box) * fit), 4)


class GrabCutSegmenter:
    """GrabCut from a SAM-style prompt. ``__call__(image, prompt) -> MaskResult`` (method "grabcut").

    ``iterations``: GrabCut rounds; ``work_side``: long side (px) GrabCut runs at (the mask is
    scaled back to the source size), which bounds its time to about a second on a CPU core.
    """

    def __init__(self, iterations: int = 5, work_side: int = 512) -> None:
        if iterations < 1 or work_side < 32:
            raise ValueError(f"iterations={iterations}, work_side={work_side}; need >= 1 and >= 32")
        self.iterations = iterations
        self.work_side = work_side

    def __call__(self, image: Image.Image | np.ndarray, prompt: SamPrompt) -> MaskResult:
        """Segment the prompted object. ``image``: PIL or RGB uint8 (H, W, 3); pixel coordinates."""
        import cv2

        # 1. check inputs
        rgb = to_rgb(image)
        h, w = rgb.shape[:2]
        check_prompt(prompt, (w, h))
        # 2. work at most work_side px on the long side
        scale = min(1.0, self.work_side / max(w, h))
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        bx0, by0, bx1, by1 = (v * scale for v in _box_from(prompt, w, h))
        box = (
            int(np.floor(bx0)),
            int(np.floor(by0)),
            min(sw, int(np.ceil(bx1))),
            min(sh, int(np.ceil(by1))),
        )
        # 3. GrabCut, keep the prompted regions, fill small holes
        found = self._run(small, box, prompt, scale)
        score = confidence(small, found, box, guessed=prompt.box is None)
        boxed = prompt.box is not None and not found.any()
        if boxed:  # nothing separated (a thin object on busy ground): the box is the mask
            found[box[1] : box[3], box[0] : box[2]] = True
        # 4. back to the source size
        if scale < 1:
            up = cv2.resize(found.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
            found = up >= 0.5
        return MaskResult(
            mask=found,
            score=score,
            method="grabcut",
            sam_type=None,
            candidates=[found],
            scores=[score],
            note=f"{NOTE}. GrabCut separated nothing in the box, so the mask is the whole box"
            if boxed
            else NOTE
            if score >= LOW_CONFIDENCE
            else f"{NOTE}. Low confidence ({score:.2f}): the mask is probably not the object "
            "(a sliver of the box, or it spread past the click); check the overlay, add a "
            "background click (label 0) where it spread, or draw a box",
        )

    def _run(
        self, small: np.ndarray, box: tuple[int, int, int, int], prompt: SamPrompt, scale: float
    ) -> np.ndarray:
        """One GrabCut on the work image: bool (h, w) of the prompted object, holes cleaned."""
        import cv2

        # seed the label map: inside the box probably foreground, clicks sure, outside background
        # (only probably background when the box is a guess around points, so the object may leave it)
        sh, sw = small.shape[:2]
        outside = cv2.GC_BGD if prompt.box is not None else cv2.GC_PR_BGD
        seed = np.full((sh, sw), outside, dtype=np.uint8)
        seed[box[1] : box[3], box[0] : box[2]] = cv2.GC_PR_FGD
        if not (seed != cv2.GC_PR_FGD).any():
            ring = max(1, round(0.01 * min(sw, sh)))
            seed[:ring, :] = seed[-ring:, :] = seed[:, :ring] = seed[:, -ring:] = cv2.GC_PR_BGD
        radius = max(2, round(0.01 * min(sw, sh)))
        for p in prompt.points:
            centre = (int(p.x * scale), int(p.y * scale))
            cv2.circle(seed, centre, radius, cv2.GC_FGD if p.label == 1 else cv2.GC_BGD, -1)
        fg = (seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD)
        if fg.all() or not fg.any():  # GrabCut learns from both sides; a 1x1 image has one
            raise InputError(
                f"GrabCut needs pixels both on and off the object; this {sw}x{sh} image and prompt "
                "leave it only one side: give a larger image or a box that leaves some background"
            )
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        bgr = np.ascontiguousarray(small[..., ::-1])
        # GrabCut's k-means starts from OpenCV's per-thread RNG: seed it, same input -> same mask
        cv2.setRNGSeed(0)
        cv2.grabCut(bgr, seed, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
        found = (seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD)
        found = _keep_prompted(found, prompt, scale)
        return masks.fill_small_holes(found, max(16, round(0.0005 * sw * sh)))


def _keep_prompted(found: np.ndarray, prompt: SamPrompt, scale: float) -> np.ndarray:
    """Keep the 8-connected regions under a foreground point; the largest if no point is given."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(found.astype(np.uint8), connectivity=8)
    if n <= 1:
        return found
    h, w = found.shape
    hit = {
        int(labels[min(int(p.y * scale), h - 1), min(int(p.x * scale), w - 1)])
        for p in prompt.points
        if p.label == 1
    } - {0}
    if not hit:
        hit = {1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))}
    return np.isin(labels, sorted(hit))
