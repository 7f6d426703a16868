"""``sselab neb`` and ``sselab md-arrhenius``: the other barrier methods on the same structure and potential.

Heavy imports (ASE, torch) happen inside the commands, so ``sselab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sselab.cli.options import DbOption

__all__ = ["register"]

StructureArg = Annotated[Path, typer.Argument(help="Structure file (CIF, POSCAR, extxyz).", exists=True)]
CationOption = Annotated[
    str, typer.Option("--cation", help="Element of the migrating cation, e.g. Li or Mg.")
]
PotentialOption = Annotated[
    str, typer.Option("--potential", help="Potential name (sselab.simulate.potentials).")
]
SupercellOption = Annotated[
    float,
    typer.Option("--supercell-min-length-a", help="Repeat the cell to at least this width (Å; 0: as is)."),
]
MaterialOption = Annotated[
    str | None,
    typer.Option("--material", help="Formula to store the barrier under (default: the structure's)."),
]
StoreOption = Annotated[bool, typer.Option("--store/--no-store", help="Record the barrier in the store.")]
ThreadsOption = Annotated[int | None, typer.Option("--threads", help="CPU threads for torch potentials.")]


def _load(structure: Path, supercell_min_length_a: float) -> Any:
    from sselab.simulate.prepare import make_supercell, read_structure

    return make_supercell(read_structure(structure), supercell_min_length_a)


def _formula(atoms: Any) -> str:
    from pymatgen.core import Composition

    return str(Composition(atoms.get_chemical_formula()).reduced_formula)


def neb(
    structure: StructureArg,
    cation: CationOption = "Li",
    potential: PotentialOption = "chgnet",
    images: Annotated[int, typer.Option("--images", help="Moving images between the end points.")] = 5,
    fmax: Annotated[float, typer.Option("--fmax", help="Force convergence threshold (eV/Å).")] = 0.05,
    steps: Annotated[
        int, typer.Option("--steps", help="Maximum optimiser steps (band and each end point).")
    ] = 300,
    supercell_min_length_a: SupercellOption = 0.0,
    vacancy_site: Annotated[
        int | None, typer.Option("--vacancy-site", help="Index of the cation removed (default: the first).")
    ] = None,
    neighbour_rank: Annotated[
        int,
        typer.Option("--neighbour-rank", help="0: the nearest cation hops into the vacancy, 1: the next ..."),
    ] = 0,
    climb: Annotated[bool, typer.Option("--climb/--no-climb", help="Climbing image (CI-NEB).")] = True,
    relax_endpoints: Annotated[
        bool, typer.Option("--relax-endpoints/--no-relax-endpoints", help="Relax both end points first.")
    ] = True,
    threads: ThreadsOption = None,
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("neb-run"),
    material: MaterialOption = None,
    db: DbOption = None,
    store: StoreOption = False,
) -> None:
    """CI-NEB of a cation hopping into a neighbouring vacancy; writes band, energy profile, summary.json."""
    from rich.console import Console

    from sselab.errors import SselabError
    from sselab.simulate.neb import cation_hop_endpoints, run_neb
    from sselab.simulate.potentials import get_calculator
    from sselab.simulate.recording import record_neb_result

    console = Console()
    try:
        atoms = _load(structure, supercell_min_length_a)
        hop = cation_hop_endpoints(atoms, cation, vacancy_site, neighbour_rank)
        console.print(
            f"[bold]{_formula(atoms)}[/bold]: {len(hop.initial)} atoms, "
            f"{cation} atom {hop.moving_index} hops "
            f"{hop.hop_distance_a:.2f} Å into the vacancy; potential {potential}"
        )
        result = run_neb(
            hop.initial, hop.final, lambda: get_calculator(potential, threads=threads), n_images=images,
            climb=climb, fmax=fmax, steps=steps, relax_endpoints=relax_endpoints, run_dir=out, progress=True,
        )  # fmt: skip
    except SselabError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    state = "converged" if result.converged else "[yellow]NOT converged[/yellow]"
    console.print(
        f"CI-NEB barrier: forward {result.barrier_ev:.3f} eV, reverse {result.reverse_barrier_ev:.3f} eV "
        f"({state}, {result.n_force_calls} force calls)"
    )
    console.print(
        f"run folder: {result.run_dir} (summary.json, outputs/neb_path.extxyz, figures/neb_profile.png)"
    )
    if store or db is not None:
        ea_id = record_neb_result(result, material or _formula(atoms), potential, db)
        console.print(f"stored activation energy #{ea_id} (CI-NEB)")


def md_arrhenius(
    structure: StructureArg,
    cation: CationOption = "Li",
    potential: PotentialOption = "chgnet",
    temperatures_k: Annotated[
        str, typer.Option("--temperatures-k", help="Comma-separated temperatures (K), at least three.")
    ] = "600,700,800",
    steps: Annotated[int, typer.Option("--steps", help="Production MD steps per temperature.")] = 2000,
    timestep_fs: Annotated[float, typer.Option("--timestep-fs", help="MD time step (fs).")] = 1.0,
    equilibration_steps: Annotated[
        int, typer.Option("--equilibration-steps", help="Steps discarded before sampling.")
    ] = 200,
    sample_every: Annotated[int, typer.Option("--sample-every", help="Steps between stored positions.")] = 5,
    supercell_min_length_a: SupercellOption = 0.0,
    vacancy: Annotated[bool, typer.Option("--vacancy/--no-vacancy", help="Remove one cation first.")] = False,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (temperature i uses seed + i; recorded).")
    ] = 0,
    ab_initio: Annotated[
        bool, typer.Option("--ab-initio/--ml", help="Store as AIMD (ab initio potential) instead of MLMD.")
    ] = False,
    threads: ThreadsOption = None,
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("md-arrhenius-run"),
    material: MaterialOption = None,
    db: DbOption = None,
    store: StoreOption = False,
) -> None:
    """NVT MD at several temperatures → MSD → D → Nernst–Einstein σ → Arrhenius Ea (figures, summary.json)."""
    from rich.console import Console
    from rich.table import Table

    from sselab.errors import SselabError
    from sselab.simulate.diffusion import md_arrhenius as run_md_arrhenius
    from sselab.simulate.potentials import get_calculator
    from sselab.simulate.recording import record_md_arrhenius_result

    console = Console()
    try:
        temps = [float(t) for t in temperatures_k.replace(" ", "").split(",") if t]
    except ValueError as exc:
        raise typer.BadParameter(
            f"--temperatures-k: expected numbers like '600,700,800', got {temperatures_k!r}"
        ) from exc
    try:
        atoms = _load(structure, supercell_min_length_a)
        if vacancy:
            from sselab.simulate.prepare import make_vacancy

            atoms = make_vacancy(atoms, cation).atoms
        console.print(
            f"[bold]{_formula(atoms)}[/bold]: {len(atoms)} atoms, {cation} diffusion with {potential}"
        )
        result = run_md_arrhenius(
            atoms, lambda: get_calculator(potential, threads=threads), cation, temps, steps=steps,
            timestep_fs=timestep_fs, seed=seed, run_dir=out, equilibration_steps=equilibration_steps,
            sample_every=sample_every, progress=True,
            on_temperature_done=lambda t, fit: console.print(
                f"  {t:g} K: D = {fit.diffusion_cm2_per_s:.3e} cm²/s"
            ),
        )  # fmt: skip
    except SselabError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    table = Table(title=f"{cation} tracer diffusion and Nernst–Einstein conductivity")
    for column in ("T (K)", "D (cm²/s)", "σ (S/cm)"):
        table.add_column(column, justify="right")
    for t, d, sigma in zip(
        result.temperatures_k, result.diffusion_cm2_per_s, result.conductivity_s_per_cm, strict=True
    ):
        table.add_row(f"{t:g}", f"{d:.3e}", f"{sigma:.3e}")
    console.print(table)
    if result.fit is None:
        console.print("[yellow]no Arrhenius fit: fewer than three temperatures with D > 0[/yellow]")
    else:
        fit = result.fit
        console.print(
            f"MD-Arrhenius Ea = {fit.activation_energy_ev:.3f} ± {fit.stderr_ev:.3f} eV "
            f"(R² {fit.r_squared:.3f})"
        )
    console.print(f"run folder: {result.run_dir} (summary.json, figures/msd.png, figures/arrhenius.png)")
    if (store or db is not None) and result.fit is not None:
        method = "AIMD" if ab_initio else "MLMD"
        ea_id = record_md_arrhenius_result(result, material or _formula(atoms), potential, db, method=method)
        console.print(f"stored activation energy #{ea_id} ({method})")


def register(app: typer.Typer) -> None:
    """Add ``neb`` and ``md-arrhenius`` to the ``sselab`` command."""
    app.command("neb")(neb)
    app.command("md-arrhenius")(md_arrhenius)
