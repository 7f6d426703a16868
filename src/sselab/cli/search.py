"""``sselab search run | show``: crystal structure search (GA with rigid molecular units) and its results.

``search run`` is resumable: the store keeps every individual, so repeating the same command continues the
run.
(The sub-commands are ``run`` and ``show`` because a bare ``sselab search "FORMULA"`` cannot coexist with
``sselab search show RUN`` in one Typer group.)
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sselab.cli.options import DbOption, open_store_from_option

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

    from sselab.structures.search import SearchResult

search_app = typer.Typer(
    help="Crystal structure search with rigid molecular units (GA or random).", no_args_is_help=True
)


def _fail(message: str) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _calculator(potential: str, threads: int | None) -> Calculator:
    """The potential through sselab's registry when present, else CHGNet's own ASE calculator."""
    try:
        from sselab.simulate.potentials import get_calculator
    except ImportError:
        if potential != "chgnet":
            from sselab.errors import PotentialUnavailableError

            raise PotentialUnavailableError(
                f"potential {potential!r} needs sselab.simulate.potentials"
            ) from None
        import torch
        from chgnet.model.dynamics import CHGNetCalculator

        if threads:
            torch.set_num_threads(threads)
        return CHGNetCalculator(use_device="cpu")
    return get_calculator(potential, threads=threads)


def default_run_name(formula: str, z: int, method: str, potential: str, profile: str, seed: int) -> str:
    """Run name derived from the options, so the same command finds the same run."""
    safe = re.sub(r"[^A-Za-z0-9()]+", "_", formula).strip("_")
    return f"{safe}-z{z}-{method}-{potential}-{profile}-seed{seed}"


def _default_out(name: str) -> Path:
    from sselab.config import get_settings

    return get_settings().data_dir / "search" / name


def _summarise(result: SearchResult, out: Path, n_best: int) -> dict[str, Any]:
    from sselab.structures.analysis import cation_coordination, convergence_figure, write_best_cifs

    paths = write_best_cifs(result, out / "best", n_best=n_best)
    fig = convergence_figure(
        {result.settings.method: result}, title=f"{result.cell.formula} (Z={result.cell.z})"
    )
    fig.savefig(out / "convergence.png", dpi=150)
    rows = []
    for ind, path in zip(result.unique()[:n_best], paths, strict=False):
        coordination = cation_coordination(ind.atoms, result.cell) if result.cell.cation else None
        rows.append(
            {
                "key": ind.key,
                "energy_ev_per_atom": ind.energy_ev_per_atom,
                "enthalpy_ev_per_atom": ind.enthalpy_ev_per_atom,
                "operator": ind.operator,
                "generation": ind.generation,
                "parents": list(ind.parents),
                "coordination": coordination.label() if coordination else None,
                "coordination_mean": coordination.mean() if coordination else None,
                "cif": str(path),
            }
        )
    return {
        "best": rows,
        "individuals": len(result.individuals),
        "duplicates": sum(i.duplicate_of is not None for i in result.individuals),
        "invalid": sum(not i.valid for i in result.individuals),
        "convergence_png": str(out / "convergence.png"),
    }


def _print_table(result: SearchResult, summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    lowest = summary["best"][0]["enthalpy_ev_per_atom"] if summary["best"] else 0.0
    table = Table(
        title=f"{result.run_name}: {summary['individuals']} individuals, {summary['duplicates']} duplicates"
    )
    for column in ("rank", "key", "E (eV/atom)", "ΔE (meV/atom)", "operator", "gen", "coordination", "CIF"):
        table.add_column(column)
    for rank, row in enumerate(summary["best"], start=1):
        table.add_row(
            str(rank),
            row["key"],
            f"{row['energy_ev_per_atom']:.4f}",
            f"{(row['enthalpy_ev_per_atom'] - lowest) * 1000:.1f}",
            row["operator"],
            str(row["generation"]),
            str(row["coordination"]),
            row["cif"],
        )
    Console(width=200).print(table)


@search_app.command("run")
def run_command(
    formula: Annotated[str, typer.Argument(help="Composition, e.g. 'Mg(BH4)2·2NH3'.")],
    z: Annotated[
        int | None,
        typer.Option("--z", help="Formula units per cell (default: the smallest Z with whole unit counts)."),
    ] = None,
    potential: Annotated[str, typer.Option("--potential", help="Potential for every relaxation.")] = "chgnet",
    budget: Annotated[
        int | None, typer.Option("--budget", help="Individuals (relaxations) in total.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (recorded).")] = 1,
    profile: Annotated[str, typer.Option("--profile", help="quick (short relaxations) or paper.")] = "quick",
    method: Annotated[str, typer.Option("--method", help="ga, or random (baseline).")] = "ga",
    population: Annotated[int | None, typer.Option("--population", help="Population size.")] = None,
    relax_steps: Annotated[
        int | None, typer.Option("--relax-steps", help="Optimizer steps per relaxation.")
    ] = None,
    optimizer: Annotated[
        str | None, typer.Option("--optimizer", help="BFGS (default), LBFGS or FIRE.")
    ] = None,
    symmetric: Annotated[
        bool | None,
        typer.Option(
            "--symmetric/--no-symmetric",
            help="Relax random structures in their generated space group first (default: yes).",
        ),
    ] = None,
    pressure_gpa: Annotated[
        float, typer.Option("--pressure-gpa", help="Pressure (GPa); fitness is enthalpy.")
    ] = 0.0,
    name: Annotated[
        str | None, typer.Option("--name", help="Run name (default derived from the options).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for CIFs, figure and summary.json.")
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads of the potential.")] = None,
    n_best: Annotated[int, typer.Option("--n-best", help="Structures written as CIF.")] = 5,
    db: DbOption = None,
) -> None:
    """Search crystal structures of FORMULA; rerun the same command to continue an interrupted search."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sselab.errors import SselabError
    from sselab.structures.cell import scan_z, search_cell_from_formula, with_relaxed_units
    from sselab.structures.search import run_search
    from sselab.structures.settings import settings_for_profile

    started = datetime.now(UTC)
    try:
        if z is None:
            z = scan_z(formula)[0].z
            typer.echo(f"Z = {z} (smallest Z with whole unit counts)")
        cell = search_cell_from_formula(formula, z)
        settings = settings_for_profile(
            profile,
            budget=budget,
            seed=seed,
            method=method,
            population_size=population,
            relax_steps=relax_steps,
            optimizer=optimizer,
            symmetric_random=symmetric,
            pressure_gpa=pressure_gpa,
        )
        run_name = name or default_run_name(formula, z, method, potential, profile, seed)
        store = open_store_from_option(db)
        calculator = _calculator(potential, threads)
        cell = with_relaxed_units(cell, calculator, potential)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            task = bar.add_task(f"search {run_name}", total=settings.budget)
            done_before = len(store.search_individuals(run_name)) if _run_exists(store, run_name) else 0
            bar.update(task, completed=done_before)
            t0 = time.perf_counter()
            result = run_search(
                cell, calculator, store, run_name, settings, on_individual=lambda _: bar.advance(task)
            )
        folder = out or _default_out(run_name)
        folder.mkdir(parents=True, exist_ok=True)
        summary = _summarise(result, folder, n_best)
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    summary.update(
        {
            "command": "sselab search run",
            "formula": formula,
            "z": z,
            "potential": potential,
            "run_name": run_name,
            "settings": settings.as_dict(),
            "cell": cell.as_dict(),
            "start": started.isoformat(),
            "end": datetime.now(UTC).isoformat(),
            "wall_s_this_call": time.perf_counter() - t0,
        }
    )
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    _print_table(result, summary)
    typer.echo(f"summary: {folder / 'summary.json'}")


def _run_exists(store: Any, run_name: str) -> bool:
    from sselab.errors import StoreError

    try:
        store.search_individuals(run_name)
    except StoreError:
        return False
    return True


@search_app.command("show")
def show_command(
    run_name: Annotated[str, typer.Argument(help="Run name (printed by 'search run').")],
    n_best: Annotated[int, typer.Option("--n-best", help="Rows (unique lowest structures).")] = 5,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for CIFs and the figure.")] = None,
    db: DbOption = None,
) -> None:
    """Best individuals of a search: energy, operator, cation coordination and CIF path."""
    from sselab.errors import SselabError
    from sselab.structures.search import load_search

    try:
        store = open_store_from_option(db)
        if not _run_exists(store, run_name):
            raise _fail(f"no search run named {run_name!r} in the store")
        result = load_search(store, run_name)
        summary = _summarise(result, out or _default_out(run_name), n_best)
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    _print_table(result, summary)


def register(app: typer.Typer) -> None:
    """Add the ``search`` command group to the ``sselab`` application."""
    app.add_typer(search_app, name="search")
