"""Tripwires for the layout (issue "Rooms by concern"): no import cycles, no oversized module.

Not style police: a cycle means two modules cannot be read, tested or moved apart, and a module
over the limit has grown a second job and wants splitting by responsibility (STYLE.md, 1 and 12).
Imports inside functions count too: a lazy import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("planner", "executors", "server")
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(("retouch", *parts))] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Project modules that ``name`` imports, resolved to modules (not packages' names)."""
    out = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names
            ]
        else:
            continue
        out |= {t for t in targets if t in modules and t != name}
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: _imports(path, name, modules) for name, path in modules.items()}
    cycles = _cycles(graph)
    assert not cycles, (
        f"import cycles: {cycles}. Two modules that import each other cannot be understood or "
        "tested apart: move the names both need into a third module they both import."
    )


def test_the_cycle_finder_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_over_the_size_limit() -> None:
    big = {
        str(path.relative_to(ROOT)): n
        for path in _modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not big, (
        f"modules over {MAX_LINES} lines: {big}. A module this long has grown a second job; "
        "split it by responsibility (STYLE.md: small files with one job)."
    )


def test_every_package_says_what_it_holds_and_may_import() -> None:
    for pkg in PACKAGES:
        for init in (ROOT / pkg).rglob("__init__.py"):
            doc = ast.get_docstring(ast.parse(init.read_text()))
            assert doc and "import" in doc.lower(), (
                f"{init.relative_to(ROOT)} needs a docstring saying what lives in the package "
                "and what it may import"
            )


ROOMS = {  # a planner room -> the planner rooms it may import (planner/*/__init__.py say why)
    "contract": {"contract"},
    "language": {"contract", "language"},
    "catalog": {"contract", "language", "catalog"},
}


def _room_violations(room: str) -> dict[str, list[str]]:
    bad = {}
    for path in (ROOT / "planner" / room).rglob("*.py"):
        rooms = {
            n.split(".")[2] if n.count(".") >= 2 else ""
            for n in _imported_names(path)
            if n.startswith("retouch.planner")
        }
        if found := sorted(rooms - ROOMS[room]):
            bad[str(path.relative_to(ROOT))] = found
    return bad


def test_planner_rooms_import_only_downward() -> None:
    """The contract imports no other room; language only the contract; the catalog those two.
    Planning (planner/*.py at the top) may import every room."""
    for room in ROOMS:
        assert not _room_violations(room), (
            f"planner/{room} imports a room above it: {_room_violations(room)}"
        )


def test_no_module_named_only_words() -> None:
    """Module names say what they hold: none is called just "words" (issue 29)."""
    vague = sorted(
        str(p.relative_to(ROOT))
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if "words" in p.stem
    )
    assert not vague, f"modules named for words, not for what they hold: {vague}"


def test_pyproject_lists_every_package() -> None:
    """Each folder with an ``__init__.py`` is installed under ``retouch`` (pyproject's list is
    explicit because the folders are mapped onto ``retouch.*``; a folder left off would be missing
    from the wheel while the editable checkout still imported it)."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(("retouch", *init.parent.relative_to(ROOT).parts))
        for pkg in PACKAGES
        for init in (ROOT / pkg).rglob("__init__.py")
    }
    assert found == listed, (
        f"missing from pyproject: {sorted(found - listed)}; stale: {sorted(listed - found)}"
    )


MAX_FUNCTION_LINES = 80  # in server/: the fronts parse and render; the sequence is server/edits


def _imported_names(path: Path) -> set[str]:
    """Every module name ``path`` imports, at module level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return names


def _mcp_imports(path: Path) -> list[str]:
    return sorted(
        n
        for n in _imported_names(path)
        if n == "mcp" or n.startswith(("mcp.", "mcp_types", "retouch.server.mcp"))
    )


def test_the_pool_never_imports_the_mcp_layer() -> None:
    """Ray replicas import server/pool: the MCP SDK and the MCP tools stay out of them (they run
    the edit service, server/edits, as the MCP tools do)."""
    bad = {
        str(p.relative_to(ROOT)): found
        for p in (ROOT / "server" / "pool").rglob("*.py")
        if (found := _mcp_imports(p))
    }
    assert not bad, f"server/pool imports the MCP layer: {bad}; import from retouch.server.edits"


def test_the_mcp_import_finder_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from retouch.server.mcp.edit import run_edit\n    import mcp\n"
    )
    assert _mcp_imports(module) == [
        "mcp",
        "retouch.server.mcp.edit",
        "retouch.server.mcp.edit.run_edit",
    ]


def _long_functions(path: Path, limit: int) -> list[str]:
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > limit
    ]


def test_no_function_in_server_over_the_length_limit() -> None:
    long = {
        str(p.relative_to(ROOT)): found
        for p in (ROOT / "server").rglob("*.py")
        if (found := _long_functions(p, MAX_FUNCTION_LINES))
    }
    assert not long, (
        f"functions over {MAX_FUNCTION_LINES} lines in server/: {long}. A front parses arguments "
        "and renders results; the edit sequence lives in server/edits (STYLE.md 15, 17)."
    )


def test_the_length_finder_counts_a_long_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n" + "    x = 1\n" * 81)
    assert _long_functions(module, MAX_FUNCTION_LINES) == ["f (82 lines)"]
    assert _long_functions(module, 82) == []


# ------------------------------------------------------------------------------------ the catalog


def test_every_catalog_entry_is_whole() -> None:
    """One entry per family (planner/catalog/families/), each complete and self-consistent;
    tests/planner/catalog/test_catalog.py checks them against the installed diffusers."""
    from typing import get_args

    from retouch.planner.catalog.families import FAMILIES
    from retouch.planner.contract.schema import Family

    assert set(FAMILIES) == set(get_args(Family))
    assert {f: e.problems() for f, e in FAMILIES.items() if e.problems()} == {}


def test_derived_family_tables_equal_their_source() -> None:
    from retouch.executors.diffusion import loading, pipelines
    from retouch.planner.catalog import reference, registry
    from retouch.planner.catalog.families import FAMILIES

    assert registry.REGISTRY == FAMILIES
    assert registry.LICENCES == {f: e.licence for f, e in FAMILIES.items()}
    assert registry.VARIANTS == {k: v for e in FAMILIES.values() for k, v in e.variants}
    assert registry.LORAS == {k: v for e in FAMILIES.values() for k, v in e.loras}
    assert reference.REFERENCE_MODES == {
        f: e.reference_modes for f, e in FAMILIES.items() if e.reference_modes
    }
    assert {k: (v.pipeline, v.executor) for k, v in pipelines.PIPELINES.items()} == {
        (f, r.mode, r.controlnet): (r.pipeline, r.executor)
        for f, e in FAMILIES.items()
        for r in e.pipelines
    }
    assert pipelines.FAMILY_SIGNATURE == {f: e.signature.text for f, e in FAMILIES.items()}
    assert loading.BF16_FAMILIES == {f for f, e in FAMILIES.items() if e.dtype == "bf16"}


FAMILY_TABLES_ALLOWED = {"planner/catalog/scores.py"}  # its own data: scores with their sources


def _family_tables(path: Path, families: set[str]) -> list[int]:
    """Lines of dict literals keyed by, or set literals of, two or more family ids."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
        if not isinstance(node, ast.Dict | ast.Set) or items is None:
            continue
        named = [k.value for k in items if isinstance(k, ast.Constant) and k.value in families]
        if len(named) >= 2:
            found.append(node.lineno)
    return found


def test_no_family_table_is_written_outside_the_catalog() -> None:
    """A family's facts live in its catalog file; a hand-written table keyed by family ids
    elsewhere is a second copy that drifts (issue 29). Planning choices (rules' family lists)
    are lists, not tables of facts."""
    from typing import get_args

    from retouch.planner.contract.schema import Family

    families = set(get_args(Family))
    tables = {
        rel: lines
        for path in _modules().values()
        if "catalog/families" not in (rel := str(path.relative_to(ROOT)))
        and rel not in FAMILY_TABLES_ALLOWED
        and (lines := _family_tables(path, families))
    }
    assert not tables, f"family tables outside planner/catalog/families/: {tables}"


def test_the_family_table_finder_sees_a_table(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('A = {"sd": 1, "sdxl": 2}\nB = {"sd", "ddpm"}\nC = ["sd", "sdxl"]\n')
    assert _family_tables(module, {"sd", "sdxl", "ddpm"}) == [1, 2]
