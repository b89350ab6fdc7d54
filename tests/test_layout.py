"""No cycle between the tests, the benchmarks and their shared rigs: tests/ and bench/ import testkit/ and never each
other, testkit/ imports neither, and the product (bot, dialogs, handlers, knowledge, storage) imports none of the
three. Every import counts, at the top of a module or inside a function, and so does a module started by name
(`python -m bench.x` in a subprocess)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "dialogs", "handlers", "knowledge", "storage")
# folder → the top-level packages it must not import
FORBIDDEN: dict[str, set[str]] = {
    "bench": {"tests"},
    "tests": {"bench"},
    "testkit": {"tests", "bench"},
    **{package: {"tests", "bench", "testkit"} for package in PRODUCT},
}
MODULE_NAME = re.compile(r"[a-z_]+(\.[a-z_0-9]+)+")


def _package(path: Path) -> list[str]:
    """The dotted package a file belongs to, as parts (tests/e2e/viber/conftest.py → tests, e2e, viber)."""
    return list(path.relative_to(ROOT).parent.parts)


def imported(path: Path, source: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in `source`, relative ones resolved against `path`'s package, and of every
    string that is exactly a dotted module name (a module started by name)."""
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(path)[: len(_package(path)) - node.level + 1]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            elif node.module:
                yield node.lineno, node.module
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and MODULE_NAME.fullmatch(node.value)
        ):
            yield node.lineno, node.value


def offences(folder: str) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, module in imported(path, path.read_text(encoding="utf-8")):
            if module.split(".")[0] in FORBIDDEN[folder]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_crosses_the_layout(folder: str) -> None:
    assert any((ROOT / folder).rglob("*.py")), f"{folder}/ has no Python files: the check would prove nothing"
    assert offences(folder) == []


def test_the_check_sees_imports_anywhere() -> None:
    """The checker itself: imports inside functions, relative imports and modules run by name are all seen."""
    # spelled apart, or this file's own check (and a grep) would find them here
    bench, tests = "bench", "tests"
    source = (
        "import os\n"
        "def f():\n"
        f"    from {bench}.load import harness\n"
        f"    import {tests}.clocks as c\n"
        "from . import sibling\n"
        "from ..e2e import transcripts\n"
        f"ARGS = ['-m', '{bench}.booking_race']\n"
    )
    path = ROOT / "tests" / "storage" / "example.py"
    assert sorted(imported(path, source)) == [
        (1, "os"),
        (3, f"{bench}.load"),
        (4, f"{tests}.clocks"),
        (5, f"{tests}.storage"),
        (6, f"{tests}.e2e"),
        (7, f"{bench}.booking_race"),
    ]
