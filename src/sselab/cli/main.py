"""The ``sselab`` command.

Each command group lives in its own module of :mod:`sselab.cli` and exposes ``register(app)``;
this module only assembles them. Heavy libraries are imported inside the commands, so ``sselab --help``
stays fast.
"""

from __future__ import annotations

import importlib
import logging

import typer

from sselab import __version__

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
)

app = typer.Typer(
    name="sselab",
    help="Data-driven discovery of solid-state electrolytes (Wang et al., Angew. Chem. 2025 workflow).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
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
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
) -> None:
    """sselab: store, analyse and simulate solid-state electrolytes."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


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
