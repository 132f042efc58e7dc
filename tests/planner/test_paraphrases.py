"""Paraphrases across intents: how people actually type (capitals, typos, "please", politeness,
several edits in one sentence). Each row: the text, the intent of its first edit, the object and
attribute read, how many edits the text holds, and the degree (touch) it asks for."""

from __future__ import annotations

import pytest
from retouch.planner.language.intent import parse

# (text, intent, object, attribute, edits, touch); None = nothing read for that slot.
ROWS: list[tuple[str, str, str | None, str | None, int, str]] = [
    # remove, incl. politeness, capitals, typos and remove-with-effects
    ("Please remove the trash can", "remove", "trash can", None, 1, "normal"),
    (
        "could you please get rid of the tourist on the left?",
        "remove",
        "tourist",
        None,
        1,
        "normal",
    ),
    ("Remvoe the power lines", "remove", "power lines", None, 1, "normal"),
    ("REMOVE THE LOGO!!", "remove", "logo", None, 1, "normal"),
    ("Can you take out the bike, thanks", "remove", "bike", None, 1, "normal"),
    ("hide the scaffolding in the background", "remove", "scaffolding", None, 1, "normal"),
    ("no people in the background please", "remove", "people", None, 1, "normal"),
    ("erase the person and their shadow", "remove", "person", None, 1, "normal"),
    ("delete the man along with his reflection", "remove", "man", None, 1, "normal"),
    ("remove the sign from the wall", "remove", "sign", None, 1, "normal"),
    ("kindly delte the watermark", "remove", "watermark", None, 1, "normal"),
    ("I want you to eliminate the crowd behind her", "remove", "crowd", None, 1, "normal"),
    # attribute change: colour, material, pattern, texture
    ("change her shirt to red", "attribute", "shirt", "red", 1, "normal"),
    ("chnage her shirt to red", "attribute", "shirt", "red", 1, "normal"),
    ("make his jacket a dark green", "attribute", "jacket", "dark green", 1, "normal"),
    ("Make The Car Blue", "attribute", "car", "blue", 1, "normal"),
    ("turn the red car blue", "attribute", "car", "blue", 1, "normal"),
    ("paint the fence white please", "attribute", "fence", "white", 1, "normal"),
    ("change the colour of the dress to navy blue", "attribute", "dress", "navy blue", 1, "normal"),
    ("make the table wooden", "attribute", "table", "wooden", 1, "normal"),
    ("make her dress striped", "attribute", "dress", "striped", 1, "normal"),
    ("make the sofa out of leather", "attribute", "sofa", "leather", 1, "normal"),
    ("recolor the door yellow", "attribute", "door", "yellow", 1, "normal"),
    ("make the car rusty", "attribute", "car", "rusty", 1, "normal"),
    ("make the grass a little greener", "attribute", "grass", "green", 1, "light"),
    # sky: mood and replacement
    ("make the sky more dramatic", "replace-sky", "sky", "dramatic", 1, "normal"),
    ("pls make teh sky more dramtic", "replace-sky", "sky", "dramatic", 1, "normal"),
    ("make the sky bluer", "replace-sky", "sky", "blue", 1, "normal"),
    ("replace the sky with storm clouds", "replace-sky", "sky", "storm clouds", 1, "normal"),
    ("Swap the sky for a starry night", "replace-sky", "sky", "starry night", 1, "normal"),
    # background
    ("change the background to a beach", "replace-background", "background", None, 1, "normal"),
    (
        "replace the backgound with a studio backdrop",
        "replace-background",
        "background",
        None,
        1,
        "normal",
    ),  # fmt: skip
    ("put the dog on a beach", "replace-background", "dog", None, 1, "normal"),
    # relight / time of day / weather / season / colour grade
    ("make it night time", "relight", None, "night time", 1, "normal"),
    ("Make it golden hour", "relight", None, "golden hour", 1, "normal"),
    ("turn day into night", "relight", None, "night", 1, "normal"),
    ("make the photo warmer", "relight", None, "warm", 1, "normal"),
    ("slightly warmer colours", "relight", None, "warm colours", 1, "light"),
    ("slighty warmer colours", "relight", None, "warm colours", 1, "light"),
    ("make it a bit warmer", "relight", None, "warm", 1, "light"),
    ("brighten the image a little", "relight", None, None, 1, "light"),
    ("add snow", "relight", None, "snow", 1, "normal"),
    ("make it winter", "relight", None, "winter", 1, "normal"),
    ("change the lighting to sunset", "relight", None, "sunset", 1, "normal"),
    ("could you make it much darker", "relight", None, "dark", 1, "strong"),
    # restyle
    ("turn this into a watercolor painting", "restyle", None, "watercolor painting", 1, "normal"),
    ("make it look like a Van Gogh painting", "restyle", None, "van gogh painting", 1, "normal"),
    ("restyle it as a comic book", "restyle", None, "comic book", 1, "normal"),
    ("completely reimagine this as an anime scene", "restyle", None, "anime scene", 1, "heavy"),
    ("compleetly reimagine this as an anime scene", "restyle", None, "anime scene", 1, "heavy"),
    ("subtly stylize the photo as an oil painting", "restyle", None, "oil painting", 1, "light"),
    ("convert the image to pixel art", "restyle", None, "pixel art", 1, "normal"),
    ("make the jacket look like an oil painting", "restyle", "jacket", "oil painting", 1, "normal"),
    # sizes
    ("uncrop to 16:9", "extend", None, None, 1, "normal"),
    ("Make it square please", "extend", None, None, 1, "normal"),
    ("extend 200 px on the left", "extend", None, None, 1, "normal"),
    ("widen to 3:2", "extend", None, None, 1, "normal"),
    ("make it portrait", "extend", None, None, 1, "normal"),
    ("make it twice as wide", "extend", None, None, 1, "normal"),
    ("zoom out", "extend", None, None, 1, "normal"),
    ("expand it to 1920x1080", "extend", None, None, 1, "normal"),
    ("uncrop this photo", "extend", None, None, 1, "normal"),
    # several edits in one sentence: the first is planned, the rest follow in order
    ("remove the sign and make the sky bluer", "remove", "sign", None, 2, "normal"),
    ("Remove the sign. Make the sky bluer.", "remove", "sign", None, 2, "normal"),
    ("remove the bin, then make it black and white", "remove", "bin", None, 2, "normal"),
    ("make the sky bluer and the grass greener", "replace-sky", "sky", "blue", 2, "normal"),
    ("erase the car; add a bench", "remove", "car", None, 2, "normal"),
    (
        "please replace the cat with a dog and then make it sunset",
        "replace-object",
        "cat",
        None,
        2,
        "normal",
    ),  # fmt: skip
    ("remove the person, remove the shadow and add a tree", "remove", "person", None, 3, "normal"),
    # hands, faces, add, replace
    ("fix the hands", "fix-hand", "hands", None, 1, "normal"),
    ("the fingers are deformed, fix them", "fix-hand", "fingers", None, 1, "normal"),
    ("regenerate the face", "fix-face", "face", None, 1, "normal"),
    ("add a dragon in the sky", "add", "sky", None, 1, "normal"),
    ("add a little bird on the branch", "add", "branch", None, 1, "normal"),
    ("put this logo on the shirt", "add", "shirt", None, 1, "normal"),  # "this": something new
    (
        "I'd like you to replace the cat with a dog please",
        "replace-object",
        "cat",
        None,
        1,
        "normal",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("text", "kind", "obj", "attr", "n", "touch"), ROWS,
                         ids=[r[0] for r in ROWS])  # fmt: skip
def test_paraphrase(
    text: str, kind: str, obj: str | None, attr: str | None, n: int, touch: str
) -> None:
    it = parse(text)
    first = it.first
    assert first.kind == kind
    assert first.object == obj
    assert first.attribute == attr
    assert len(it.edits) == n, [e.text for e in it.edits]
    assert it.touch == touch


def test_there_are_sixty_paraphrases() -> None:
    assert len(ROWS) >= 60
    assert len({r[1] for r in ROWS}) >= 10  # across the intents


def test_multi_edit_keeps_each_edit_whole_and_in_order() -> None:
    it = parse("Please remove the sign and make the sky bluer")
    assert [e.text for e in it.edits] == ["remove the sign", "make the sky bluer"]
    assert [e.kind for e in it.edits] == ["remove", "replace-sky"]
    # continuing words stay with their edit
    assert len(parse("remove the person and their shadow").edits) == 1
    assert len(parse("make it black and white").edits) == 1
    assert len(parse("replace the sky with storm clouds and lightning").edits) == 1


def test_effects_spatial_and_behind_words() -> None:
    e = parse("erase the person and their shadow").first
    assert e.effects == ("shadow",) and e.object == "person"
    e = parse("take out the person on the left").first
    assert e.spatial == ("on the left",) and e.object == "person"
    assert parse("remove the sign from the wall").first.behind == "wall"
    assert parse("turn the red car blue").first.old == "red"


def test_degree_words_give_strengths() -> None:
    assert parse("slightly warmer").first.degree.strength == 0.3  # type: ignore[union-attr]
    assert parse("make it much darker").first.degree.strength == 0.75  # type: ignore[union-attr]
    assert parse("completely restyle it").first.degree.strength == 0.9  # type: ignore[union-attr]
    assert parse("make it warmer").first.degree is None


def test_typos_never_touch_real_words() -> None:
    # words one letter from a keyword that are words of their own stay as written
    assert parse("remove the remote").first.object == "remote"
    assert parse("replace the sky with storm clouds").first.target == "storm clouds"
    assert parse("remove the crown").first.object == "crown"
