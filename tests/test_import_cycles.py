"""No module of the project takes part in an import cycle (DESIGN.md §1): the rooms of `bot/`
import downwards only, and the import-linter contracts keep the floors; this test keeps the
modules within a floor, and the lazy imports inside functions, from tying knots."""

from __future__ import annotations

import grimp

PACKAGES = ("core", "dialogs", "bot")


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other (directly or
    through others), each of more than one module or importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                child = todo.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, ()):
                    found.append(sorted(group))
    return found


def _project_graph() -> dict[str, set[str]]:
    built = grimp.build_graph(*PACKAGES)
    return {
        module: {
            imported
            for imported in built.find_modules_directly_imported_by(module)
            if imported.split(".")[0] in PACKAGES
        }
        for module in built.modules
        if module.split(".")[0] in PACKAGES
    }


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert strongly_connected(graph) == [["a", "b", "c"], ["e"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_module_of_the_project_takes_part_in_an_import_cycle() -> None:
    cycles = strongly_connected(_project_graph())
    assert cycles == [], "modules importing each other: " + "; ".join(
        " <-> ".join(group) for group in cycles
    )
