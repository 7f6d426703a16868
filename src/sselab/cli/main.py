"""The ``sselab`` command.

Each command group lives in its own module of :mod:`sselab.cli` and exposes ``register(app)``;
this module only assembles them. Heavy libraries are imported inside the commands, so ``sselab --help``
stays fast. Whatever error escapes a command is reported in one line by :class:`sselab.cli.errors.SselabGroup`
(exit code 2 for bad input, 130 for Ctrl-C, 1 for an internal error; no traceback unless ``--verbose`` or
``SSELAB_DEBUG=1``); third-party warnings go to the log file (:mod:`sselab.cli.logs`).
"""

from __future__ import annotations

import importlib

import typer

from sselab import __version__
from sselab.cli.errors import SselabGroup
from sselab.cli.logs import configure_logging

COMMAND_MODULES = (
    "db",
    "data",
    "arrhenius",
    "simulate",
    "methods",
    "analysis",
    "benchmark",
    "search",
    "assistant",
    "pipeline",
    "serve",
)

app = typer.Typer(
    name="sselab",
    help="Data-driven discovery of solid-state electrolytes (Wang et al., Angew. Chem. 2025 workflow).",
    no_args_is_help=True,
    cls=SselabGroup,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"sselab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Show details and third-party warnings on the terminal, and the traceback of an internal error.",
    ),
) -> None:
    """sselab: store, analyse and simulate solid-state electrolytes (log: <SSELAB_CACHE_DIR>/logs)."""
    configure_logging(verbose)


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"sselab.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command group not built yet
        if exc.name != f"sselab.cli.{_name}":
            raise
        continue
    _module.register(app)

if __name__ == "__main__":  # python -m sselab.cli.main
    app()
