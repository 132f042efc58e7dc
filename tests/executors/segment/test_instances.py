"""Choosing among instances from words, on synthetic instance sets (no model)."""

from __future__ import annotations

import numpy as np
import pytest
from retouch.executors.segment.instances import choose, select, union
from retouch.executors.segment.prompts import Instance
from retouch.planner.contract.errors import InputError
from retouch.planner.language.picks import read

SIZE = (200, 100)  # W, H


def inst(id: int, box: tuple[float, float, float, float], score: float = 0.9) -> Instance:
    m = np.zeros((SIZE[1], SIZE[0]), bool)
    x0, y0, x1, y1 = (int(v) for v in box)
    m[y0:y1, x0:x1] = True
    return Instance(id=id, box=box, score=score, area=float(m.mean()), mask=m)


# three dogs: a small one top-left, a big one bottom-middle, a medium one on the right
DOGS = [
    inst(1, (120, 30, 170, 70), 0.95),  # right, middle height
    inst(2, (10, 5, 30, 25), 0.80),  # top-left, small, far back
    inst(3, (60, 40, 120, 98), 0.70),  # centre-bottom, big, in front
]


@pytest.mark.parametrize(
    ("words", "ids"),
    [
        ("the dog", [1]),  # most confident
        ("the dog on the left", [2]),
        ("the rightmost dog", [1]),
        ("the biggest dog", [3]),
        ("the smallest dog", [2]),
        ("the dog in the background", [2]),
        ("the dog in the foreground", [3]),
        ("the dog at the top left", [2]),
        ("the dog at the bottom", [3]),
        ("the second dog from the left", [3]),
        ("the third dog from the left", [1]),
        ("the second dog from the right", [3]),
        ("the dog in the middle", [3]),
        ("the dogs", [1, 2, 3]),
        ("all the dogs", [1, 2, 3]),
        ("the dogs on the right", [1]),
        ("the dogs on the left", [2, 3]),
    ],
)
def test_words_choose_instances(words: str, ids: list[int]) -> None:
    target = read(words)
    assert target.text.endswith(("dog", "dogs"))
    assert sorted(choose(DOGS, target.pick, SIZE)) == ids


def test_union_is_the_or_of_the_chosen_masks() -> None:
    m = union(DOGS, [2, 3])
    assert np.array_equal(m, DOGS[1].mask | DOGS[2].mask)
    assert not (m & DOGS[0].mask & ~DOGS[2].mask).any()


def test_ties_go_to_the_higher_score() -> None:
    twins = [inst(1, (10, 10, 30, 30), 0.6), inst(2, (10, 10, 30, 30), 0.9)]
    assert choose(twins, "left", SIZE) == [2]


def test_bad_choices() -> None:
    with pytest.raises(InputError, match="number 4 from the left but only 3"):
        choose(DOGS, "left:4", SIZE)
    with pytest.raises(InputError, match="out of range"):
        select(DOGS, 4)
    with pytest.raises(InputError, match="not a number"):
        select(DOGS, "two")
    with pytest.raises(InputError, match="unknown"):
        choose(DOGS, "upwards", SIZE)
    assert select(DOGS, "all") == [1, 2, 3] and select(DOGS, 3) == [3]
