"""The project's import graph, read with ``ast``: no cycle, no upward import, no oversized module.

Imports flow down: ``loadtests`` -> ``harness`` -> ``sik_llms``; ``sik_llms`` never imports the
harness, and the harness never imports ``loadtests``. Every import counts, lazy ones inside
functions included (a lazy import hides a cycle, it does not remove it), except those under
``if TYPE_CHECKING:``. A module may have at most ``MAX_LINES`` lines. Same rules as
``../shared/tools/importcheck.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("sik_llms", "harness", "loadtests")
#: (importer, imported) prefixes that point up the stack
UPWARD = (("sik_llms", "harness"), ("sik_llms", "loadtests"), ("harness", "loadtests"))
MAX_LINES = 500
#: Cycles not fixed yet, by package (each must still exist: remove the entry when it is fixed).
KNOWN_CYCLES: dict[str, str] = {}
#: Modules over MAX_LINES being split (each must still be over: remove the entry when split).
KNOWN_BIG: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The longest known module that ``name`` is or lies inside (``a.b.func`` -> ``a.b``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_only(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = (
                test.id
                if isinstance(test, ast.Name)
                else test.attr
                if isinstance(test, ast.Attribute)
                else ""
            )
            if name == "TYPE_CHECKING":
                skip |= {id(sub) for stmt in node.body for sub in ast.walk(stmt)}
    return skip


def imports_of(module: str) -> set[str]:
    """Project modules ``module`` imports (anywhere in it, lazily or not)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _type_checking_only(tree)
    base = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                prefix = ".".join(parts[: len(parts) - node.level + 1])
                source = f"{prefix}.{node.module}" if node.module else prefix
            else:
                source = node.module or ""
            targets = [
                f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source
                for a in node.names
            ]
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def _in(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_checker_finds_a_cycle_an_upward_import_and_a_lazy_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert "harness.spans.tree" in GRAPH["harness.spans"]  # a plain import is seen
    assert "harness.spans.snapshot" in GRAPH["harness.spans.tree"]  # so is one inside a method


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_inside_the_package(package: str) -> None:
    found = [group for group in cycles(GRAPH) if all(_in(package, m) for m in group)]
    if package in KNOWN_CYCLES:
        assert found, f"{package} has no import cycle any more: remove it from KNOWN_CYCLES"
        pytest.xfail(f"known cycle being fixed: {KNOWN_CYCLES[package]}")
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(group) for group in found)


def test_no_import_cycle_across_packages() -> None:
    across = [group for group in cycles(GRAPH) if len({m.split(".")[0] for m in group}) > 1]
    assert across == []


@pytest.mark.parametrize(("low", "high"), UPWARD, ids=[f"{a}-never-imports-{b}" for a, b in UPWARD])
def test_imports_only_flow_down(low: str, high: str) -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if _in(low, module)
        for target in targets
        if _in(high, target)
    )
    assert upward == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_the_line_limit(package: str) -> None:
    sizes = {
        m: len(p.read_text(encoding="utf-8").splitlines())
        for m, p in MODULES.items()
        if _in(package, m)
    }
    big = {m: n for m, n in sizes.items() if n > MAX_LINES}
    assert sorted(set(big) - set(KNOWN_BIG)) == [], f"modules over {MAX_LINES} lines: {big}"
    fixed = sorted(m for m in KNOWN_BIG if _in(package, m) and sizes.get(m, 0) <= MAX_LINES)
    assert fixed == [], (
        f"no longer over {MAX_LINES} lines (or gone): remove from KNOWN_BIG: {fixed}"
    )
