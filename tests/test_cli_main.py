"""The ``sselab`` command loads its command groups on demand (:mod:`sselab.cli.lazy`).

``sselab --help`` lists every command from the table in :mod:`sselab.cli.main` without importing the command
modules; running a command (or asking for its own help) imports only its module. The table must agree with
the commands the modules define: the same names, the same one-line help.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys

import pytest
import typer
import typer.main
from typer.testing import CliRunner

import sselab.cli
from sselab.cli.lazy import LazyGroup, Placeholder, load_commands
from sselab.cli.main import COMMANDS, app

runner = CliRunner()
MODULES = sorted({spec.module for spec in COMMANDS.values()})


def _first_paragraph(command: object) -> str:
    text = getattr(command, "short_help", None) or getattr(command, "help", None) or ""
    return inspect.cleandoc(text).split("\n\n")[0]


def test_help_lists_every_command_with_its_help() -> None:
    result = runner.invoke(app, ["--help"], env={"TERMINAL_WIDTH": "200", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("│ ") and "  " in line]
    rows = {line.split()[1]: " ".join(line.split()) for line in lines}
    assert [name for name in rows if name in COMMANDS] == list(COMMANDS)
    for name, spec in COMMANDS.items():
        assert " ".join(spec.help.split()) in rows[name], name


@pytest.mark.parametrize("module", MODULES)
def test_the_table_agrees_with_the_commands_each_module_registers(module: str) -> None:
    registered = load_commands(module)
    in_table = {name for name, spec in COMMANDS.items() if spec.module == module}
    assert set(registered) == in_table
    for name in in_table:
        real = registered[name]
        assert _first_paragraph(real) == COMMANDS[name].help, name
        assert not real.hidden and not getattr(real, "rich_help_panel", None), name  # the default panel


def test_every_command_a_module_registers_is_in_the_table() -> None:
    """A command that a module of sselab.cli registers but the table lacks would be unreachable."""
    for info in pkgutil.iter_modules(sselab.cli.__path__):
        module = importlib.import_module(f"sselab.cli.{info.name}")
        if "app" in inspect.signature(getattr(module, "register", lambda data_app: None)).parameters:
            assert set(load_commands(info.name)) <= set(COMMANDS), info.name


def test_a_command_is_loaded_when_it_runs_and_replaces_its_placeholder() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    assert isinstance(group.commands["db"], Placeholder)
    result = runner.invoke(app, ["db", "--help"])
    assert result.exit_code == 0 and "init" in result.output and "query" in result.output
    real = group.real_command("db")
    assert real is not None and not isinstance(real, Placeholder) and "init" in real.commands  # type: ignore[attr-defined]
    assert group.commands["db"] is real


def test_an_unknown_command_is_still_suggested_and_exits_2() -> None:
    result = runner.invoke(app, ["arrhenus"])
    assert result.exit_code == 2
    assert "arrhenius" in result.output


def _modules_after(code: str) -> dict[str, bool]:
    probe = (
        "import sys, json\n"
        f"{code}\n"
        "names = ('torch', 'chgnet', 'sselab.simulate', 'sselab.cli.data', 'pymatgen', 'pymatgen.io.cif',"
        " 'pymatgen.analysis', 'matplotlib', 'ase', 'ase.optimize', 'sqlalchemy')\n"
        "print(json.dumps({n: n in sys.modules for n in names}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_imports_no_command_module_nor_torch() -> None:
    loaded = _modules_after("import sselab.cli.main")
    assert loaded == dict.fromkeys(loaded, False)


@pytest.mark.parametrize("argv", [["--help"], ["data", "--help"]])
def test_help_does_not_import_the_simulation_stack(argv: list[str]) -> None:
    run = (
        "import contextlib, io\n"
        "from sselab.cli.main import app\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    app({argv!r})\n"
    )
    loaded = _modules_after(run)
    heavy = ("torch", "chgnet", "sselab.simulate", "matplotlib", "pymatgen.io.cif", "pymatgen.analysis")
    assert not any(loaded[name] for name in heavy), loaded
    assert loaded["sselab.cli.data"] == (argv[0] == "data")
    if argv == ["--help"]:  # the listing needs no stage at all: no store, no pymatgen, no ASE
        assert loaded == dict.fromkeys(loaded, False), loaded
