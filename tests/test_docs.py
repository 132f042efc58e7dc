"""Docs that cannot drift (issue 29, item 5): the reference pages in docs/ are what
tests/gen_docs.py makes from the code now, each covers everything it documents, and a stale or
missing page is caught; the README stays short, and every relative link in it and in docs/ points
at a file (and a heading) that exists."""

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


README_MAX_LINES = 150  # the README says what retouch is and links; reference lives in docs/


def assert_fresh(docs: Path, name: str) -> None:
    page = docs / name
    assert page.is_file(), f"docs/{name} is missing: run .venv/bin/python tests/gen_docs.py"
    assert page.read_text(encoding="utf-8") == rendered(name), (
        f"docs/{name} is stale: run .venv/bin/python tests/gen_docs.py and commit it"
    )


@pytest.mark.parametrize("name", sorted(gen_docs.PAGES))
def test_the_page_is_what_the_code_generates(name: str) -> None:
    assert_fresh(gen_docs.DOCS, name)


@pytest.mark.parametrize("name", sorted(gen_docs.PAGES))
def test_the_freshness_check_fails_on_a_stale_page(name: str, tmp_path: Path) -> None:
    """The check above, on a copy of the page with one line changed or gone, must fail."""
    fresh = rendered(name)
    (tmp_path / name).write_text(fresh, encoding="utf-8")
    assert_fresh(tmp_path, name)
    lines = fresh.splitlines(keepends=True)
    for stale in (fresh.replace("|", "| ", 1), "".join(lines[:-1]), fresh + "\n"):
        assert stale != fresh
        (tmp_path / name).write_text(stale, encoding="utf-8")
        with pytest.raises(AssertionError, match="is stale"):
            assert_fresh(tmp_path, name)
    (tmp_path / name).unlink()
    with pytest.raises(AssertionError, match="is missing"):
        assert_fresh(tmp_path, name)


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
    readme = (gen_docs.ROOT / "README.md").read_text()
    assert "tests/gen_docs.py" in index
    pages = sorted(p.name for p in gen_docs.DOCS.glob("*.md") if p.name != "README.md")
    assert {*gen_docs.PAGES, "contributing.md"} <= set(pages)
    for name in pages:
        assert f"({name})" in index, f"docs/README.md does not link {name}"
        assert f"(docs/{name})" in readme, f"README.md does not link docs/{name}"


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


# ------------------------------------------------------------------------------------ links

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation out, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if m := re.match(r"#{1,6} (.+)", line):
            base = slug(m[1])
            n = seen.get(base, 0)
            seen[base] = n + 1
            seen.setdefault(f"{base}-{n}" if n else base, 1)
    return set(seen)


def broken_links(pages: list[Path]) -> list[str]:
    """'page: target (why)' for every relative link that points at nothing."""
    broken = []
    for page in pages:
        text = FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in LINK.findall(text):
            if re.match(r"[a-z][\w+.-]*:", target):  # https:, mailto:, ...: not ours to check
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{page.name}: {target} (no such heading)")
    return broken


def doc_pages() -> list[Path]:
    return [gen_docs.ROOT / "README.md", *sorted(gen_docs.DOCS.glob("*.md"))]


def test_every_relative_link_points_at_something() -> None:
    pages = doc_pages()
    assert len(pages) > 10
    assert broken_links(pages) == []


def test_a_broken_link_is_caught(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## `retouch plan`\n\ntext\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# T\n\n[ok](docs/a.md) [ok](docs/a.md#retouch-plan) [ok](#t) [web](https://x.org/y)\n"
        "[gone](docs/b.md) [bad anchor](docs/a.md#retouch-edit) ![img](docs/p.png)\n"
        "```md\n[in a code block](nowhere.md)\n```\n"
    )
    assert broken_links([readme]) == [
        "README.md: docs/b.md (no such file)",
        "README.md: docs/a.md#retouch-edit (no such heading)",
        "README.md: docs/p.png (no such file)",
    ]


def test_the_readme_is_short() -> None:
    lines = (gen_docs.ROOT / "README.md").read_text().count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move reference to a docs/ page "
        "and link it"
    )


def test_the_install_page_has_every_extra() -> None:
    import tomllib

    project = tomllib.loads((gen_docs.ROOT / "pyproject.toml").read_text())["project"]
    page = (gen_docs.DOCS / "install.md").read_text()
    rows = set(re.findall(r"^\| `([\w-]+)` \|", page, re.M))
    assert rows == set(project["optional-dependencies"]), "docs/install.md's table of extras"
