"""The typed rule context (issue 29, item 2): the facts rules read are ``RuleFacts``; a rule naming
an unknown fact or a value the fact cannot take fails as the table is built; unused facts are
reported; rules.py's docstring lists every fact and value."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import ValidationError
from retouch.planner import context, rules
from retouch.planner.context import READ_ELSEWHERE, RuleFacts, rule_facts
from retouch.planner.language import vocab
from retouch.planner.language.intent import INTENTS
from retouch.planner.rules import ADJUST_RULES, TASK_RULES, Decide, Rule

ROOT = Path(__file__).resolve().parents[2]


def _rule(when: dict) -> Rule:  # type: ignore[type-arg]
    return Rule(id="bad-rule", when=when, then=Decide(), why="A test rule.")


def unused_facts(table: list[Rule]) -> list[str]:
    """Facts a rule may name that no rule of ``table`` reads."""
    read = {key for rule in table for key in rule.when}
    return [name for name in rule_facts() if name not in read]


# ------------------------------------------------------------------------- checked at import


@pytest.mark.parametrize(
    ("when", "key"),
    [
        ({"colour": "red"}, "colour"),
        ({"inten": "remove"}, "inten"),  # a typo of a real fact
        ({"mode": "sdedit", "strength_near_cliff": True}, "strength_near_cliff"),  # removed fact
        ({"allowed": ["sd"]}, "allowed"),  # read by planning, not by rules
    ],
)
def test_rule_naming_an_unknown_fact_fails(when: dict, key: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError, match=rf"rule 'bad-rule': 'when' names '{key}'"):
        _rule(when)


@pytest.mark.parametrize(
    ("when", "key"),
    [
        ({"mode": "inpainting"}, "mode"),
        ({"intent": ["remove", "erase"]}, "intent"),  # one bad value in an any-of list
        ({"reference": "yes"}, "reference"),  # a bool fact takes True or False only
        ({"controlnet": 1}, "controlnet"),
        ({"hardware": "gpu-40gb"}, "hardware"),
        ({"region": None}, "region"),  # region is never None
    ],
)
def test_rule_with_a_value_the_fact_cannot_take_fails(when: dict, key: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError, match=rf"rule 'bad-rule': 'when' {key}="):
        _rule(when)


def test_empty_any_of_list_fails() -> None:
    with pytest.raises(ValidationError, match="'intent' is an empty list"):
        _rule({"intent": []})


def test_valid_when_is_accepted() -> None:
    rule = _rule({"mode": ["inpaint", "outpaint"], "canvas": None, "reference": False})
    assert rule.when == {"mode": ["inpaint", "outpaint"], "canvas": None, "reference": False}


# ------------------------------------------------------------------------------ unused facts


def test_every_fact_is_read_by_a_rule_or_allow_listed() -> None:
    unused = unused_facts(TASK_RULES + ADJUST_RULES)
    assert not unused, f"facts no rule reads (remove them or add them to READ_ELSEWHERE): {unused}"


def test_unused_facts_are_reported() -> None:
    # the task rules alone read no decided facts: the report names them
    unused = unused_facts(TASK_RULES)
    assert {"mode", "executor", "strength_band", "big_image"} <= set(unused)


def test_allow_listed_facts_are_fields_read_by_planning() -> None:
    source = (ROOT / "planner" / "plan.py").read_text() + (ROOT / "planner" / "context.py").read_text()  # fmt: skip
    for name in READ_ELSEWHERE:
        assert name in RuleFacts.model_fields, name
        assert re.search(rf"(ctx|facts)\.{name}\b", source), f"{name} is read nowhere"


# ------------------------------------------------------------------------------- the model


def _values(name: str) -> list[object]:
    """The closed set of values of a Literal fact (None left out); [] for an open type."""
    ann = RuleFacts.model_fields[name].annotation
    parts = [ann] if typing.get_origin(ann) is typing.Literal else typing.get_args(ann)
    return [
        v
        for part in parts
        if typing.get_origin(part) is typing.Literal
        for v in typing.get_args(part)
    ]


def test_closed_sets_agree_with_the_language_rooms() -> None:
    assert set(_values("intent")) == {name for name, _ in INTENTS}
    assert set(_values("touch")) == {level for level, _, _ in vocab.DEGREE} | {"normal"}
    assert set(_values("mask_size")) == {n for _, n in context.MASK_SIZES} | {"unknown"}


def test_facts_forbid_unknown_keys_and_check_assignments(tmp_path, astronaut) -> None:  # type: ignore[no-untyped-def]
    from retouch.planner import EditRequest, analyze
    from retouch.planner.language.intent import parse

    astronaut.save(tmp_path / "p.png")
    request = EditRequest.model_validate(
        {"image": str(tmp_path / "p.png"), "edit": "make it sunset"}
    )
    facts = context.rule_context(request, analyze(request), parse(request.edit), None)
    assert facts.intent == "relight" and facts.region == "none" and facts.mode is None
    with pytest.raises(ValidationError):
        facts.mode = "paint"  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        RuleFacts.model_validate({**facts.model_dump(), "colour": "red"})


def test_strength_band_bounds() -> None:
    bands = [context.strength_band(s) for s in (None, 0.3, 0.45, 0.65, 0.66, 0.8, 0.9)]
    assert bands == [None, "low", "cliff", "cliff", "restyle", "restyle", "high"]


# ------------------------------------------------------------------------- the docstring


def _documented() -> dict[str, str]:
    """rules.py's ``when`` keys: ``  key   text`` lines, continued by deeper-indented lines."""
    doc = rules.__doc__ or ""
    section = doc[doc.index("``when`` keys") :]
    keys: dict[str, str] = {}
    last = None
    for line in section.splitlines():
        if m := re.match(r"^  ([a-z_]+)\s{2,}(.+)$", line):
            last = m.group(1)
            keys[last] = m.group(2)
        elif last is not None and re.match(r"^\s{8,}\S", line):
            keys[last] += " " + line.strip()
    return keys


def test_docstring_documents_every_fact_and_value() -> None:
    documented = _documented()
    assert sorted(documented) == sorted(rule_facts())
    for name, text in documented.items():
        for value in _values(name):
            assert re.search(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])", text), (
                f"rules.py's docstring does not list {value!r} for {name}"
            )
