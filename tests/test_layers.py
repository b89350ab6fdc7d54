"""The layers, read from the source with `ast`: no import cycle between packages or between modules, no messenger
SDK below handlers/, and rooms that import neither the engine nor each other.

What counts is a runtime import: any `import` statement except those under `if TYPE_CHECKING:` (they never
run). An import inside a function counts for the package layers (it runs, later) but not for the module cycle
check, where only what runs at import time can deadlock the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("knowledge", "dialogs", "storage", "handlers", "bot")
ROOMS = ("dialogs.booking", "dialogs.reminders", "dialogs.handoff", "dialogs.care")
SDKS = ("aiogram", "viberbot")
# The one import between rooms left, and why: the hotline's working hours are slots of the booking data's
# hotline resource, computed by the booking rules (pure functions, no state). A neutral schedule module is the
# way to drop it.
BETWEEN_ROOMS_ALLOWED = {("dialogs.handoff.rules", "dialogs.booking.rules")}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or package)
    top_level: bool  # runs when the module is imported (not inside a function)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, *, top: bool = True) -> Iterator[Import]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            yield from (
                i for child in node.orelse for i in _imports(ast.Module([child], []), module, top=top)
            )
            continue
        if isinstance(node, ast.Import):
            yield from (Import(module, alias.name, top) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # «from dialogs import texts» imports the module dialogs.texts
                yield Import(module, f"{node.module}.{alias.name}", top)
        else:
            inner = top and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from _imports(node, module, top=inner)


def project_imports() -> list[Import]:
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found += _imports(ast.parse(path.read_text(encoding="utf-8")), _module_name(path))
    return found


def _known(name: str, modules: set[str]) -> str | None:
    """The project module an imported name is (`from a.b import c`: the module a.b.c, else a.b)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _unit(module: str) -> str:
    """The package a module belongs to for the layer rules: a room, handlers.<channel>, or a top package."""
    for room in ROOMS:
        if module == room or module.startswith(room + "."):
            return room
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "handlers" and len(parts) > 2 else parts[0]


def _modules() -> set[str]:
    return {
        _module_name(p)
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    }


def _edges(*, units: bool, top_only: bool) -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for imp in project_imports():
        if top_only and not imp.top_level:
            continue
        target = _known(imp.target, modules)
        if target is None:
            continue
        a, b = (_unit(imp.source), _unit(target)) if units else (imp.source, target)
        if a != b:
            graph.setdefault(a, set()).add(b)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the path around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_graph_is_read() -> None:
    """The reader sees the imports it must judge (so the rules below are not vacuously true)."""
    graph = _edges(units=True, top_only=False)
    assert "dialogs" in graph["bot"]
    assert "storage" in graph["dialogs.booking"]


def test_no_cycle_between_packages() -> None:
    assert _cycle(_edges(units=True, top_only=False)) is None


def test_no_cycle_between_modules() -> None:
    assert _cycle(_edges(units=False, top_only=True)) is None


def test_no_messenger_sdk_below_the_handlers() -> None:
    bad = [
        (i.source, i.target)
        for i in project_imports()
        if i.source.split(".")[0] in ("knowledge", "dialogs", "storage") and i.target.split(".")[0] in SDKS
    ]
    assert bad == []


def test_rooms_import_neither_the_engine_nor_each_other() -> None:
    modules = _modules()
    bad = []
    for imp in project_imports():
        source, target = _unit(imp.source), _known(imp.target, modules) or ""
        if source not in ROOMS:
            continue
        if target == "dialogs.engine" or (
            _unit(target) in ROOMS
            and _unit(target) != source
            and (imp.source, target) not in BETWEEN_ROOMS_ALLOWED
        ):
            bad.append((imp.source, target))
    assert bad == []


def test_the_core_names_no_room() -> None:
    """The engine and the rest of dialogs/ outside the rooms import no room: rooms are wired by bot/app.py."""
    modules = _modules()
    bad = [
        (i.source, i.target)
        for i in project_imports()
        if _unit(i.source) == "dialogs" and _unit(_known(i.target, modules) or "") in ROOMS
    ]
    assert bad == []


def _session_uses(path: Path) -> Iterator[int]:
    """Lines where a unit of work's SQLAlchemy session is reached (`uow.session`, `self.uow.session`, …)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "session":
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if "uow" in name:
                yield node.lineno


def test_only_storage_touches_the_session() -> None:
    """SQL lives in storage/'s repositories; the rest of the product asks them (tests may look underneath)."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("bot", "dialogs", "handlers", "knowledge")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in _session_uses(path)
    ]
    assert found == [], found
