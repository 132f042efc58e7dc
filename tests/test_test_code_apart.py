"""Test code stays out of the product (issue 29, item 4): the tiny random model builders live in
tests/support/, and no module of planner/, executors/ or server/ imports ``tests`` — not at module
level, not inside a function (an installed wheel has no ``tests`` to import)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("planner", "executors", "server")


def imports_of_tests(source: str, filename: str = "<source>") -> list[str]:
    """The ``tests`` modules that ``source`` imports, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n == "tests" or n.startswith("tests.")]
    return found


def test_the_checker_sees_an_import_of_tests_inside_a_function() -> None:
    source = "def f():\n    from tests.support import tiny_models\n    import tests.conftest\n"
    assert imports_of_tests(source) == ["tests.support", "tests.conftest"]
    assert imports_of_tests("from retouch.executors import run\nimport testsuite\n") == []


def test_no_product_module_imports_tests() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for pkg in PRODUCT
        for path in sorted((ROOT / pkg).rglob("*.py"))
        if (found := imports_of_tests(path.read_text(), str(path)))
    }
    assert offenders == {}


def test_the_tiny_model_builders_live_under_tests() -> None:
    for gone in ("executors/testing.py", "executors/segment/tiny.py"):
        assert not (ROOT / gone).exists(), f"{gone} is test code; it belongs in tests/support/"
    sam = (ROOT / "executors" / "segment" / "sam.py").read_text()
    assert "build_test_tiny" not in sam and "test_tiny" not in sam
    assert (ROOT / "tests" / "support" / "tiny_models.py").is_file()
    assert (ROOT / "tests" / "support" / "tiny_segment.py").is_file()
