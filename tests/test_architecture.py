"""The shape of the house: small modules in ``simulate/``, no import cycle between sselab's modules, and
sselab's own imports at module top in the packages swept so far (lazy imports only for heavy optional
third-party packages)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sselab"
#: Packages and modules whose own-package imports must all sit at module top.
SWEPT = (
    "simulate",
    "pipeline",
    "structures",
    "cli/simulate.py",
    "cli/methods.py",
    "cli/search.py",
    "cli/pipeline.py",
    "cli/options.py",
    "recipes.py",
)
#: Stage functions of other teams still wrapping their imports (swept when they are next changed).
NOT_YET_SWEPT = {("pipeline/stages.py", "fit_stage"), ("pipeline/stages.py", "screening_stage")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> set[str]:
    """sselab modules imported when the module of ``tree`` is imported (TYPE_CHECKING blocks excluded)."""
    found: set[str] = set()
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If):
            if not _is_type_checking(node):
                stack += node.body + node.orelse
        elif isinstance(node, ast.Try):
            stack += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sselab")}
        elif (
            isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("sselab")
        ):
            for alias in node.names:  # `from sselab.chem import families` imports a module
                candidate = f"{node.module}.{alias.name}"
                if (SRC.parent / candidate.replace(".", "/")).with_suffix(".py").exists():
                    found.add(candidate)
                else:  # a name defined in (or re-exported by) node.module
                    found.add(str(node.module))
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = _module_name(path)
        graph[module] = _top_level_imports(ast.parse(path.read_text(encoding="utf-8")))
    return graph


def test_no_module_in_simulate_is_over_400_lines() -> None:
    sizes = {
        str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (SRC / "simulate").rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_no_import_cycle_between_sselab_modules() -> None:
    """A module never imports (at import time) a module that imports it back, directly or not.

    A package's ``__init__`` re-exporting its submodules is not a cycle: Python imports a submodule's parent
    package first, so only the explicit imports are edges.
    """
    graph = _graph()
    seen: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if seen.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in seen:
                visit(target, [*path, target])
        seen[node] = 2

    for module in sorted(graph):
        if module not in seen:
            visit(module, [module])
    assert cycles == []


def _function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(SRC))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if (rel, func.name) in NOT_YET_SWEPT:
            continue
        for node in ast.walk(func):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            found += [f"{rel}:{node.lineno} {func.name}: {n}" for n in names if n.startswith("sselab")]
    return found


@pytest.mark.parametrize("target", SWEPT)
def test_sselab_imports_are_at_module_top(target: str) -> None:
    root = SRC / target
    paths = sorted(root.rglob("*.py")) if root.is_dir() else [root]
    assert [hit for path in paths for hit in _function_level_imports(path)] == []
