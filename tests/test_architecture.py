"""The shape of the house: small modules in ``simulate/``, no import cycle between sselab's modules, and
sselab's own imports at module top everywhere (lazy imports only for heavy or optional third-party packages,
each with its reason in a comment)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sselab"
#: Files (and functions) not swept yet: none (every branch is merged and swept).
NOT_YET_SWEPT_FILES: tuple[str, ...] = ()
NOT_YET_SWEPT: set[tuple[str, str]] = set()
#: Every module of the package, but the migrations (Alembic loads them by path) and the files above.
SWEPT = tuple(
    str(p.relative_to(SRC))
    for p in sorted(SRC.rglob("*.py"))
    if "migrations" not in p.parts
    and not any(str(p.relative_to(SRC)).startswith(prefix) for prefix in NOT_YET_SWEPT_FILES)
)
#: Third-party packages that may be imported inside a function: optional extras (potentials, the search's
#: pyxtal and ase-ga, mcp, the web server) and heavy modules only some paths need (each such import says why
#: in a comment). Everything else, and every sselab module, is imported at module top.
LAZY_THIRD_PARTY = (
    "torch",
    "chgnet",
    "sevenn",
    "mace",
    "mattersim",
    "orb_models",
    "tblite",
    "ase.calculators",  # the potentials registry builds a calculator by name
    "pyxtal",
    "ase_ga",
    "mcp",
    "uvicorn",
    "playwright",
    "openai",
    "matplotlib",
    "scipy.stats",
    "sklearn",
    "statsmodels",
    "pymatgen.io",
    "alembic",
    "openpyxl",
    "pyarrow",
    "distributed",
    "resource",
)


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


#: The one function allowed to import sselab modules inside a function: the lazy ``sselab`` group imports a
#: command's module (``importlib.import_module(f"sselab.cli.{module}")``) only when that command runs, so that
#: ``sselab --help`` starts without the stages (docs/architecture.md, "The command line starts ...").
LAZY_SSELAB = {("cli/lazy.py", "load_commands")}


def _dynamic_import_target(node: ast.AST) -> str | None:
    """The module named by ``importlib.import_module(...)`` / ``__import__(...)`` (the text of an f-string's
    constant head, e.g. ``"sselab.cli."``), else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__"):
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return str(arg.values[0].value)
    return "<computed>"


def _function_level_imports(path: Path) -> list[tuple[str, int, str, str]]:
    """(file, line, function, module) of every import inside a function (nested functions included), the
    ``importlib.import_module``/``__import__`` calls too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(SRC)) if path.is_relative_to(SRC) else path.name
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
            elif (target := _dynamic_import_target(node)) is not None:
                names = [target]
            found += [(rel, node.lineno, func.name, n) for n in names]
    return sorted(set(found))


def _lazy_allowed(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in LAZY_THIRD_PARTY)


@pytest.mark.parametrize("target", SWEPT)
def test_sselab_imports_are_at_module_top(target: str) -> None:
    hits = _function_level_imports(SRC / target)
    own = [(r, n, f, m) for r, n, f, m in hits if m.startswith("sselab") or m == "<computed>"]
    assert [f"{r}:{n} {f}: {m}" for r, n, f, m in own if (r, f) not in LAZY_SSELAB] == []


def test_the_check_finds_function_level_imports_of_sselab(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import importlib\n\n\ndef f():\n    from sselab.store import Store\n    import sselab.chem\n"
        "    return importlib.import_module('sselab.simulate'), importlib.import_module(f'sselab.cli.{1}')\n",
        encoding="utf-8",
    )
    found = {m for _, _, _, m in _function_level_imports(bad)}
    assert found == {"sselab.store", "sselab.chem", "sselab.simulate", "sselab.cli."}


def test_the_dynamic_import_check_sees_the_lazy_cli_group() -> None:
    """The check would fail on ``importlib.import_module("sselab...")`` in a function: it finds the one
    exempted use."""
    hits = _function_level_imports(SRC / "cli" / "lazy.py")
    assert {(r, f) for r, _, f, m in hits if m.startswith("sselab")} == LAZY_SSELAB


@pytest.mark.parametrize("target", SWEPT)
def test_only_heavy_or_optional_packages_are_imported_lazily(target: str) -> None:
    hits = _function_level_imports(SRC / target)
    third_party = [(r, n, f, m) for r, n, f, m in hits if not m.startswith("sselab") and m != "<computed>"]
    assert [f"{r}:{n} {f}: {m}" for r, n, f, m in third_party if not _lazy_allowed(m)] == []
    assert _without_reason(SRC / target, third_party) == []


def _without_reason(path: Path, hits: list[tuple[str, int, str, str]]) -> list[str]:
    """Functions whose first lazy import has no comment from the ``def`` line to it (unless the module
    docstring says that the module imports lazily)."""
    text = path.read_text(encoding="utf-8")
    if "lazily" in (ast.get_docstring(ast.parse(text)) or ""):
        return []
    lines = text.splitlines()
    starts = {
        node.name: node.lineno
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    first: dict[str, int] = {}
    for _, line, func, _ in hits:
        first[func] = min(first.get(func, line), line)
    return [
        f"{path.name}:{line} {func}"
        for func, line in sorted(first.items())
        if not any("#" in lines[i] for i in range(starts[func] - 1, line))
    ]


def test_the_sweep_covers_the_whole_package() -> None:
    assert {"cli/main.py", "store/store.py", "web/app.py", "assistant/agent.py", "simulate/md.py"} <= {*SWEPT}
    assert {"models/method_benchmark.py", "cli/benchmark.py", "benchmark/runner.py"} <= {*SWEPT}
