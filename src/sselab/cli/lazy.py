"""Command groups loaded on demand, so that ``sselab --help`` does not import every stage of sselab.

Click's "lazy loading of subcommands" pattern, on the group Typer builds for the ``sselab`` app: the group is
created with one light placeholder per command (its name and the one-line help ``sselab --help`` shows, from
a table), and the module that defines a command is imported only when the command is resolved to run it
(or to print its own ``--help``). The listing of ``sselab --help``, shell completion of command names and
"did you mean" suggestions read the placeholders; :meth:`LazyGroup.resolve_command` swaps in the real
command. Errors keep :class:`~sselab.cli.errors.SselabGroup`'s handling (the import happens inside its
``invoke``).

A command module exposes ``register(app)``, which adds its commands to a :class:`typer.Typer`; the table
names, for each command, that module and the command's one-line help (the first paragraph of its docstring;
a test checks that they agree).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from typer._click.core import Command, Context
from typer.core import TyperCommand

from sselab.cli.errors import SselabGroup


@dataclass(frozen=True)
class LazyCommand:
    """Where a command of the ``sselab`` group is defined, and its one-line help.

    Parameters
    ----------
    module
        Module of :mod:`sselab.cli` whose ``register(app)`` adds the command (``"data"`` for
        :mod:`sselab.cli.data`).
    help
        The first paragraph of the command's help, as ``sselab --help`` lists it.
    """

    module: str
    help: str


class Placeholder(TyperCommand):
    """A command not imported yet: its name and one-line help, for listings only."""

    def __init__(self, name: str, spec: LazyCommand) -> None:
        super().__init__(name, short_help=spec.help, help=spec.help)
        self.spec = spec


def load_commands(module: str) -> dict[str, Command]:
    """The click commands (and groups) that ``sselab.cli.<module>.register`` adds to a fresh Typer app.

    The one function-level import of sselab's own modules in the package, on purpose: importing the
    command modules at the top of this module would import every stage on ``sselab --help``
    (``tests/test_architecture.py`` exempts this function by name, ``LAZY_SSELAB``).
    """
    app = typer.Typer()
    # lazy on purpose: the command's module (and the stages it imports) only when the command is used
    importlib.import_module(f"sselab.cli.{module}").register(app)
    return dict(typer.main.get_group(app).commands)


class LazyGroup(SselabGroup):
    """A :class:`SselabGroup` whose commands are imported when one of them is run (see module doc).

    Subclasses set :attr:`lazy_commands` (command name -> :class:`LazyCommand`, in the order ``--help`` lists
    them).
    """

    lazy_commands: ClassVar[Mapping[str, LazyCommand]] = {}
    _loaded: ClassVar[dict[str, dict[str, Command]]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, spec in self.lazy_commands.items():
            self.commands.setdefault(name, Placeholder(name, spec))

    def real_command(self, name: str) -> Command | None:
        """The command ``name``, importing its module on first use (None for an unknown name)."""
        command = self.commands.get(name)
        if not isinstance(command, Placeholder):
            return command
        module = command.spec.module
        if module not in self._loaded:
            self._loaded[module] = load_commands(module)
        loaded = self._loaded[module]
        if name not in loaded:
            raise RuntimeError(f"sselab.cli.{module} does not register the command {name!r}")
        for other, spec in self.lazy_commands.items():
            if spec.module == module and other in loaded:
                self.commands[other] = loaded[other]
        return loaded[name]

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, Placeholder):
            command = self.real_command(name)
        return name, command, rest
