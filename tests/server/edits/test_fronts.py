"""The edit service seen through its fronts: a result whose QA failed is recorded as a version
while '@current' stays on its parent, unless the caller keeps it (MCP run_edit's keep_failed, the
CLI's --keep-failed); and every front writes the same run folder. The executor is a fake patched
into executors.run.run_plan (the service's default runner), so no model runs; QA is real.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.server.cli.app import get_app
from retouch.server.history.store import Store
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import RunEditOutput
from typer.testing import CliRunner

from tests.server.edits.fakes import FakeRunner

RUN_FILES = {"mask.png", "comparison.png", "plan.json", "qa.json", "provenance.json"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    astronaut.resize((128, 128)).save(tmp_path / "photo.png")
    mask = np.zeros((128, 128), dtype=np.uint8)
    mask[10:50, 80:120] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return tmp_path


@pytest.fixture
def black(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    """Every run paints the hole black: QA fails (blank, seam, colour)."""
    from retouch.executors import run

    fake = FakeRunner("black")
    monkeypatch.setattr(run, "run_plan", fake)
    return fake


async def _run_edit(client: Client, **extra: object) -> tuple[RunEditOutput, str]:
    request = {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}
    result = await client.call_tool(
        "run_edit", {"request": request, "session": "chat", "executor": "classical", **extra}
    )
    assert not result.is_error, result.content[0].text
    return RunEditOutput.model_validate(result.structured_content), result.content[0].text


@pytest.mark.anyio
async def test_mcp_a_failed_result_stays_off_current_unless_kept(
    work: Path, black: FakeRunner, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("data")
    cfg = ServerConfig.create(out=work / "out", base=work, data_dir=data)
    async with Client(build_server(cfg)) as client:
        failed, text = await _run_edit(client)
        kept, _ = await _run_edit(client, keep_failed=True)
    assert len(black.calls) == 2
    store = Store(data)
    # 1. the failed result is a version, but the session still points at the original
    assert not failed.qa.passed and failed.version and failed.current is False
    assert store.get(failed.version).qa["passed"] is False
    assert "stays on its parent" in failed.next_step and "keep_failed=true" in failed.next_step
    assert "--" not in failed.next_step and "stays on its parent" in text
    # 2. keep_failed makes the next one current (it branches from the same original)
    assert kept.current is True and store.current("chat").id == kept.version
    assert kept.parent == failed.parent
    # 3. the run folder is the service's: result, mask, one comparison.png, preview
    names = {p.name for p in Path(failed.result.path).parent.iterdir()}
    assert RUN_FILES | {"result.png"} <= names and any(n.startswith("preview.") for n in names)
    assert Path(failed.comparison.path).name == "comparison.png"


def test_cli_a_failed_result_stays_off_current_unless_kept(work: Path, black: FakeRunner) -> None:
    runner = CliRunner()
    data = work / "data"

    def edit(*extra: str):  # type: ignore[no-untyped-def]
        args = ["edit", str(work / "photo.png"), "remove the object"]
        args += ["--mask", str(work / "mask.png"), "--executor", "classical"]
        args += ["--session", "chat", "--data-dir", str(data), *extra]
        return runner.invoke(get_app(), args)

    failed = edit("--out", str(work / "a" / "result.png"))
    assert failed.exit_code == 1, failed.output  # QA failed: the files are written all the same
    store = Store(data)
    (version,) = [v for v in store.history("chat") if v.parent is not None]
    assert store.current("chat").id == version.parent
    assert f"current stays @{version.parent}" in failed.stdout and "--keep-failed" in failed.stdout
    assert RUN_FILES <= {p.name for p in (work / "a").iterdir()}
    kept = edit("--out", str(work / "b" / "result.png"), "--keep-failed")
    assert kept.exit_code == 1, kept.output
    newest = max(store.history("chat"), key=lambda v: v.created)
    assert store.current("chat").id == newest.id != version.id
    assert "current stays" not in kept.stdout


TWO_EDITS = "remove the object, then make the sky a sunset"


@pytest.fixture
def good(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    """Every run fills the hole with a soft blur: QA passes."""
    from retouch.executors import run

    fake = FakeRunner("good")
    monkeypatch.setattr(run, "run_plan", fake)
    return fake


@pytest.mark.anyio
async def test_mcp_a_text_of_two_edits_says_first_which_ran_and_what_to_call_next(
    work: Path, good: FakeRunner, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("data")
    cfg = ServerConfig.create(out=work / "out", base=work, data_dir=data)
    request = {"image": "photo.png", "mask": "mask.png", "edit": TWO_EDITS}
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool(
            "run_edit", {"request": request, "session": "chat", "executor": "classical"}
        )
        alone = await client.call_tool(
            "run_edit", {"request": {**request, "edit": "remove the object"}}
        )
    assert not result.is_error, result.content[0].text
    out = RunEditOutput.model_validate(result.structured_content)
    text = result.content[0].text
    first = text.split(". ", 1)[0]
    assert first.startswith("Ran edit 1 of 2 ('remove the object')")
    assert "run_edit with request.edit 'make the sky a sunset'" in first
    assert "image '@current'" in text and "session 'chat'" in text
    assert "--" not in text and "retouch " not in text  # tool arguments, never CLI syntax
    assert out.remaining == ["make the sky a sunset"] and out.current is True
    assert out.next_step.startswith("Ran edit 1 of 2")
    # a text of one edit says nothing of the kind
    lone = RunEditOutput.model_validate(alone.structured_content)
    assert lone.remaining is None and "Ran edit" not in alone.content[0].text


def test_cli_a_text_of_two_edits_names_the_next_command(work: Path, good: FakeRunner) -> None:
    out = work / "run" / "result.png"
    args = ["edit", str(work / "photo.png"), TWO_EDITS, "--mask", str(work / "mask.png")]
    r = CliRunner().invoke(get_app(), [*args, "--executor", "classical", "--out", str(out)])
    assert r.exit_code == 0, r.output
    first = r.stdout.splitlines()[0]
    assert first == (
        f'edit    1 of 2 ran ("remove the object"); next: retouch edit {out} '
        '"make the sky a sunset"'
    )


class ByExecutor(FakeRunner):
    """The arm's executor picks the fill: classical fills well, diffusers paints black."""

    def __call__(self, plan, *, image=None, mask=None, **kw):  # type: ignore[no-untyped-def]
        self.fills = ["good" if kw.get("executor") == "classical" else "black"]
        return super().__call__(plan, image=image, mask=mask, **kw)


def test_compare_scores_arms_through_the_service_with_a_fake_executor(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compare's report needs no diffusion model: the service's runner seam takes a fake, and
    the scores are QA's real measures of what the fake returned."""
    import csv
    import json

    from retouch.executors import run

    fake = ByExecutor("good")
    monkeypatch.setattr(run, "run_plan", fake)
    task = {"image": "photo.png", "mask": "mask.png", "edit": "remove the object", "name": "t"}
    (work / "tasks.jsonl").write_text(json.dumps(task) + "\n")
    arms = [{"name": "fill", "executor": "classical"}, {"name": "paint", "executor": "diffusers"}]
    (work / "arms.json").write_text(json.dumps(arms))
    out = work / "cmp"
    args = ["compare", str(work / "tasks.jsonl"), "--arms", str(work / "arms.json")]
    r = CliRunner().invoke(get_app(), [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert [c["executor"] for c in fake.calls] == ["classical", "diffusers"]
    with (out / "scores.csv").open() as f:
        blank = {
            row["arm"]: float(row["value"]) for row in csv.DictReader(f) if row["metric"] == "blank"
        }
    assert blank["paint"] > 0.5 > blank["fill"]  # the black hole is blank, the blur is not
    for arm in ("fill", "paint"):  # each arm's folder is the service's run folder
        assert RUN_FILES | {"result.png"} <= {p.name for p in (out / "t" / arm).iterdir()}
    assert "## blank" in (out / "report.md").read_text()


@pytest.mark.anyio
async def test_mcp_a_cmyk_result_is_a_tiff_link(work: Path, good: FakeRunner) -> None:
    """PNG cannot hold CMYK: the run folder's result is result.tif, linked as image/tiff."""
    Image.open(work / "photo.png").convert("CMYK").save(work / "cmyk.jpg", quality=95)
    cfg = ServerConfig.create(out=work / "out", base=work)
    request = {"image": "cmyk.jpg", "mask": "mask.png", "edit": "remove the object"}
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool("run_edit", {"request": request, "executor": "classical"})
    assert not result.is_error, result.content[0].text
    out = RunEditOutput.model_validate(result.structured_content)
    assert Path(out.result.path).name == "result.tif" and out.result.mime_type == "image/tiff"
    assert Image.open(out.result.path).mode == "CMYK"
    links = {c.name: c.mime_type for c in result.content if c.type == "resource_link"}
    assert links["result.tif"] == "image/tiff"
