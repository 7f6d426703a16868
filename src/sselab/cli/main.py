"""The ``sselab`` command.

Each command group lives in its own module of :mod:`sselab.cli` and exposes ``register(app)``; this module
only names them. The groups are loaded on demand (:mod:`sselab.cli.lazy`): ``sselab --help`` imports none of
them, and ``sselab data ...`` imports only :mod:`sselab.cli.data`, not the simulation stack. Whatever error
escapes a command is reported in one line by :class:`sselab.cli.errors.SselabGroup` (exit code 2 for bad
input, 130 for Ctrl-C, 1 for an internal error; no traceback unless ``--verbose`` or ``SSELAB_DEBUG=1``);
third-party warnings go to the log file (:mod:`sselab.cli.logs`).

A new command: write it in a module of :mod:`sselab.cli` with ``register(app)`` and add a line to
:data:`COMMANDS` (``tests/test_cli_main.py`` checks that the line agrees with the command).
"""

from __future__ import annotations

import typer

from sselab import __version__
from sselab.cli.lazy import LazyCommand, LazyGroup
from sselab.cli.logs import configure_logging

#: Every command of ``sselab``, in the order ``sselab --help`` lists them: the module of :mod:`sselab.cli`
#: that registers it, and its one-line help (the first paragraph of the command's own help).
COMMANDS: dict[str, LazyCommand] = {
    "demo": LazyCommand(
        "data",
        "Import the four public datasets, print a summary table and write the Fig. 1b-style figure.",
    ),
    "arrhenius": LazyCommand(
        "arrhenius",
        "Fit σ(T) of FORMULA from the store (Ea ± stderr, 95 % CI, R², N, T range, breakpoint); write PNGs.",
    ),
    "metad": LazyCommand(
        "simulate",
        "Well-tempered metadynamics of a migrating cation: HILLS, COLVAR, FES, figures, summary.json.",
    ),
    "fes": LazyCommand(
        "simulate",
        "Recompute the FES, barriers, uncertainty and figures of a run folder from its HILLS and COLVAR.",
    ),
    "neb": LazyCommand(
        "methods",
        "CI-NEB of a cation hopping into a neighbouring vacancy; writes band, energy profile, summary.json.",
    ),
    "md-arrhenius": LazyCommand(
        "methods",
        "NVT MD at several temperatures → MSD → D → Nernst–Einstein σ → Arrhenius Ea "
        "(figures, summary.json).",
    ),
    "relax": LazyCommand(
        "methods",
        "Relax positions (and cell) with a potential; writes outputs/relaxed.extxyz and summary.json.",
    ),
    "descriptors": LazyCommand(
        "analysis",
        "Composition descriptors X (1), Z (1), r_atom (pm), r_ion (pm) and n of formulas.",
    ),
    "fit": LazyCommand(
        "analysis",
        "Fit Ea = Σ a_i·P_i + b on the store's Ea (or --scan all singles and pairs); save it.",
    ),
    "benchmark": LazyCommand(
        "benchmark",
        "Computed activation energies against experiment (the paper's Figures 1c and 2b).",
    ),
    "screen": LazyCommand(
        "analysis",
        "Predict Ea with a model per route, with prediction intervals and flags; rank, export, store.",
    ),
    "models": LazyCommand(
        "analysis",
        "List the stored model fits with their origin (fitted, published, given) and quality.",
    ),
    "ask": LazyCommand(
        "assistant",
        "Ask the assistant a question about the store; prints the answer, the SQL it ran and figure paths.",
    ),
    "mcp": LazyCommand(
        "assistant",
        "Serve the assistant's read-only tools over MCP (stdio) for desktop LLM clients.",
    ),
    "report": LazyCommand(
        "pipeline",
        "Write the HTML report of CONFIG (runs whatever stages are not cached yet, then the report).",
    ),
    "serve": LazyCommand(
        "serve",
        "Serve the store as a read-only web database: materials, σ(T) fits, comparisons, exports.",
    ),
    "db": LazyCommand("db", "The store: create/migrate it, count rows, run read-only SQL."),
    "data": LazyCommand(
        "data",
        "Public datasets (list, fetch with sha256, import); your own tables (import-table, add, export).",
    ),
    "search": LazyCommand("search", "Crystal structure search with rigid molecular units (GA or random)."),
    "insights": LazyCommand(
        "assistant",
        "Insight recipes: the paper's LLM insights as analyses that need no LLM.",
    ),
    "pipeline": LazyCommand("pipeline", "Run the end-to-end workflow, resumable, on Dask."),
}


class SselabCommands(LazyGroup):
    """The ``sselab`` group: :data:`COMMANDS`, each imported when it runs."""

    lazy_commands = COMMANDS


app = typer.Typer(
    name="sselab",
    help="Data-driven discovery of solid-state electrolytes (Wang et al., Angew. Chem. 2025 workflow).",
    no_args_is_help=True,
    cls=SselabCommands,
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


if __name__ == "__main__":  # python -m sselab.cli.main
    app()
