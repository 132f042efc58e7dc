"""Published benchmark scores of the model families, each with the source it was read from.

``SCORES`` maps a family id (a key of ``REGISTRY``) to its scores on the two instruction-editing
benchmarks the planner weighs: GEdit-Bench-EN (Step1X-Edit's benchmark; ``overall`` is G_O, the
judge model's geometric mean of semantic consistency and perceptual quality, 0-10) and ImgEdit-Bench
(``overall``, the mean over its edit types, 1-5). A number is here only if it was read in its
source; ``note`` names the table and row, ``reported_by`` says whether the model's own authors or
a third party published it, and ``weights`` which published weights it is for (a family's default
weights can be a later release than the scored one). Scores from different papers used different
judge models and runs: compare within one source where you can.

Families with no entry have no sourced score on these benchmarks: sd-inpaint, sdxl-inpaint,
flux-fill (mask fillers, which these instruction-editing benchmarks do not score), sd, sdxl, ddpm
(not editors), z-image and qwen-image-2.1 (see the comments in ``SCORES``).

``QUALITY_RULES`` names the planner rules that choose a family by published quality; a plan cites
the chosen family's scores only when one of them decided the family list (planner/plan.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Bench = Literal["GEdit-Bench-EN", "ImgEdit"]
Reporter = Literal["authors", "third party"]
BENCHES: tuple[str, ...] = ("GEdit-Bench-EN", "ImgEdit")
METRICS: tuple[str, ...] = ("overall",)
# the scale of each benchmark's overall score: (lowest, highest)
SCALES: dict[str, tuple[float, float]] = {"GEdit-Bench-EN": (0.0, 10.0), "ImgEdit": (1.0, 5.0)}


@dataclass(frozen=True)
class Score:
    bench: Bench
    metric: Literal["overall"]
    value: float
    source_title: str
    source_url: str
    note: str  # the table it was read from, and anything a reader needs to weigh it
    weights: str = ""  # the published weights scored (a Hub id), when the family has several
    reported_by: Reporter = "third party"

    def text(self) -> str:
        """One line: 'GEdit-Bench-EN overall 7.54 (Qwen/Qwen-Image-Edit-2509)'."""
        return f"{self.bench} {self.metric} {self.value:g}" + (
            f" ({self.weights})" if self.weights else ""
        )


# The sources read, as (title, URL). Each Score's note names the table.
_QWEN_IMAGE = (
    "Qwen-Image Technical Report (arXiv:2508.02324v1)",
    "https://arxiv.org/abs/2508.02324",
)
_LONGCAT = (
    "LongCat-Image Technical Report (arXiv:2512.07584v1)",
    "https://arxiv.org/abs/2512.07584",
)
_SENSENOVA = (
    "SenseNova-U1: Unifying Multimodal Understanding and Generation with NEO-unify Architecture "
    "(arXiv:2605.12500v1)",
    "https://arxiv.org/abs/2605.12500",
)
_TRM = (
    "Think Before You Score: Thinking Reward Model for Visual Generation (Bai et al., 2026)",
    "https://bxhsort.github.io/Thinking-Reward-Model/",
)


def _gedit(value: float, source: tuple[str, str], note: str, weights: str, by: Reporter) -> Score:
    return Score("GEdit-Bench-EN", "overall", value, *source, note, weights, by)


def _imgedit(value: float, source: tuple[str, str], note: str, weights: str, by: Reporter) -> Score:
    return Score("ImgEdit", "overall", value, *source, note, weights, by)


SCORES: dict[str, tuple[Score, ...]] = {
    "qwen-image-edit": (
        # the default weights (2509): the LongCat report's tables, which cite the Qwen team
        _gedit(
            7.54,
            _LONGCAT,
            "Table 10 (GEdit-Bench), G_O, row Qwen-Image-Edit [2509]; SenseNova-U1 Table 17 "
            "prints the same 7.54",
            "Qwen/Qwen-Image-Edit-2509",
            "third party",
        ),
        _imgedit(
            4.35,
            _LONGCAT,
            "Table 11 (ImgEdit-Bench), Overall, row Qwen-Image-Edit [2509]",
            "Qwen/Qwen-Image-Edit-2509",
            "third party",
        ),
        # the first release, scored by its authors
        _gedit(
            7.56,
            _QWEN_IMAGE,
            "Table 11 (GEdit-Bench, GPT-4.1 judge), G_O, row Qwen-Image (the editing model "
            "released as Qwen-Image-Edit)",
            "Qwen/Qwen-Image-Edit",
            "authors",
        ),
        _imgedit(
            4.27,
            _QWEN_IMAGE,
            "Table 12 (ImgEdit, GPT-4.1 judge), Overall, row Qwen-Image",
            "Qwen/Qwen-Image-Edit",
            "authors",
        ),
        # the 2511 variant (registry VARIANTS)
        _gedit(
            7.88,
            _SENSENOVA,
            "Table 17 (GEdit-Bench), G_O, row Qwen-Image-Edit-2511",
            "Qwen/Qwen-Image-Edit-2511",
            "third party",
        ),
        _imgedit(
            4.51,
            _SENSENOVA,
            "Table 16 (ImgEdit), Overall, row Qwen-Image-Edit-2511",
            "Qwen/Qwen-Image-Edit-2511",
            "third party",
        ),
    ),
    "longcat-image-edit": (
        _gedit(
            7.64,
            _LONGCAT,
            "Table 10 (GEdit-Bench), G_O, row LongCat-Image-Edit; later third-party tables "
            "(SenseNova-U1 Table 17) print 7.75",
            "meituan-longcat/LongCat-Image-Edit",
            "authors",
        ),
        _imgedit(
            4.50,
            _LONGCAT,
            "Table 11 (ImgEdit-Bench), Overall, row LongCat-Image-Edit; SenseNova-U1 Table 16 "
            "prints 4.45",
            "meituan-longcat/LongCat-Image-Edit",
            "authors",
        ),
    ),
    # Black Forest Labs report KontextBench, not these benchmarks, for FLUX.1 Kontext [dev]
    "flux-kontext": (
        _gedit(
            6.00,
            _LONGCAT,
            "Table 10 (GEdit-Bench), G_O, row FLUX.1 Kontext [Dev]; SenseNova-U1 Table 17 "
            "prints the same 6.00",
            "black-forest-labs/FLUX.1-Kontext-dev",
            "third party",
        ),
        _imgedit(
            3.71,
            _LONGCAT,
            "Table 11 (ImgEdit-Bench), Overall, row FLUX.1 Kontext [Dev]",
            "black-forest-labs/FLUX.1-Kontext-dev",
            "third party",
        ),
    ),
    "instruct-pix2pix": (
        _gedit(
            3.68,
            _QWEN_IMAGE,
            "Table 11 (GEdit-Bench), G_O, row Instruct-Pix2Pix; the LongCat report's Table 10 "
            "prints 3.60 for the same row",
            "timbrooks/instruct-pix2pix",
            "third party",
        ),
        _imgedit(
            1.88,
            _QWEN_IMAGE,
            "Table 12 (ImgEdit), Overall, row Instruct-Pix2Pix",
            "timbrooks/instruct-pix2pix",
            "third party",
        ),
    ),
    # Black Forest Labs publish no GEdit-Bench/ImgEdit figure for FLUX.2 [dev] or [klein]
    "flux2-dev": (
        _gedit(
            7.41,
            _SENSENOVA,
            "Table 17 (GEdit-Bench), G_O, row FLUX.2 [Dev]",
            "black-forest-labs/FLUX.2-dev",
            "third party",
        ),
        _imgedit(
            4.35,
            _SENSENOVA,
            "Table 16 (ImgEdit), Overall, row FLUX.2 [Dev]",
            "black-forest-labs/FLUX.2-dev",
            "third party",
        ),
    ),
    "flux2-klein": (
        _gedit(
            7.02,
            _TRM,
            "Table 5 (image editing), GEdit-Bench-EN G_O, row Flux2-Klein-4B (the baseline "
            "before their RL)",
            "black-forest-labs/FLUX.2-klein-4B",
            "third party",
        ),
        _imgedit(
            3.80,
            _TRM,
            "Table 5 (image editing), ImgEdit, row Flux2-Klein-4B",
            "black-forest-labs/FLUX.2-klein-4B",
            "third party",
        ),
        _gedit(
            7.64,
            _TRM,
            "Table 5 (image editing), GEdit-Bench-EN G_O, row Flux2-Klein-9B",
            "black-forest-labs/FLUX.2-klein-9B",
            "third party",
        ),
        _imgedit(
            4.05,
            _TRM,
            "Table 5 (image editing), ImgEdit, row Flux2-Klein-9B",
            "black-forest-labs/FLUX.2-klein-9B",
            "third party",
        ),
    ),
    # the JoyAI-Image report (arXiv:2605.04128) was not found in readable form; a third party's
    # table lists the model
    "joyai-image-edit": (
        _gedit(
            8.28,
            _TRM,
            "Table 5 (image editing), GEdit-Bench-EN G_O, row JoyAI-Image-Edit (listed among "
            "representative editing models; scored as jdopensource/JoyAI-Image-Edit, of which "
            "this is the diffusers-layout release)",
            "jdopensource/JoyAI-Image-Edit-Diffusers",
            "third party",
        ),
        _imgedit(
            4.46,
            _TRM,
            "Table 5 (image editing), ImgEdit, row JoyAI-Image-Edit",
            "jdopensource/JoyAI-Image-Edit-Diffusers",
            "third party",
        ),
    ),
    # No entry:
    # - z-image: the tables score Z-Image-Edit (separate weights, Z-Image report); the family runs
    #   Z-Image-Turbo as an inpaint/img2img model, which no benchmark here scores.
    # - qwen-image-2.1: no published GEdit-Bench-EN/ImgEdit figure was found.
}

# Rules that pick a family by its published quality (ids in planner/rules.py).
QUALITY_RULES: frozenset[str] = frozenset(
    {
        "quality-flux-fill",
        "quality-instruct-editor",
        "quality-attribute-editor",
        "open-editor-when-it-fits",
    }
)


def scores_for(family: str, weights: str | None = None) -> tuple[Score, ...]:
    """The family's published scores, GEdit-Bench-EN first; () when none is sourced.

    With ``weights`` (a Hub id), only the scores of those weights when there are any."""
    scores = SCORES.get(family, ())
    if weights is not None and any(s.weights == weights for s in scores):
        scores = tuple(s for s in scores if s.weights == weights)
    return tuple(sorted(scores, key=lambda s: BENCHES.index(s.bench)))
