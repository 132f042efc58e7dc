"""Hints as data: typed, checked, carried by errors across pickling (the pool's Ray replicas send
errors back pickled) and by degraded entries through JSON."""

from __future__ import annotations

import pickle

import pytest
from pydantic import ValidationError
from retouch.planner.contract.errors import InputError, ModelMissingError, RetouchError
from retouch.planner.contract.hints import Hint, hint
from retouch.planner.contract.readiness import Degradation


def test_hint_writes_values_as_typed() -> None:
    assert hint("steps", 40) == Hint(setting="steps", value="40")
    assert hint("seed", 0.5).value == "0.5"
    assert hint("mask", drop=True) == Hint(setting="mask", drop=True)
    with pytest.raises(ValidationError):
        Hint(setting="colour")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Hint(setting="mask", flag="--mask")  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", [InputError, ModelMissingError, RetouchError])
def test_errors_keep_message_and_hints_through_pickling(cls: type[RetouchError]) -> None:
    err = cls("the model is missing; allow downloads", [hint("allow_download"), hint("model")])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls and str(back) == str(err) and back.hints == err.hints
    assert back.exit_code == cls.exit_code
    assert cls("no hints").hints == ()


def test_degraded_entries_keep_hints_through_json() -> None:
    d = Degradation(
        what="hardware", planned="gpu", used="cpu", why="no GPU", fix="plan for the CPU",
        hints=[hint("hardware", "cpu")],
    )  # fmt: skip
    assert Degradation.model_validate_json(d.model_dump_json()) == d
    old = {"what": "model", "planned": "a", "used": "b", "why": "c", "fix": "d"}
    assert Degradation.model_validate(old).hints == []  # plans written before hints still load
