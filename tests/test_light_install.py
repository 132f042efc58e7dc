"""The light install (issue 29, item 6): without the gpu extra's libraries, `retouch demo`,
`retouch plan`, `retouch doc`, `retouch compare` (a classical arm) and `retouch serve` (plan_edit,
then a classical run_edit, over stdio) succeed and never try to import torch; a command or tool
that needs an extra (`retouch toy`, make_mask with a SAM checkpoint) fails in one line naming it.

"Without" is made by tests/support/no_models/sitecustomize.py on PYTHONPATH: a meta-path finder
that refuses torch, diffusers, transformers, segment_anything... and logs every refusal. A fresh
``pip install .`` measures the same thing for real (README, Quick start) but takes minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from PIL import Image
from retouch.planner.contract.extras import EXTRAS, install_line

ROOT = Path(__file__).resolve().parents[1]
NO_MODELS = ROOT / "tests" / "support" / "no_models"
GPU_IMPORTS = ("torch", "diffusers", "transformers", "segment_anything")


@pytest.fixture
def light(tmp_path: Path) -> dict[str, str]:
    """The environment of a light install, its refusal log at tmp_path/blocked.log."""
    env = dict(os.environ)
    env.pop("RETOUCH_MCP_TOKEN", None)
    env["PYTHONPATH"] = str(NO_MODELS)
    env["RETOUCH_BLOCKED_LOG"] = str(tmp_path / "blocked.log")
    return env


def blocked(env: dict[str, str]) -> list[str]:
    log = Path(env["RETOUCH_BLOCKED_LOG"])
    return log.read_text().split() if log.exists() else []


def retouch(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retouch.server.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_blocker_refuses_torch(light: dict[str, str], tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import torch"], env=light, capture_output=True, text=True
    )
    assert out.returncode == 1 and "light install" in out.stderr
    assert blocked(light) == ["torch"]


def test_demo_runs_the_classical_fill_without_torch(light: dict[str, str], tmp_path: Path) -> None:
    out = retouch(light, tmp_path, "demo")
    assert out.returncode == 0, out.stderr
    demo = tmp_path / "outputs" / "demo"
    assert Image.open(demo / "result.png").size == Image.open(demo / "source.png").size
    assert "classical fill" in out.stdout
    assert blocked(light) == []


def test_plan_and_doc_without_torch(light: dict[str, str], tmp_path: Path, coffee) -> None:
    coffee.save(tmp_path / "photo.png")
    out = retouch(light, tmp_path, "plan", "photo.png", "make it look like sunset", "--out", "p")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "p" / "plan.json").read_text())["mode"] == "instruct"
    case = {"name": "one", "image": "photo.png", "edit": "make it look like winter"}
    (tmp_path / "cases.jsonl").write_text(json.dumps(case) + "\n")
    out = retouch(light, tmp_path, "doc", "cases.jsonl", "--out", "docs")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "docs" / "one" / "skill-editing-pipeline.md").is_file()
    assert blocked(light) == []


def test_compare_scores_a_classical_arm_without_torch(
    light: dict[str, str], tmp_path: Path, coffee
) -> None:
    coffee.resize((64, 64)).save(tmp_path / "coffee.png")
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (20, 20, 40, 40))
    mask.save(tmp_path / "mask.png")
    task = {"image": "coffee.png", "mask": "mask.png", "edit": "remove the cup"}
    (tmp_path / "tasks.jsonl").write_text(json.dumps(task) + "\n")
    (tmp_path / "arms.json").write_text(json.dumps([{"name": "fill", "executor": "classical"}]))
    out = retouch(light, tmp_path, "compare", "tasks.jsonl", "--arms", "arms.json", "--out", "o")
    assert out.returncode == 0, out.stderr
    scores = (tmp_path / "o" / "scores.csv").read_text()
    assert "fill" in scores and "outside-unchanged" in scores
    assert blocked(light) == []


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_serve_plans_and_runs_a_classical_edit_without_torch(
    light: dict[str, str], tmp_path: Path, coffee
) -> None:
    coffee.resize((150, 100)).save(tmp_path / "photo.png")
    mask = Image.new("L", (150, 100), 0)
    mask.paste(255, (60, 30, 90, 60))
    mask.save(tmp_path / "mask.png")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "retouch.server.cli", "serve"],
        cwd=str(tmp_path),
        env={**light, "RETOUCH_SAM_CHECKPOINT": str(tmp_path / "sam.pth")},
    )
    async with Client(params) as client:
        planned = await client.call_tool(
            "plan_edit", {"image": "photo.png", "mask": "mask.png", "edit": "remove the cup"}
        )
        assert not planned.is_error, planned.content[0].text
        plan_id = planned.structured_content["plan_id"]
        ran = await client.call_tool("run_edit", {"plan": plan_id, "executor": "classical"})
        assert not ran.is_error, ran.content[0].text
        assert blocked(light) == []  # planning and the classical run never tried torch
        (tmp_path / "sam.pth").write_bytes(b"not used: SAM needs torch first")
        masked = await client.call_tool(
            "make_mask", {"image": "photo.png", "sam": {"box": [50, 20, 100, 70]}}
        )
        assert masked.is_error and install_line("gpu") in masked.content[0].text
    provenance = ran.structured_content["provenance"]
    assert provenance["executor"]["executor"] == "classical"
    assert Path(ran.structured_content["result"]["path"]).is_file()
    assert set(blocked(light)) == {"torch"}  # then make_mask with a SAM checkpoint did


def test_a_command_that_needs_an_extra_says_which_in_one_line(
    light: dict[str, str], tmp_path: Path
) -> None:
    out = retouch(light, tmp_path, "toy", "--out", "toy")
    assert out.returncode == 4
    assert out.stderr.strip().splitlines() == [
        f"error: torch is not installed; the model executors (diffusion, Segment Anything, CLIP, "
        f"the toy) need the gpu extra: {install_line('gpu')}"
    ]
    assert blocked(light)[0] == "torch"


def _requirement_names(reqs: list[str]) -> set[str]:
    """Distribution names (lower case, '-' for '_') of requirement strings."""
    names = set()
    for req in reqs:
        name = req.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        names.add(name.strip().lower().replace("_", "-"))
    return names


def test_each_import_is_installed_by_the_extra_that_names_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    base = _requirement_names(project["dependencies"])
    dists = packages_distributions()
    dists["dlib"] = dists.get("dlib") or dists["_dlib_pybind11"]  # dlib-bin's module is a .so
    for module, extra in EXTRAS.items():
        wanted = {d.lower().replace("_", "-") for d in dists.get(module, [])}
        assert wanted, f"{module} is not installed in the test environment"
        assert wanted & _requirement_names(extras[extra]), f"[{extra}] does not install {module}"
        assert not wanted & base, f"{module} ({extra} extra) is in the base dependencies"
    assert "retouch[gpu,faces,compare]" in extras["test"]  # the suite needs them all but ray
