"""``sselab metad`` and ``sselab fes``: well-tempered metadynamics of a migrating cation, and its analysis.

Heavy imports (ASE, torch) happen inside the commands, so ``sselab --help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from sselab.cli.options import DbOption

__all__ = ["register"]


class CVKind(StrEnum):
    """Collective variables offered by ``sselab metad``."""

    displacement = "displacement"
    displacement2d = "displacement2d"
    coordination = "coordination"


def _vector(text: str | None) -> tuple[float, float, float] | None:
    if text is None:
        return None
    parts = [float(x) for x in text.replace(",", " ").split()]
    if len(parts) != 3:
        raise typer.BadParameter(f"expected three numbers 'x,y,z', got {text!r}")
    return (parts[0], parts[1], parts[2])


def metad(
    structure: Annotated[Path, typer.Argument(help="Structure file (CIF, POSCAR, extxyz).", exists=True)],
    cation: Annotated[str, typer.Option("--cation", help="Element of the migrating cation, e.g. Mg.")] = "Li",
    potential: Annotated[
        str, typer.Option("--potential", help="Potential name (sselab.simulate.potentials).")
    ] = ("chgnet"),
    temperature_k: Annotated[float, typer.Option("--temperature-k", help="Temperature (K).")] = 500.0,
    steps: Annotated[
        int, typer.Option("--steps", help="Total MD steps (a resumed run continues to this).")
    ] = 5000,
    timestep_fs: Annotated[float, typer.Option("--timestep-fs", help="MD time step (fs).")] = 1.0,
    height_ev: Annotated[float, typer.Option("--height-ev", help="Initial hill height (eV).")] = 0.02,
    width: Annotated[
        float, typer.Option("--width", help="Hill width σ (Å for displacements; CN units).")
    ] = 0.2,
    pace: Annotated[int, typer.Option("--pace", help="MD steps between hills.")] = 50,
    bias_factor: Annotated[float, typer.Option("--bias-factor", help="Well-tempered bias factor γ.")] = 10.0,
    cv: Annotated[CVKind, typer.Option("--cv", help="Collective variable(s).")] = CVKind.displacement,
    supercell_min_length_a: Annotated[
        float, typer.Option("--supercell-min-length-a", help="Repeat the cell to at least this width (Å).")
    ] = 0.0,
    vacancy: Annotated[
        bool,
        typer.Option(
            "--vacancy/--no-vacancy", help="Remove the nearest same-element neighbour (hop target)."
        ),
    ] = True,
    cation_index: Annotated[
        int | None, typer.Option("--cation-index", help="Index of the migrating ion.")
    ] = None,
    direction: Annotated[
        str | None, typer.Option("--direction", help="Hop direction 'x,y,z' (default: towards the vacancy).")
    ] = None,
    relax_steps: Annotated[
        int, typer.Option("--relax-steps", help="Relaxation steps before MD (0: none).")
    ] = 0,
    friction_per_fs: Annotated[
        float, typer.Option("--friction-per-fs", help="Langevin friction (1/fs).")
    ] = 0.01,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (recorded).")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("metad-run"),
    restart: Annotated[
        bool, typer.Option("--restart/--no-restart", help="Resume from the run folder.")
    ] = True,
    material: Annotated[
        str | None, typer.Option("--material", help="Formula to store the barrier under.")
    ] = None,
    db: DbOption = None,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="Record the barrier in the store.")
    ] = False,
) -> None:
    """Well-tempered metadynamics of a migrating cation: HILLS, COLVAR, FES, figures, summary.json."""
    from rich.console import Console

    from sselab.errors import SselabError
    from sselab.simulate.metad.setup import build_metad_setup

    console = Console()
    try:
        setup = build_metad_setup(
            structure,
            cation,
            potential,
            cv.value,
            width,
            supercell_min_length_a,
            vacancy,
            cation_index,
            _vector(direction),
            relax_steps,
        )
        from sselab.simulate.metad.engine import run_metadynamics

        console.print(f"[bold]{setup.description}[/bold]")
        result = run_metadynamics(
            setup.atoms,
            setup.calculator,
            setup.colvars,
            temperature_k,
            steps,
            timestep_fs,
            height_ev,
            setup.widths,
            pace,
            bias_factor,
            seed,
            out,
            restart=restart,
            progress=True,
            grid=setup.grid,
            friction_per_fs=friction_per_fs,
            extra_parameters=setup.parameters,
        )
    except SselabError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    _report(console, result.run_dir, result.barriers, result.barrier_error)
    if store or db is not None:
        _store(console, result.run_dir, db, material or setup.formula, potential, temperature_k)


def fes(
    run_dir: Annotated[
        Path, typer.Argument(help="Run folder of 'sselab metad'.", exists=True, file_okay=False)
    ],
    bins: Annotated[int, typer.Option("--bins", help="Grid intervals per CV.")] = 200,
    min_depth_ev: Annotated[
        float, typer.Option("--min-depth-ev", help="Ignore minima shallower than this (eV).")
    ] = (0.05),
    db: DbOption = None,
    material: Annotated[
        str | None, typer.Option("--material", help="Formula to store the barrier under.")
    ] = None,
) -> None:
    """Recompute the FES, barriers, uncertainty and figures of a run folder from its HILLS and COLVAR."""
    from rich.console import Console

    from sselab.errors import SselabError
    from sselab.simulate.metad.analysis import analyse_metadynamics
    from sselab.simulate.metad.plumed import read_colvar, read_hills
    from sselab.simulate.runfolder import RunFolder, read_summary

    console = Console()
    try:
        folder = RunFolder.create(run_dir)
        params = json.loads((folder.inputs / "parameters.json").read_text())
        hills = read_hills(folder.outputs / "HILLS")
        colvar = read_colvar(folder.outputs / "COLVAR")
        analysis = analyse_metadynamics(
            hills,
            colvar,
            params["temperature_k"],
            hills.bias_factor,
            bins,
            params.get("start"),
            params.get("end"),
            min_depth_ev=min_depth_ev,
            cv_names=params["cv_names"],
            folder=folder,
        )
        summary = read_summary(run_dir)
        summary["results"].update(analysis.as_dict())
        folder.write_summary(
            "metad",
            summary["parameters"],
            summary["results"],
            summary.get("seed"),
            summary.get("command"),
            summary.get("started_utc"),
            extra={"reanalysed_with": {"bins": bins, "min_depth_ev": min_depth_ev}},
        )
    except (SselabError, FileNotFoundError, KeyError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    _report(console, folder.root, analysis.barriers, analysis.barrier_error)
    if db is not None:
        _store(
            console,
            folder.root,
            db,
            material or summary.get("material", "unknown"),
            None,
            params["temperature_k"],
        )


def _report(console: Any, run_dir: Path, barriers: Any, error: str | None) -> None:
    from rich.table import Table

    if barriers is None:
        console.print(f"[yellow]no barrier:[/yellow] {error}")
        console.print(f"run folder: {run_dir}")
        return
    table = Table(title=f"free-energy barriers ({barriers.kind})")
    table.add_column("quantity")
    table.add_column("eV", justify="right")
    rows = (
        [("Ea", barriers.barrier_ev)]
        if barriers.kind == "one-step"
        else [
            ("Ea1 (leaving the site)", barriers.ea1_ev),
            ("Ea2 (subsequent hop)", barriers.ea2_ev),
        ]
    )
    rows += [("rate-determining", barriers.rate_determining_ev), ("uncertainty", barriers.uncertainty_ev)]
    for name, value in rows:
        table.add_row(name, "n/a" if value is None else f"{value:.3f}")
    console.print(table)
    if barriers.uncertainty_ev is None:
        reason = _uncertainty_reason(run_dir)
        console.print(f"[yellow]uncertainty n/a:[/yellow] {reason or 'not estimated'}")
    console.print(f"run folder: {run_dir} (summary.json, outputs/HILLS, outputs/COLVAR, figures/fes.png)")


def _uncertainty_reason(run_dir: Path) -> str | None:
    """Why ``summary.json`` of ``run_dir`` has no uncertainty (``None`` if it does not say)."""
    from sselab.errors import SimulationError
    from sselab.simulate.runfolder import read_summary

    try:
        reason = read_summary(run_dir).get("results", {}).get("uncertainty_reason")
    except (SimulationError, ValueError):
        return None
    return str(reason) if reason else None


def _store(
    console: Any, run_dir: Path, db: str | None, material: str, potential: str | None, temperature_k: float
) -> None:
    from sselab.simulate.recording import record_activation_energy
    from sselab.simulate.runfolder import read_summary

    summary = read_summary(run_dir)
    barriers = summary["results"].get("barriers")
    if not barriers:
        console.print("[yellow]nothing stored: no barrier[/yellow]")
        return
    ea_id = record_activation_energy(
        db,
        summary,
        run_dir,
        material,
        barriers["rate_determining_ev"],
        barriers.get("uncertainty_ev"),
        potential=potential or summary["parameters"].get("potential"),
        temperature_k=temperature_k,
        note=f"{barriers['kind']} (MetaD, sselab)",
    )
    console.print(f"stored activation energy #{ea_id} for {material}")


def register(app: typer.Typer) -> None:
    """Add ``metad`` and ``fes`` to the ``sselab`` command."""
    app.command("metad")(metad)
    app.command("fes")(fes)
