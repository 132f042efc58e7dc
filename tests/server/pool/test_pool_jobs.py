"""Replicas answer plain data that the front validates (no Ray): a segmentation survives the
trip as a dict (GrabCut, weight-free), and an answer that is not the expected shape is refused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError
from retouch.planner.contract.schema import SamPrompt
from retouch.server.edits.masks import find_mask
from retouch.server.pool.jobs import (
    MaskJob,
    image_bytes,
    run_mask_job,
    unpack_edit,
    unpack_mask,
)
from skimage import data


def test_a_mask_answer_is_plain_data_and_unpacks_to_what_find_mask_gives() -> None:
    image = Image.fromarray(data.astronaut()).resize((128, 128))
    prompt = SamPrompt(box=[30, 10, 100, 120])
    job = MaskJob(job_id="j1", image=image_bytes(image), prompt=prompt, dilate_px=2)
    answer = run_mask_job(job).model_dump()
    # only builtins cross the wire: no class of the replica's choosing to unpickle
    assert b"retouch" not in pickle.dumps(answer) and b"numpy" not in pickle.dumps(answer)
    mask, found = unpack_mask(answer)
    want, want_found = find_mask(image, prompt, sam_type="vit_b", dilate_px=2)
    assert mask.dtype == bool and 0 < mask.sum() < mask.size
    assert np.array_equal(mask, want)
    assert (found.method, found.score, found.note) == (
        want_found.method,
        pytest.approx(want_found.score),
        want_found.note,
    )
    assert found.mask.size == 0 and found.candidates == []


def test_answers_of_the_wrong_shape_are_refused() -> None:
    good = run_mask_job(
        MaskJob(
            job_id="j2",
            image=image_bytes(Image.fromarray(data.coffee()).resize((96, 64))),
            prompt=SamPrompt(box=[20, 10, 70, 60]),
        )
    ).model_dump()
    with pytest.raises(ValidationError):
        unpack_mask({**good, "extra": 1})
    with pytest.raises(ValidationError):
        unpack_mask({**good, "method": "os.system"})
    with pytest.raises(ValidationError):
        unpack_edit({"job_id": "x", "image": b"", "edit_mask": None, "provenance": {}})  # no qa
    with pytest.raises(ValidationError):
        unpack_edit(object())
