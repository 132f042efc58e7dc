"""Choosing among the instances SAM 3 found: a pick from words (planner/language/picks.py) or an id.

    choose(instances, pick, size)     pick -> instance ids ("left" -> the leftmost, "all" -> every one)
    select(instances, instance)       --instance N | all -> ids, checked against what was found
    union(instances, ids)             their masks OR-ed, bool (H, W)

Orders use each instance's box (XYXY pixels): its centre for left/right/top/bottom/corners/center,
its bottom edge for front (lowest in the frame = nearest the camera) and back, its mask area for
largest/smallest. Ties go to the higher score.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from retouch.executors.segment.prompts import Instance
from retouch.planner.contract.errors import InputError
from retouch.planner.contract.hints import hint
from retouch.planner.language.picks import ORDERS

Key = Callable[[Instance], float]


def _cx(i: Instance) -> float:
    return (i.box[0] + i.box[2]) / 2


def _cy(i: Instance) -> float:
    return (i.box[1] + i.box[3]) / 2


def _keys(size: tuple[int, int]) -> dict[str, Key]:
    """order -> sort key (ascending = first). ``size``: (W, H) pixels, to weigh corners fairly."""
    w, h = size
    return {
        "left": _cx,
        "right": lambda i: -_cx(i),
        "top": _cy,
        "bottom": lambda i: -_cy(i),
        "top-left": lambda i: _cx(i) / w + _cy(i) / h,
        "top-right": lambda i: -_cx(i) / w + _cy(i) / h,
        "bottom-left": lambda i: _cx(i) / w - _cy(i) / h,
        "bottom-right": lambda i: -_cx(i) / w - _cy(i) / h,
        "center": lambda i: ((_cx(i) - w / 2) / w) ** 2 + ((_cy(i) - h / 2) / h) ** 2,
        "front": lambda i: -i.box[3],
        "back": lambda i: i.box[3],
        "largest": lambda i: -i.area,
        "smallest": lambda i: i.area,
    }


def _on_side(order: str, i: Instance, size: tuple[int, int]) -> bool:
    """Whether the instance's centre lies in the half (or quarter) of the image ``order`` names."""
    w, h = size
    tests = {
        "left": _cx(i) < w / 2,
        "right": _cx(i) >= w / 2,
        "top": _cy(i) < h / 2,
        "bottom": _cy(i) >= h / 2,
    }
    return all(tests.get(part, True) for part in order.split("-"))


def parse_pick(pick: str) -> tuple[str, int | None]:
    """'left' -> (left, 1); 'left:2' -> (left, 2); 'left:all' -> (left, None); 'all' -> (all, None)."""
    order, _, nth = pick.partition(":")
    if pick == "all":
        return "all", None
    if order not in ORDERS or (nth and nth != "all" and not nth.isdigit()) or nth == "0":
        raise InputError(
            f"pick {pick!r} is unknown; use one of {', '.join(ORDERS)}, optionally :N "
            "(the N-th in that order) or :all, or all"
        )
    return order, None if nth == "all" else int(nth or 1)


def choose(instances: list[Instance], pick: str | None, size: tuple[int, int]) -> list[int]:
    """Ids of the instances ``pick`` means, of at least one instance. ``size``: (W, H) pixels.

    None -> the most confident; "all" -> every one; an order -> the first in it; ORDER:N -> the
    N-th; ORDER:all -> those on that side (the first in the order when none is). Raises
    InputError when ORDER:N asks for more instances than were found.
    """
    if not instances:
        raise InputError("no instance to choose from")
    by_score = sorted(instances, key=lambda i: -i.score)
    if pick is None:
        return [by_score[0].id]
    order, nth = parse_pick(pick)
    if order == "all":
        return [i.id for i in by_score]
    ranked = sorted(by_score, key=_keys(size)[order])  # stable: ties keep the score order
    if nth is None:
        on_side = [i.id for i in ranked if _on_side(order, i, size)]
        return on_side or [ranked[0].id]
    if nth > len(ranked):
        raise InputError(
            f"the words ask for number {nth} from the {order} but only {len(ranked)} "
            f"instance(s) were found ({describe(instances)}); pick one by its id",
            [hint("instance")],
        )
    return [ranked[nth - 1].id]


def select(instances: list[Instance], instance: int | str) -> list[int]:
    """Ids for an explicit choice: an id (1..n) or 'all'. Raises InputError for an id not found."""
    if instance == "all":
        return [i.id for i in instances]
    ids = [i.id for i in instances]
    try:
        want = int(instance)
    except ValueError:
        raise InputError(f"instance {instance!r} is not a number or 'all'") from None
    if want not in ids:
        raise InputError(
            f"instance {want} is out of range: {len(ids)} instance(s) were found, numbered "
            f"1..{len(ids)} ({describe(instances)})"
        )
    return [want]


def union(instances: list[Instance], ids: list[int]) -> np.ndarray:
    """The chosen instances' masks OR-ed: bool (H, W)."""
    chosen = [i.mask for i in instances if i.id in ids]
    return np.logical_or.reduce(chosen) if len(chosen) > 1 else chosen[0].copy()


def describe(instances: list[Instance]) -> str:
    """'#1 box (10, 4, 60, 50) score 0.91 area 12.0%; #2 ...' for messages."""
    return "; ".join(
        f"#{i.id} box ({', '.join(f'{v:.0f}' for v in i.box)}) score {i.score:.2f} "
        f"area {i.area:.1%}"
        for i in instances
    )
