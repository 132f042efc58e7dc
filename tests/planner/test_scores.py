"""Published scores (planner/catalog/scores.py) and where a plan cites them (issue 30, item 4)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image
from retouch.planner import EditPlan, EditRequest, analyze, make_plan
from retouch.planner.catalog.registry import REGISTRY, VARIANTS
from retouch.planner.catalog.scores import (
    BENCHES,
    METRICS,
    QUALITY_RULES,
    SCALES,
    SCORES,
    scores_for,
)
from retouch.planner.render import render
from retouch.planner.rules import ADJUST_RULES, TASK_RULES

ALL_SCORES = [(fam, s) for fam, scores in SCORES.items() for s in scores]
RULES = {r.id: r for r in (*TASK_RULES, *ADJUST_RULES)}


def _plan(edit: str, **prefs: str) -> EditPlan:
    request = EditRequest(image="photo.png", edit=edit, preferences=prefs)
    return make_plan(request, analyze(request, Image.new("RGB", (512, 512))))


def test_every_key_is_a_family() -> None:
    assert SCORES and set(SCORES) <= set(REGISTRY)


@pytest.mark.parametrize(("family", "score"), ALL_SCORES, ids=lambda v: getattr(v, "bench", v))
def test_every_score_is_sourced(family: str, score) -> None:
    assert score.bench in BENCHES and score.metric in METRICS
    low, high = SCALES[score.bench]
    assert low <= score.value <= high
    assert re.fullmatch(r"https://\S+", score.source_url), score.source_url
    assert score.source_title.strip()
    assert "Table" in score.note, "the note names the table the number was read in"
    assert score.reported_by in ("authors", "third party")
    # the weights scored are the family's own: its default, a registered variant, or named in
    # the family's own report (the first Qwen-Image-Edit release)
    assert score.weights
    own = {REGISTRY[family].default_id} | {i for i, v in VARIANTS.items() if v.family == family}
    assert score.weights in own or family.split("-")[0] in score.weights.lower()


def test_each_scored_family_has_its_default_weights_scored() -> None:
    for family in SCORES:
        default = REGISTRY[family].default_id
        assert all(s.weights == default for s in scores_for(family, default)), family


def test_scores_for_filters_by_weights_and_orders_benches() -> None:
    every = scores_for("qwen-image-edit")
    only = scores_for("qwen-image-edit", "Qwen/Qwen-Image-Edit-2511")
    assert len(only) == 2 < len(every)
    assert [s.bench for s in only] == ["GEdit-Bench-EN", "ImgEdit"]
    assert scores_for("qwen-image-edit", "someone/unknown") == every  # none match: all of them
    assert scores_for("sd-inpaint") == ()


def test_quality_rules_are_rules_that_pick_families() -> None:
    for rid in QUALITY_RULES:
        assert rid in RULES and RULES[rid].then.families, rid
    # every rule that fires on priority quality and sets the family list picks by quality
    for rule in RULES.values():
        if rule.when.get("priority") == "quality" and rule.then.families:
            assert rule.id in QUALITY_RULES, rule.id


def test_quality_plan_cites_the_chosen_family_with_its_source() -> None:
    plan = _plan("make it look like winter", priority="quality", hardware="gpu-80gb")
    family = plan.model.family
    assert plan.model.quality_rule == "quality-instruct-editor"
    expected = scores_for(family, plan.model.id)
    assert expected, f"{family} should have a sourced score"
    assert [(c.bench, c.value, c.url) for c in plan.model.cited_scores] == [
        (s.bench, s.value, s.source_url) for s in expected
    ]
    doc = render(plan)
    line = next(x for x in doc.splitlines() if x.startswith("- **Published scores**"))
    assert "quality-instruct-editor" in line and family in line
    for s in expected:
        assert f"{s.bench} overall {s.value:g}" in line
        assert f"]({s.source_url})" in line and s.source_title in line
    # plan.json carries the citation and reads back
    again = EditPlan.model_validate_json(plan.model_dump_json())
    assert again.model.cited_scores == plan.model.cited_scores


def test_quality_pick_without_a_sourced_score_says_so() -> None:
    request = EditRequest(
        image="photo.png",
        edit="remove the sign",
        mask="mask.png",
        preferences={"priority": "quality", "hardware": "gpu-80gb"},
    )
    mask = Image.new("L", (512, 512))
    mask.paste(255, (200, 200, 260, 260))
    plan = make_plan(request, analyze(request, Image.new("RGB", (512, 512)), np.array(mask) > 0))
    assert plan.model.family == "flux-fill" and plan.model.quality_rule == "quality-flux-fill"
    assert plan.model.cited_scores == []
    assert "none with a source for this family" in render(plan)


@pytest.mark.parametrize(
    ("edit", "prefs"),
    [
        ("make it look like winter", {"priority": "balanced", "hardware": "gpu-24gb"}),
        ("make it look like winter", {"priority": "latency", "hardware": "gpu-80gb"}),
        # quality was asked for, but the spatial-edit rule replaced the list afterwards
        ("rotate the chair to show the left side", {"priority": "quality", "hardware": "gpu-80gb"}),
    ],
)
def test_plan_not_picked_by_quality_claims_nothing(edit: str, prefs: dict[str, str]) -> None:
    plan = _plan(edit, **prefs)
    assert plan.model.quality_rule is None and plan.model.cited_scores == []
    assert "Published scores" not in render(plan)
