"""Fuzzing the command line through its console entry point, in process (issue 15).

Properties, for every generated command: the exit code is one docs/editing.md documents (0-6, never 70
for an internal error, usage errors 2), a failure is ``error:`` lines only (one for a single
request; one per bad line for ``retouch doc``), no traceback, no file outside the --out folder,
and a failed command leaves that folder as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from retouch.server.cli.app import main

from tests.fuzz.strategies import file_names, mutated, number_text, odd_images, snapshot, workspace

DOCUMENTED = {0, 1, 2, 3, 4, 5, 6}
REQUEST = {
    "image": "photo.png",
    "edit": "remove the sign",
    "mask": "mask.png",
    "sam": {"points": [{"x": 5, "y": 5, "label": 1}], "box": [1, 1, 20, 20]},
    "preferences": {"seed": 1, "steps": 10},
    "name": "case",
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = workspace(tmp_path_factory.mktemp("fuzz-cli"))
    return work


def cli(
    capsys: pytest.CaptureFixture[str], work: Path, *args: str, many: bool = False
) -> tuple[int, str]:
    """Run ``retouch ARGS`` in ``work`` with --out out/ and check the properties."""
    out = work / "out"
    outside, before = snapshot(work, skip=out), snapshot(out)
    cwd = os.getcwd()
    os.chdir(work)
    try:
        with pytest.raises(SystemExit) as done:
            main(list(args))
    finally:
        os.chdir(cwd)
    code = int(done.value.code or 0)
    stdout, err = capsys.readouterr()
    assert code in DOCUMENTED, (args, code, err)
    assert "Traceback" not in err and "internal error" not in err, (args, err)
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    if code not in (0, 1):
        assert errors and (many or len(errors) == 1), (args, err)
    assert snapshot(work, skip=out) == outside, (args, snapshot(work, skip=out) - outside)
    wrote_some = many and " 0 doc(s) written" not in f" {stdout}"  # doc: good lines are written
    if code not in (0, 1) and not wrote_some:
        assert snapshot(out) == before, (args, err)
    return code, err


@given(
    st.sampled_from(["--box", "--point", "--extend", "--seed", "--steps", "--hardware"]),
    st.lists(number_text, min_size=1, max_size=4).map(",".join),
)
def test_plan_with_hostile_numbers(
    capsys: pytest.CaptureFixture[str], work: Path, option: str, value: str
) -> None:
    cli(capsys, work, "plan", "photo.png", "remove the sign", option, value, "--out", "out/p")


@given(file_names, st.sampled_from(["image", "mask"]))
def test_plan_with_hostile_file_names(
    capsys: pytest.CaptureFixture[str], work: Path, name: str, which: str
) -> None:
    args = [name, "remove it"] if which == "image" else ["photo.png", "remove it", "--mask", name]
    cli(capsys, work, "plan", *args, "--out", "out/p")


@given(st.lists(mutated(REQUEST), min_size=1, max_size=3))
def test_doc_with_requests_mutated_field_by_field(
    capsys: pytest.CaptureFixture[str], work: Path, requests: list[dict]
) -> None:
    lines = [json.dumps(r, allow_nan=True).encode("utf-8", "surrogateescape") for r in requests]
    (work / "cases.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    cli(capsys, work, "doc", "cases.jsonl", "--out", "out/docs", many=True)


@given(odd_images, st.sampled_from(["0,0,2,1", "1,1,40,30", "0,0,1,1"]))
def test_mask_with_odd_images(
    capsys: pytest.CaptureFixture[str], work: Path, raw: bytes, box: str
) -> None:
    (work / "odd.img").write_bytes(raw)
    cli(capsys, work, "mask", "odd.img", "--box", box, "--out", "out/m.png")
    (work / "out" / "m.png").unlink(missing_ok=True)


@given(number_text)
def test_gc_with_hostile_keep_days(
    capsys: pytest.CaptureFixture[str], work: Path, days: str
) -> None:
    cli(capsys, work, "gc", "--data-dir", "out/data", "--keep-days", days)
