"""The weight-free fill's envelope (planner/envelope.py limits, executors/envelope.py measures) on
scikit-image's photos, and the geometry of an edge entering a region on drawn lines."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from retouch.executors.envelope import edge_crossings, estimate_region, findings, measure
from retouch.executors.faces import faces_available
from retouch.planner import analyze, make_plan
from retouch.planner import envelope as limits
from retouch.planner.contract.schema import EditRequest, Extend, Preferences, SamPrompt

needs_faces = pytest.mark.skipif(not faces_available(), reason="needs dlib (retouch[faces])")
FACE_BOX = (175, 76, 265, 166)  # the weight-free cases' "face-region" box on the astronaut
MAST_BOX = (434, 118, 468, 402)  # the weight-free cases' "mast" box on the rocket


def box(rgb: np.ndarray, xyxy: tuple[int, int, int, int]) -> np.ndarray:
    region = np.zeros(rgb.shape[:2], bool)
    x0, y0, x1, y1 = xyxy
    region[y0:y1, x0:x1] = True
    return region


def ids(rgb: np.ndarray, region: np.ndarray, intent: str = "remove", **kw: bool) -> list[str]:
    return [f.limit.id for f in findings(measure(rgb, region, **kw), intent)]


def test_the_mast_box_is_inside_the_envelope() -> None:
    """A thin object on sky and lattice: beams enter the box, but it is 34 px wide."""
    rocket = skimage.data.rocket()
    m = measure(rocket, box(rocket, MAST_BOX), faces=False)
    assert m.width_px == 34 and m.crossings >= limits.STRUCTURE_CROSSINGS
    assert findings(m, "remove") == []


@needs_faces
def test_a_box_over_the_face_breaks_the_face_limit_first() -> None:
    astronaut = skimage.data.astronaut()
    found = findings(measure(astronaut, box(astronaut, FACE_BOX)), "remove")
    assert found[0].limit.id == "envelope-face" and found[0].limit.refuse
    assert "of the face at (175, 76" in found[0].detail


@needs_faces
def test_an_eye_is_a_facial_feature_a_mole_on_the_cheek_is_not() -> None:
    """The eye box is 2% of the face box but holds two landmarks; the cheek spot holds none."""
    astronaut = skimage.data.astronaut()
    assert ids(astronaut, box(astronaut, (200, 95, 215, 108))) == ["envelope-face"]
    cheek = measure(astronaut, box(astronaut, (240, 135, 250, 145)))
    assert cheek.faces == 1 and 0 < cheek.face_cover < limits.FACE_COVER
    assert findings(cheek, "remove") == []


def test_a_hole_past_the_width_limit_is_large_and_one_under_it_is_not() -> None:
    coffee = skimage.data.coffee()
    short = min(coffee.shape[:2])
    under = int((limits.HOLE_WIDTH_RATIO - 0.05) * short)
    over = int((limits.HOLE_WIDTH_RATIO + 0.05) * short)
    assert "envelope-large-hole" not in ids(
        coffee, box(coffee, (300, 150, 300 + under, 150 + under)), faces=False
    )
    assert "envelope-large-hole" in ids(
        coffee, box(coffee, (300, 150, 300 + over, 150 + over)), faces=False
    )


def test_structure_needs_both_entering_edges_and_a_wide_span() -> None:
    """Same place on the rocket's scaffold: 40 px is bridged, 100 px is not."""
    rocket = skimage.data.rocket()
    narrow = measure(rocket, box(rocket, (420, 180, 460, 220)), faces=False)
    wide = measure(rocket, box(rocket, (400, 150, 500, 250)), faces=False)
    assert (
        narrow.crossings >= limits.STRUCTURE_CROSSINGS
        and narrow.width_px < limits.STRUCTURE_WIDTH_PX
    )
    assert "envelope-structure" not in [f.limit.id for f in findings(narrow, "remove")]
    assert "envelope-structure" in [f.limit.id for f in findings(wide, "remove")]


def test_a_line_across_a_hole_enters_twice_a_line_along_it_never() -> None:
    rgb = np.full((120, 120, 3), 200, np.uint8)
    hole = np.zeros((120, 120), bool)
    hole[40:80, 40:80] = True
    across = rgb.copy()
    across[:, 58:62] = 20  # a dark vertical line through the hole
    along = rgb.copy()
    along[30:34, 20:100] = 20  # a line parallel to the hole's top side, 6 px above it
    assert edge_crossings(across, hole) == 2
    assert edge_crossings(along, hole) == 0
    assert edge_crossings(rgb, hole) == 0


def test_the_region_known_before_a_model_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    path = tmp_path / "rocket.png"
    Image.fromarray(skimage.data.rocket()).save(path)

    def plan(**kw):  # type: ignore[no-untyped-def]
        req = EditRequest(image=str(path), preferences=Preferences(hardware="cpu"), **kw)
        return make_plan(req, analyze(req))

    boxed = estimate_region(plan(edit="remove the mast", sam=SamPrompt(box=MAST_BOX)), (640, 427))
    assert boxed is not None and boxed.sum() == 34 * 284 and boxed[118, 434] and not boxed[117, 434]
    extended = estimate_region(
        plan(edit="extend the photo", extend=Extend(left=64, right=32)), (640, 427)
    )
    assert extended is not None and extended.shape == (427, 736)
    assert extended[:, :64].all() and not extended[:, 64:704].any() and extended[:, 704:].all()
    assert estimate_region(plan(edit="remove the cat"), (640, 427)) is None  # words: SAM 3's


def test_every_limit_states_its_threshold_and_how_it_was_measured() -> None:
    for limit in limits.LIMITS.values():
        assert limit.id.startswith("envelope-") and limit.cannot.startswith(("cannot", "only"))
        assert set(limit.applies_to) <= {"remove", "extend"}
        assert "measured" not in limit.why and len(limit.measured) > 60
    assert f"{limits.HOLE_WIDTH_RATIO:.0%}" in limits.LIMITS["envelope-large-hole"].why
    assert f"{limits.STRUCTURE_WIDTH_PX:g} px" in limits.LIMITS["envelope-structure"].why


def test_regions_at_the_border_and_one_pixel_images_are_measured() -> None:
    """The image's edge counts as the region's outside; a 1-px strip has no edge direction."""
    from retouch.executors.envelope import hole_width

    left = np.zeros((50, 50), bool)
    left[:, :20] = True
    assert hole_width(left) == 20 and hole_width(np.ones((4, 4), bool)) == 4
    strip = np.zeros((1, 256), bool)
    strip[:, 100:140] = True
    m = measure(np.full((1, 256, 3), 120, np.uint8), strip, faces=False)
    assert m.crossings == 0 and m.width_px == 2
