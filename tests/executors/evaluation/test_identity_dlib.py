"""compare's identity-dlib scorer with the real dlib models (the faces extra): it replaces the LBP
proxy, measures the same face 0 apart and another person's face far, and says why a run without a
face was not scored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image
from retouch.executors.evaluation import scorers
from retouch.executors.evaluation.base import ENV, ScorerOptions
from retouch.executors.evaluation.identity import IDENTITY, PROXY
from retouch.executors.evaluation.identity_dlib import DLIB, DLIB_COSINE
from retouch.executors.faces import detect_faces, faces_available

pytestmark = pytest.mark.skipif(
    not faces_available(), reason="needs the faces extra: pip install 'retouch[faces]'"
)


@pytest.fixture(autouse=True)
def _no_scorer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)


def _grace_on_the_astronaut() -> Image.Image:
    """Grace Hopper's face (matplotlib's sample photo) scaled onto the astronaut's face box."""
    import cv2

    matplotlib = pytest.importorskip("matplotlib")  # its sample photo is the second face

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    other = np.asarray(Image.open(path).convert("RGB"))
    rgb = skimage.data.astronaut()
    fa, fg = detect_faces(rgb)[0], detect_faces(other)[0]
    sx, sy = fa.width / fg.width, fa.height / fg.height
    warp = np.float32([[sx, 0, fa.box[0] - fg.box[0] * sx], [0, sy, fa.box[1] - fg.box[1] * sy]])
    pasted = cv2.warpAffine(other, warp, (512, 512))
    x0, y0, x1, y1 = fa.box
    out = rgb.copy()
    out[y0 - 10 : y1 + 10, x0 - 10 : x1 + 10] = pasted[y0 - 10 : y1 + 10, x0 - 10 : x1 + 10]
    return Image.fromarray(out)


def test_identity_dlib_replaces_the_proxy_and_tells_faces_apart() -> None:
    measure = scorers.prepare(ScorerOptions())
    assert DLIB not in measure.skipped and DLIB_COSINE not in measure.skipped
    assert "identity-dlib measures identity instead" in measure.skipped[IDENTITY].why
    astronaut = Image.fromarray(skimage.data.astronaut())
    refs = measure.reference(astronaut, None)
    same = {m: v for m, v, _ in measure.score("t", "a", refs, astronaut, astronaut)}
    assert set(same) == {DLIB, DLIB_COSINE}  # no proxy
    assert same[DLIB] == pytest.approx(0.0, abs=1e-6) and same[DLIB_COSINE] == pytest.approx(1.0)
    noisy = np.asarray(astronaut).astype(int) + np.random.default_rng(0).normal(0, 8, (512, 512, 3))
    mild = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    near = {m: v for m, v, _ in measure.score("t", "b", refs, astronaut, mild)}
    far = {m: v for m, v, _ in measure.score("t", "c", refs, astronaut, _grace_on_the_astronaut())}
    assert near[DLIB] < 0.3 < 0.6 < far[DLIB]
    assert far[DLIB_COSINE] < near[DLIB_COSINE] < 1.0
    assert scorers.DIRECTIONS[DLIB] == "lower" and PROXY not in {m for m in near}


def test_a_source_without_a_face_is_not_scored_and_says_why() -> None:
    measure = scorers.prepare(ScorerOptions())
    cat = Image.fromarray(skimage.data.chelsea())
    assert measure.score("t", "a", measure.reference(cat, None), cat, cat) == []
    assert "t / a: identity-dlib not scored: dlib found no face in the source" in measure.notes
