"""The code's layout holds: no import cycle among the handlers' modules, and no module in
`handlers/` or `storage/` grows past a couple of screens.

The imports are read from the source (top-level statements only; an import inside a
function, or under `if TYPE_CHECKING:`, runs later or never, and cannot make a cycle at
start-up). Importing `handlers.a.b` runs `handlers/a/__init__.py` first, so for a module
outside the package `handlers.a` it depends on that package too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 450


def _modules(package: str) -> dict[str, Path]:
    """Every module of a package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _top_level(block)
            for handler in node.handlers:
                yield from _top_level(handler.body)


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that importing module `name` (at `path`) runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _top_level(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        targets.add(base)
        targets.update(f"{base}.{alias.name}" for alias in node.names)
    runs: set[str] = set()
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            step = ".".join(parts[:i])
            # A package of the importer's own is already being imported: no new edge.
            if step in known and not (name == step or name.startswith(step + ".")):
                runs.add(step)
    return runs


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules("handlers")
    known = set(modules)
    return {name: _imported(name, path, known) for name, path in modules.items()}


def test_no_import_cycle_among_the_handlers_modules() -> None:
    graph = import_graph()
    assert "handlers.arguments" in graph and "handlers.decisions.rules" in graph
    assert "handlers.registry" in graph["handlers.practices"]
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"], ["e"]]


def test_a_package_is_run_by_an_import_from_outside_it() -> None:
    graph = import_graph()
    # The rules of a decision are in the decisions package: importing them runs it.
    assert "handlers.decisions" in graph["handlers.rituals.experiments"]
    # Within the package, its own `__init__` is already running.
    assert "handlers.decisions" not in graph["handlers.decisions.log"]


def test_no_module_is_longer_than_a_couple_of_screens() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in ("handlers", "storage")
        for path in _modules(package).values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these (at most {MAX_LINES} lines each): {long}"
