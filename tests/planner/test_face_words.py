"""Face words: which part and which face an edit or a mask text names (pure Python, no models)."""

from __future__ import annotations

import pytest
from retouch.planner.language import faces as face_words


@pytest.mark.parametrize(
    ("text", "part", "pick"),
    [
        ("the face", "face", None),
        ("her face", "face", None),
        ("his eyes", "eyes", None),  # two eyes of one face, not every face
        ("her glasses", "glasses", None),
        ("the mouth", "mouth", None),
        ("his beard", "beard", None),
        ("the nose", "nose", None),
        ("the eyebrows", "brows", None),
        ("whiten the teeth", "mouth", None),
        ("remove the glasses of the man on the left", "glasses", "left"),
        ("the face of the woman on the right", "face", "right"),
        ("the left man's glasses", "glasses", "left"),
        ("the second face from the left", "face", "left:2"),
        ("the rightmost face", "face", "right"),
        ("blur all the faces", "face", "all"),
        ("blur both faces", "face", "all"),
        ("the men's beards", "beard", "all"),
        ("put sunglasses on her", "glasses", None),
        ("make the mouth smile", "mouth", None),
        ("remove the freckles from her face", "face", None),  # skin: the whole face
        ("make her lips red", "mouth", None),
    ],
)
def test_face_words_name_a_part_and_a_face(text: str, part: str, pick: str | None) -> None:
    target = face_words.read(text)
    assert target is not None and (target.part, target.pick) == (part, pick)


@pytest.mark.parametrize(
    "text",
    [
        "the man on the left",  # a whole person: SAM 3
        "make him look older",  # no part: a whole-image edit
        "the dog's nose",
        "the cat's eyes",
        "remove the glasses on the table",
        "the clock face",
        "remove the car",
        "remove the tattoo on her face",  # the object is the tattoo: SAM 3
        "replace the background behind her face",
    ],
)
def test_words_for_other_things_are_not_face_words(text: str) -> None:
    assert face_words.read(text) is None


def test_edits_meant_to_change_the_face_are_told_apart() -> None:
    assert face_words.changes_face("make him look older")
    assert face_words.changes_face("make her smile")
    assert face_words.changes_face("give him a different face")
    assert not face_words.changes_face("remove her glasses")
    assert not face_words.changes_face("make the sky sunset")


def test_the_words_kept_are_the_part_in_a_few_words() -> None:
    long_edit = "remove her glasses, " + "and keep everything else exactly as it is " * 10
    assert face_words.read(long_edit).words == "the glasses"
    assert face_words.read("remove the freckles from her face").words == "the face"


def test_a_plan_uses_face_words_only_without_a_region_or_from_its_own_text() -> None:
    assert face_words.planned("remove her glasses", None, "none").part == "glasses"
    assert face_words.planned("remove her glasses", None, "mask") is None
    assert face_words.planned("remove it", "his beard", "sam").part == "beard"
