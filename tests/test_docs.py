"""Docs that cannot drift (issue 29, item 5): the reference pages in docs/ are what
tests/gen_docs.py makes from the code now, each covers everything it documents, and a stale or
missing page is caught."""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import pytest

from tests import gen_docs


@functools.cache
def rendered(name: str) -> str:
    return gen_docs.PAGES[name]()


@pytest.mark.parametrize("name", sorted(gen_docs.PAGES))
def test_the_page_is_what_the_code_generates(name: str) -> None:
    page = gen_docs.DOCS / name
    assert page.is_file(), f"docs/{name} is missing: run .venv/bin/python tests/gen_docs.py"
    assert page.read_text(encoding="utf-8") == rendered(name), (
        f"docs/{name} is stale: run .venv/bin/python tests/gen_docs.py and commit it"
    )


def test_a_stale_or_missing_page_is_detected(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(
        gen_docs, "PAGES", {n: functools.partial(rendered, n) for n in gen_docs.PAGES}
    )
    gen_docs.write(tmp_path)
    assert gen_docs.stale(tmp_path) == []
    cli = tmp_path / "cli.md"
    cli.write_text(cli.read_text().replace("retouch plan", "retouch plann", 1))
    (tmp_path / "rules.md").unlink()
    assert gen_docs.stale(tmp_path) == ["cli.md", "rules.md"]
    assert sorted(gen_docs.write(tmp_path)) == ["cli.md", "rules.md"]
    assert gen_docs.stale(tmp_path) == []


def test_the_cli_page_has_every_command_and_subcommand() -> None:
    from retouch.server.cli.app import get_app

    app = get_app()
    headings = set(re.findall(r"^##+ `retouch ([a-z ]+)`$", rendered("cli.md"), re.M))
    names = {c.name for c in app.registered_commands}
    for group in app.registered_groups:
        names.add(group.name)
        names |= {f"{group.name} {c.name}" for c in group.typer_instance.registered_commands}
    assert headings == names
    assert "Usage: retouch edit [OPTIONS]" in rendered("cli.md")


def test_the_tools_page_has_every_tool_and_argument() -> None:
    page = rendered("tools.md")
    from retouch.server.mcp.schemas import PlanEditInput

    assert re.findall(r"^## `(\w+)`:", page, re.M)[:3] == ["plan_edit", "make_mask", "run_edit"]
    section = page.split("## `plan_edit`", 1)[1].split("\n## ", 1)[0]
    for argument in PlanEditInput.model_fields:
        assert f"| `{argument}` |" in section, argument


def test_the_rules_and_families_pages_have_every_entry() -> None:
    from retouch.planner.catalog.registry import REGISTRY
    from retouch.planner.rules import ADJUST_RULES, TASK_RULES

    rules = re.findall(r"^\| `([\w-]+)` \|", rendered("rules.md"), re.M)
    assert rules == [r.id for r in [*TASK_RULES, *ADJUST_RULES]]
    families = re.findall(r"^\| `([\w.-]+)` \| `", rendered("families.md"), re.M)
    assert families == list(REGISTRY)


def test_the_docs_index_names_the_generator_and_every_page() -> None:
    index = (gen_docs.DOCS / "README.md").read_text()
    assert "tests/gen_docs.py" in index
    for name in [*gen_docs.PAGES, "contributing.md"]:
        assert f"({name})" in index, name
        assert (gen_docs.DOCS / name).is_file(), name


def test_generating_writes_nothing_when_up_to_date(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(gen_docs.DOCS, docs)
    before = {p.name: p.stat().st_mtime_ns for p in docs.iterdir()}
    assert gen_docs.stale(docs) == []
    assert {p.name: p.stat().st_mtime_ns for p in docs.iterdir()} == before


def test_every_file_the_contributing_page_names_exists() -> None:
    page = (gen_docs.DOCS / "contributing.md").read_text()
    paths = set(re.findall(r"`((?:planner|executors|server|tests)/[\w/*.-]+\.(?:py|md))`", page))
    assert len(paths) > 15
    missing = [p for p in sorted(paths) if not list(gen_docs.ROOT.glob(p))]
    assert missing == [], f"docs/contributing.md names files that are gone: {missing}"
