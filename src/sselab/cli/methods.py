"""``sselab neb``, ``sselab md-arrhenius`` and ``sselab relax``: the other methods on the same structure and
potential.

Their options are the fields of :class:`~sselab.simulate.settings.NEBSettings`,
:class:`~sselab.simulate.settings.MDArrheniusSettings` and :class:`~sselab.simulate.settings.RelaxSettings`
(defaults and help from there) and can come from ``--config FILE.toml``; each calls its recipe in
:mod:`sselab.simulate.recipes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sselab.cli.options import (
    ConfigOption,
    DbOption,
    ProvenanceOption,
    StoreUnconvergedOption,
    cli_label,
    fail,
    setting,
    settings_values,
    store_result,
)
from sselab.errors import SettingsError, SselabError
from sselab.simulate.recipes import md_arrhenius_of_structure, neb_of_structure, relax_structure
from sselab.simulate.settings import MDArrheniusSettings, NEBSettings, RelaxSettings

__all__ = ["register"]

N, A, R = NEBSettings, MDArrheniusSettings, RelaxSettings
StructureArg = Annotated[Path, typer.Argument(help="Structure file (CIF, POSCAR, extxyz).", exists=True)]
CationOption = Annotated[
    str, typer.Option("--cation", help="Element of the migrating cation, e.g. Li or Mg.")
]
MaterialOption = Annotated[
    str | None,
    typer.Option("--material", help="Formula to store the barrier under (default: the structure's)."),
]
StoreOption = Annotated[bool, typer.Option("--store/--no-store", help="Record the barrier in the store.")]
DEFAULT_TEMPERATURES = ",".join(f"{t:g}" for t in A.default("temperatures_k"))


def parse_temperatures(text: str) -> tuple[float, ...]:
    """``'600,700,800'`` as temperatures (K); a :class:`SettingsError` naming ``--temperatures-k``."""
    try:
        return tuple(float(t) for t in text.replace(" ", ",").split(",") if t)
    except ValueError:
        raise SettingsError(
            f"expected numbers like '600,700,800', got {text!r}", field="temperatures_k"
        ) from None


def _source(config: Path | None) -> str:
    return "options" if config is None else f"options and {config}"


def neb(
    ctx: typer.Context,
    structure: StructureArg,
    config: ConfigOption = None,
    cation: CationOption = "Li",
    potential: Annotated[str, setting(N, "potential")] = N.default("potential"),
    device: Annotated[str | None, setting(N, "device")] = N.default("device"),
    threads: Annotated[int | None, setting(N, "threads")] = N.default("threads"),
    n_images: Annotated[int, setting(N, "n_images", "--images")] = N.default("n_images"),
    fmax: Annotated[float, setting(N, "fmax")] = N.default("fmax"),
    steps: Annotated[int, setting(N, "steps")] = N.default("steps"),
    supercell_min_length_a: Annotated[float, setting(N, "supercell_min_length_a")] = N.default(
        "supercell_min_length_a"
    ),
    max_atoms: Annotated[int, setting(N, "max_atoms")] = N.default("max_atoms"),
    vacancy_site: Annotated[int | None, setting(N, "vacancy_site")] = N.default("vacancy_site"),
    neighbour_rank: Annotated[int, setting(N, "neighbour_rank")] = N.default("neighbour_rank"),
    climb: Annotated[bool, typer.Option("--climb/--no-climb", help=N.describe("climb"))] = N.default("climb"),
    relax_endpoints: Annotated[
        bool,
        typer.Option("--relax-endpoints/--no-relax-endpoints", help=N.describe("relax_endpoints")),
    ] = N.default("relax_endpoints"),
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("neb-run"),
    material: MaterialOption = None,
    structure_provenance: ProvenanceOption = "user",
    db: DbOption = None,
    store: StoreOption = False,
    store_unconverged: StoreUnconvergedOption = False,
) -> None:
    """CI-NEB of a cation hopping into a neighbouring vacancy; writes band, energy profile, summary.json."""
    console = Console()
    try:
        settings = NEBSettings.build(source=_source(config), label=cli_label, **settings_values(ctx, N))
        result = neb_of_structure(
            structure, cation, settings=settings, run_dir=out, progress=True,
            structure_provenance=structure_provenance,  # type: ignore[arg-type]
        )  # fmt: skip
        if result.structure is not None:
            console.print(f"[bold]{result.structure.formula}[/bold]: {result.structure.description}")
        state = "converged" if result.converged else "[yellow]NOT converged[/yellow]"
        console.print(
            f"CI-NEB barrier: forward {result.barrier_ev:.3f} eV, reverse {result.reverse_barrier_ev:.3f} eV "
            f"({state}, {result.n_force_calls} force calls)"
        )
        console.print(
            f"run folder: {result.run_dir} (summary.json, outputs/neb_path.extxyz, figures/neb_profile.png)"
        )
        if store or db is not None:
            store_result(console, result, db, material, store_unconverged)
    except SselabError as exc:
        fail(console, exc)


def md_arrhenius(
    ctx: typer.Context,
    structure: StructureArg,
    config: ConfigOption = None,
    cation: CationOption = "Li",
    potential: Annotated[str, setting(A, "potential")] = A.default("potential"),
    device: Annotated[str | None, setting(A, "device")] = A.default("device"),
    threads: Annotated[int | None, setting(A, "threads")] = A.default("threads"),
    temperatures_k: Annotated[str, setting(A, "temperatures_k")] = DEFAULT_TEMPERATURES,
    steps: Annotated[int, setting(A, "steps")] = A.default("steps"),
    timestep_fs: Annotated[float, setting(A, "timestep_fs")] = A.default("timestep_fs"),
    equilibration_steps: Annotated[int, setting(A, "equilibration_steps")] = A.default("equilibration_steps"),
    sample_every: Annotated[int, setting(A, "sample_every")] = A.default("sample_every"),
    thermostat: Annotated[str, setting(A, "thermostat")] = A.default("thermostat"),
    diffusion_samples: Annotated[int, setting(A, "diffusion_samples")] = A.default("diffusion_samples"),
    supercell_min_length_a: Annotated[float, setting(A, "supercell_min_length_a")] = A.default(
        "supercell_min_length_a"
    ),
    max_atoms: Annotated[int, setting(A, "max_atoms")] = A.default("max_atoms"),
    vacancy: Annotated[bool, typer.Option("--vacancy/--no-vacancy", help=A.describe("vacancy"))] = A.default(
        "vacancy"
    ),
    seed: Annotated[int, setting(A, "seed")] = A.default("seed"),
    ab_initio: Annotated[
        bool | None,
        typer.Option(
            "--ab-initio/--ml",
            help="Store as AIMD or MLMD (default: AIMD for cp2k and xtb, MLMD for the others).",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("md-arrhenius-run"),
    material: MaterialOption = None,
    structure_provenance: ProvenanceOption = "user",
    db: DbOption = None,
    store: StoreOption = False,
    store_unconverged: StoreUnconvergedOption = False,
) -> None:
    """NVT MD at several temperatures → MSD → D → Nernst–Einstein σ → Arrhenius Ea (figures, summary.json)."""
    console = Console()
    try:
        values = settings_values(ctx, A, {"temperatures_k": parse_temperatures})
        settings = MDArrheniusSettings.build(source=_source(config), label=cli_label, **values)
        console.print(f"{cation} diffusion with {settings.potential} at {list(settings.temperatures_k)} K")
        result = md_arrhenius_of_structure(
            structure, cation, settings=settings, run_dir=out, progress=True,
            structure_provenance=structure_provenance,  # type: ignore[arg-type]
            on_temperature_done=lambda t, d: console.print(
                f"  {t:g} K: D = {d.diffusion_cm2_per_s:.3e} ± {d.diffusion_std_cm2_per_s:.1e} cm²/s (kinisi)"
            ),
        )  # fmt: skip
        table = Table(title=f"{cation} tracer diffusion and Nernst–Einstein conductivity")
        for column in ("T (K)", "D (cm²/s)", "sd of D (kinisi)", "σ (S/cm)"):
            table.add_column(column, justify="right")
        for t, d, sd, sigma in zip(
            result.temperatures_k, result.diffusion_cm2_per_s, result.diffusion_stderr_cm2_per_s,
            result.conductivity_s_per_cm, strict=True,
        ):  # fmt: skip
            table.add_row(f"{t:g}", f"{d:.3e}", f"{sd:.1e}", f"{sigma:.3e}")
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
            method = None if ab_initio is None else ("AIMD" if ab_initio else "MLMD")
            store_result(console, result, db, material, store_unconverged, method)
    except SselabError as exc:
        fail(console, exc)


def relax(
    ctx: typer.Context,
    structure: StructureArg,
    config: ConfigOption = None,
    potential: Annotated[str, setting(R, "potential")] = R.default("potential"),
    device: Annotated[str | None, setting(R, "device")] = R.default("device"),
    threads: Annotated[int | None, setting(R, "threads")] = R.default("threads"),
    fmax: Annotated[float, setting(R, "fmax")] = R.default("fmax"),
    steps: Annotated[int, setting(R, "steps")] = R.default("steps"),
    cell_filter: Annotated[
        bool, typer.Option("--cell-filter/--fixed-cell", help=R.describe("cell_filter"))
    ] = R.default("cell_filter"),
    optimizer: Annotated[str, setting(R, "optimizer")] = R.default("optimizer"),
    supercell_min_length_a: Annotated[float, setting(R, "supercell_min_length_a")] = R.default(
        "supercell_min_length_a"
    ),
    max_atoms: Annotated[int, setting(R, "max_atoms")] = R.default("max_atoms"),
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("relax-run"),
    structure_provenance: ProvenanceOption = "user",
) -> None:
    """Relax positions (and cell) with a potential; writes outputs/relaxed.extxyz and summary.json."""
    console = Console()
    try:
        settings = RelaxSettings.build(source=_source(config), label=cli_label, **settings_values(ctx, R))
        result = relax_structure(
            structure, settings=settings, run_dir=out,
            structure_provenance=structure_provenance,  # type: ignore[arg-type]
        )  # fmt: skip
        state = "converged" if result.converged else "[yellow]NOT converged[/yellow]"
        console.print(
            f"relaxed {result.atoms.get_chemical_formula()} with {settings.potential}: "
            f"{result.energy_per_atom_ev:.4f} eV/atom ({state}: {result.convergence_reason})"
        )
        console.print(f"run folder: {result.run_dir} (summary.json, outputs/relaxed.extxyz)")
    except SselabError as exc:
        fail(console, exc)


def register(app: typer.Typer) -> None:
    """Add ``neb``, ``md-arrhenius`` and ``relax`` to the ``sselab`` command."""
    app.command("neb")(neb)
    app.command("md-arrhenius")(md_arrhenius)
    app.command("relax")(relax)
