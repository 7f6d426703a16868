"""``sselab search run | show``: crystal structure search (GA with rigid molecular units) and its results.

``search run`` calls :func:`sselab.structures.recipe.search_structures`; its settings are those of
``--profile`` (:data:`sselab.structures.settings.PROFILES`) with the options given (or a ``--config`` file) on
top, exactly as the pipeline's search stage builds them. It is resumable: the store keeps every individual, so
repeating the same command continues the run. (The sub-commands are ``run`` and ``show`` because a bare
``sselab search "FORMULA"`` cannot coexist with ``sselab search show RUN`` in one Typer group.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sselab.cli.options import ConfigOption, DbOption, cli_label, fail, settings_values
from sselab.config import get_settings
from sselab.errors import SselabError, StoreError
from sselab.store import Store, as_store
from sselab.structures.cell import scan_z, search_cell_from_formula
from sselab.structures.recipe import SearchSummary, default_run_name, search_structures, summarise_search
from sselab.structures.search import load_search
from sselab.structures.settings import SearchSettings, settings_for_profile

__all__ = ["register", "search_app"]

search_app = typer.Typer(
    help="Crystal structure search with rigid molecular units (GA or random).", no_args_is_help=True
)


def _print_table(summary: SearchSummary) -> None:
    lowest = summary.best[0].enthalpy_ev_per_atom if summary.best else 0.0
    table = Table(
        title=f"{summary.run_name}: {summary.individuals} individuals, {summary.duplicates} duplicates"
    )
    for column in ("rank", "key", "E (eV/atom)", "ΔE (meV/atom)", "operator", "gen", "coordination", "CIF"):
        table.add_column(column)
    for rank, row in enumerate(summary.best, start=1):
        table.add_row(
            str(rank),
            row.key,
            f"{row.energy_ev_per_atom:.4f}",
            f"{(row.enthalpy_ev_per_atom - lowest) * 1000:.1f}",
            row.operator,
            str(row.generation),
            str(row.coordination),
            row.cif,
        )
    Console(width=200).print(table)


def _done(store: Store, run_name: str) -> int:
    try:
        return len(store.search_individuals(run_name))
    except StoreError:  # no such run yet
        return 0


@search_app.command("run")
def run_command(
    ctx: typer.Context,
    formula: Annotated[str, typer.Argument(help="Composition, e.g. 'Mg(BH4)2·2NH3'.")],
    config: ConfigOption = None,
    z: Annotated[
        int | None,
        typer.Option("--z", help="Formula units per cell (default: the smallest Z with whole unit counts)."),
    ] = None,
    profile: Annotated[str, typer.Option("--profile", help="quick (short relaxations) or paper.")] = "quick",
    potential: Annotated[
        str | None, typer.Option("--potential", help="Potential for every relaxation (default: chgnet).")
    ] = None,
    budget: Annotated[
        int | None, typer.Option("--budget", help="Individuals (relaxations) in total.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (recorded; default 1).")] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="ga (default), or random (baseline).")
    ] = None,
    population_size: Annotated[int | None, typer.Option("--population", help="Population size.")] = None,
    relax_steps: Annotated[
        int | None, typer.Option("--relax-steps", help="Optimizer steps per relaxation.")
    ] = None,
    release_steps: Annotated[
        int | None, typer.Option("--release-steps", help="Steps without symmetry after the symmetric ones.")
    ] = None,
    fmax_ev_per_a: Annotated[
        float | None, typer.Option("--fmax", help="Force criterion of the relaxations (eV/Å).")
    ] = None,
    optimizer: Annotated[
        str | None, typer.Option("--optimizer", help="BFGS (default), LBFGS or FIRE.")
    ] = None,
    symmetric_random: Annotated[
        bool | None,
        typer.Option(
            "--symmetric/--no-symmetric",
            help="Relax random structures in their generated space group first (default: yes).",
        ),
    ] = None,
    pressure_gpa: Annotated[
        float | None, typer.Option("--pressure-gpa", help="Pressure (GPa); fitness is enthalpy.")
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads of the potential.")] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu or cuda (default: auto).")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Run name (default derived from the options).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for CIFs, figure and summary.json.")
    ] = None,
    n_best: Annotated[int, typer.Option("--n-best", help="Structures written as CIF.")] = 5,
    db: DbOption = None,
) -> None:
    """Search crystal structures of FORMULA; rerun the same command to continue an interrupted search."""
    console = Console()
    try:
        settings = search_settings_from_options(ctx, profile, config)
        if z is None:
            z = scan_z(formula)[0].z
            console.print(f"Z = {z} (smallest Z with whole unit counts)")
        search_cell_from_formula(
            formula, z
        )  # a bad composition is refused before anything is shown or loaded
        run_name = name or default_run_name(formula, z, settings, profile)
        store = as_store(db)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            task = bar.add_task(f"search {run_name}", total=settings.budget, completed=_done(store, run_name))
            summary = search_structures(
                formula, z=z, settings=settings, profile=profile, checkpoint=store, run_name=run_name,
                out_dir=out, n_best=n_best, on_individual=lambda _: bar.advance(task),
            )  # fmt: skip
    except SselabError as exc:
        fail(console, exc)
    _print_table(summary)
    typer.echo(f"summary: {Path(summary.out_dir) / 'summary.json'}")


def search_settings_from_options(ctx: typer.Context, profile: str, config: Path | None) -> SearchSettings:
    """The settings of ``search run``: ``profile``'s, with the options (and ``--config`` values) given."""
    source = "options" if config is None else f"options and {config}"
    values = settings_values(ctx, SearchSettings)
    return settings_for_profile(profile, source=source, label=cli_label, **values)


@search_app.command("show")
def show_command(
    run_name: Annotated[str, typer.Argument(help="Run name (printed by 'search run').")],
    n_best: Annotated[int, typer.Option("--n-best", help="Rows (unique lowest structures).")] = 5,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for CIFs and the figure.")] = None,
    db: DbOption = None,
) -> None:
    """Best individuals of a search: energy, operator, cation coordination and CIF path."""
    console = Console()
    try:
        store = as_store(db)
        try:
            store.search_individuals(run_name)
        except StoreError:
            raise StoreError(f"no search run named {run_name!r} in the store") from None
        result = load_search(store, run_name)
        folder = out or Path(store_search_folder(run_name))
        summary = summarise_search(result, folder, n_best)
    except SselabError as exc:
        fail(console, exc)
    _print_table(summary)


def store_search_folder(run_name: str) -> str:
    """Default output folder of a search run (the data folder's ``search/RUN``)."""
    return str(get_settings().data_dir / "search" / run_name)


def register(app: typer.Typer) -> None:
    """Add the ``search`` command group to the ``sselab`` application."""
    app.add_typer(search_app, name="search")
