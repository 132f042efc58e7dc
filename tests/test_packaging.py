"""A real install (issue 15): build the wheel, install it with --no-deps into a fresh virtual
environment that sees this environment's packages through a .pth file, and run ``retouch serve``
from a folder outside the repo through the SDK's stdio client: one skill listed, its files served
with their digests, the skill-doc template found (plan_edit renders it), and ``retouch demo`` runs.

About 22 s on a 2-core machine (wheel ~5 s, venv and install ~4 s, serve ~5 s, demo ~8 s).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcp import Client, StdioServerParameters
from PIL import Image
from pydantic import TypeAdapter

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(600)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _run(*cmd: str | Path, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{cmd}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv holding the wheel built from a copy of the sources."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"  # a copy: the build writes build/ and *.egg-info beside the sources
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("planner", "executors", "server"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    pip = (sys.executable, "-m", "pip")
    _run(*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", src, "-w", tmp / "dist")
    (wheel,) = (tmp / "dist").glob("retouch-*.whl")
    with zipfile.ZipFile(wheel) as zf:  # one top-level import package: retouch
        tops = {
            n.split("/")[0] for n in zf.namelist() if not n.split("/")[0].endswith(".dist-info")
        }
    assert tops == {"retouch"}, f"the wheel installs {sorted(tops)} at the top of site-packages"
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(*pip, "--python", python, "install", "-q", "--no-deps", wheel)
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    # the dependencies come from this environment (after the venv's own site-packages, so the
    # wheel's copy of retouch wins; this environment's editable finder is not a .pth it reads)
    (site / "zz-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


async def _ask(client: Client, method: str, params: dict[str, Any] | None = None) -> Any:
    from mcp_types import Request

    request = Request[dict[str, Any] | None, str](method=method, params=params)
    return await client.session.send_request(request, TypeAdapter(dict[str, Any]))


async def test_the_wheel_serves_its_skill_and_runs_the_demo(
    installed: Path, tmp_path: Path
) -> None:
    work = tmp_path / "elsewhere"  # outside the repo: nothing can come from the checkout
    work.mkdir()
    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(work / "photo.png")
    where = _run(
        installed / "python",
        "-c",
        "import retouch.server; print(retouch.server.__file__)",
        cwd=work,
    )
    assert str(REPO) not in where and "site-packages" in where
    params = StdioServerParameters(
        command=str(installed / "retouch"),
        args=["serve", "--out", "out", "--data-dir", str(tmp_path / "data")],
        cwd=str(work),
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    async with Client(params) as client:
        listed = await _ask(client, "skills/list")
        (skill,) = listed["skills"]
        assert skill["uri"] == "skill://retouch-editing/SKILL.md"
        assert len(skill["resources"]) >= 2
        for entry in skill["resources"]:
            (content,) = (await client.read_resource(entry["uri"])).contents
            data = (
                content.text.encode("utf-8")
                if hasattr(content, "text")
                else base64.b64decode(content.blob)
            )
            assert entry["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert entry["size"] == len(data)
        planned = await client.call_tool("plan_edit", {"image": "photo.png", "edit": "remove it"})
        assert not planned.is_error, planned.content[0].text
        doc = Path(planned.structured_content["skill_doc"]["path"])
        assert doc.is_file() and doc.stat().st_size > 500  # the Jinja template was found
    out = _run(installed / "retouch", "demo", "--out", tmp_path / "demo", cwd=work)
    assert "error" not in out.lower() or "internal error" not in out.lower()
    assert any((tmp_path / "demo").rglob("*.png"))


def test_no_skills_is_an_error_at_start_up(tmp_path: Path) -> None:
    from retouch.planner.contract.errors import ModelMissingError
    from retouch.server.mcp.skills import SkillsExtension

    with pytest.raises(ModelMissingError, match="no skills to serve"):
        SkillsExtension(tmp_path)
