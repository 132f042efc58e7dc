"""Published benchmark scores of the model families, each with the source it was read from.

``SCORES`` maps a family id (a key of ``REGISTRY``) to its scores on the two instruction-editing
benchmarks the planner weighs: GEdit-Bench-EN (Step1X-Edit's benchmark; ``overall`` is G_O, the
GPT-4.1-judged mean over semantic consistency and perceptual quality, 0-10) and ImgEdit-Bench
(``overall``, the GPT-4.1-judged mean over its edit types, 1-5). A number is here only if it was read in
its source (the table is named in ``note``); ``reported_by`` says whether the model's own authors or a
third party measured it, and ``weights`` which published weights it is for (a family's default
weights can be a later release than the scored one).

Families with no entry have no published score on these benchmarks that could be sourced:
sd-inpaint, sdxl-inpaint, flux-fill (mask fillers, not instruction editors: these benchmarks do
not score them), sd, sdxl, ddpm (not editors), and see the comments below for the rest.

``QUALITY_RULES`` names the rules that choose a family by these scores; a plan cites the chosen
family's scores only when one of them decided the family list (planner/plan.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Bench = Literal["GEdit-Bench-EN", "ImgEdit"]
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
    reported_by: Literal["authors", "third party"] = "third party"

    def text(self) -> str:
        """One line: 'GEdit-Bench-EN overall 7.54 (Qwen/Qwen-Image-Edit-2509)'."""
        return f"{self.bench} {self.metric} {self.value:g}" + (
            f" ({self.weights})" if self.weights else ""
        )


_SENSENOVA = (
    "SenseNova-U1: Unifying Multimodal Understanding and Generation with NEO-unify Architecture "
    "(arXiv:2605.12500)",
    "https://arxiv.org/abs/2605.12500",
)

SCORES: dict[str, tuple[Score, ...]] = {
    "qwen-image-edit": (
        Score(
            "GEdit-Bench-EN",
            "overall",
            7.54,
            *_SENSENOVA,
            "Table 17 (GEdit-Bench, open-source models), G_O column",
            weights="Qwen/Qwen-Image-Edit-2509",
        ),
    ),
    "longcat-image-edit": (
        Score(
            "GEdit-Bench-EN",
            "overall",
            7.75,
            *_SENSENOVA,
            "Table 17 (GEdit-Bench, open-source models), G_O column",
            weights="meituan-longcat/LongCat-Image-Edit",
        ),
    ),
    "flux-kontext": (
        Score(
            "GEdit-Bench-EN",
            "overall",
            6.00,
            *_SENSENOVA,
            "Table 17 (GEdit-Bench, open-source models), G_O column, FLUX.1 Kontext [Dev]",
            weights="black-forest-labs/FLUX.1-Kontext-dev",
        ),
    ),
    "flux2-dev": (
        Score(
            "GEdit-Bench-EN",
            "overall",
            7.41,
            *_SENSENOVA,
            "Table 17 (GEdit-Bench, open-source models), G_O column, FLUX.2 [Dev]",
            weights="black-forest-labs/FLUX.2-dev",
        ),
    ),
}

# Rules that pick a family by its published quality (ids in planner/rules.py).
QUALITY_RULES: frozenset[str] = frozenset(
    {"quality-instruct-editor", "quality-attribute-editor", "open-editor-when-it-fits"}
)


def scores_for(family: str) -> tuple[Score, ...]:
    """The family's published scores, GEdit-Bench-EN first; () when none is sourced."""
    return tuple(sorted(SCORES.get(family, ()), key=lambda s: BENCHES.index(s.bench)))
