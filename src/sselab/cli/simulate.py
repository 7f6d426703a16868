"""``sselab metad`` and ``sselab fes``: well-tempered metadynamics of a migrating cation, and its analysis.

``metad``'s options are the fields of :class:`~sselab.simulate.settings.MetaDSettings` (defaults and help from
there) and can come from ``--config run.toml``; it calls :func:`sselab.simulate.recipes.metad_of_structure`.
"""

from __future__ import annotations

from dataclasses import replace
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
from sselab.simulate.metad.analysis import analyse_metadynamics
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.recipes import metad_of_structure
from sselab.simulate.runfolder import RunFolder, read_summary
from sselab.simulate.settings import MetaDSettings

__all__ = ["register"]

M = MetaDSettings


def parse_vector(text: str | None) -> tuple[float, float, float] | None:
    """``'x,y,z'`` (commas or spaces) as three floats; a :class:`SettingsError` naming ``--direction``."""
    if text is None:
        return None
    try:
        parts = [float(x) for x in text.replace(",", " ").split()]
    except ValueError:
        parts = []
    if len(parts) != 3:
        raise SettingsError(f"expected three numbers 'x,y,z', got {text!r}", field="direction")
    return (parts[0], parts[1], parts[2])


def metad(
    ctx: typer.Context,
    structure: Annotated[Path, typer.Argument(help="Structure file (CIF, POSCAR, extxyz).", exists=True)],
    config: ConfigOption = None,
    cation: Annotated[str, typer.Option("--cation", help="Element of the migrating cation, e.g. Mg.")] = "Li",
    protocol: Annotated[str, setting(M, "protocol")] = M.default("protocol"),
    potential: Annotated[str, setting(M, "potential")] = M.default("potential"),
    device: Annotated[str | None, setting(M, "device")] = M.default("device"),
    threads: Annotated[int | None, setting(M, "threads")] = M.default("threads"),
    temperature_k: Annotated[float, setting(M, "temperature_k")] = M.default("temperature_k"),
    steps: Annotated[int, setting(M, "steps")] = M.default("steps"),
    chunk_steps: Annotated[int | None, setting(M, "chunk_steps")] = M.default("chunk_steps"),
    timestep_fs: Annotated[float, setting(M, "timestep_fs")] = M.default("timestep_fs"),
    height_ev: Annotated[float | None, setting(M, "height_ev")] = M.default("height_ev"),
    width_a: Annotated[float | None, setting(M, "width_a", "--width")] = M.default("width_a"),
    pace: Annotated[int | None, setting(M, "pace")] = M.default("pace"),
    bias_factor: Annotated[float, setting(M, "bias_factor")] = M.default("bias_factor"),
    cv: Annotated[str, setting(M, "cv")] = M.default("cv"),
    cv_reference: Annotated[str, setting(M, "cv_reference")] = M.default("cv_reference"),
    npt_steps: Annotated[int, setting(M, "npt_steps")] = M.default("npt_steps"),
    equilibration_steps: Annotated[int, setting(M, "equilibration_steps")] = M.default("equilibration_steps"),
    relax_fmax: Annotated[float, setting(M, "relax_fmax")] = M.default("relax_fmax"),
    target_tolerance_a: Annotated[float, setting(M, "target_tolerance_a")] = M.default("target_tolerance_a"),
    wall_margin_a: Annotated[float | None, setting(M, "wall_margin_a")] = M.default("wall_margin_a"),
    smoke_test: Annotated[
        bool, typer.Option("--smoke-test/--no-smoke-test", help=M.describe("smoke_test"))
    ] = M.default("smoke_test"),
    supercell_min_length_a: Annotated[float, setting(M, "supercell_min_length_a")] = M.default(
        "supercell_min_length_a"
    ),
    max_atoms: Annotated[int, setting(M, "max_atoms")] = M.default("max_atoms"),
    cation_index: Annotated[int | None, setting(M, "cation_index")] = M.default("cation_index"),
    direction: Annotated[str | None, setting(M, "direction")] = None,
    relax_steps: Annotated[int, setting(M, "relax_steps")] = M.default("relax_steps"),
    friction_per_fs: Annotated[float, setting(M, "friction_per_fs")] = M.default("friction_per_fs"),
    checkpoint_every: Annotated[int, setting(M, "checkpoint_every")] = M.default("checkpoint_every"),
    seed: Annotated[int, setting(M, "seed")] = M.default("seed"),
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("metad-run"),
    restart: Annotated[
        bool, typer.Option("--restart/--no-restart", help="Resume from the run folder.")
    ] = True,
    material: Annotated[
        str | None, typer.Option("--material", help="Formula to store the barrier under.")
    ] = None,
    structure_provenance: ProvenanceOption = "user",
    db: DbOption = None,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="Record the barrier in the store.")
    ] = False,
    store_unconverged: StoreUnconvergedOption = False,
) -> None:
    """Well-tempered metadynamics of a migrating cation: HILLS, COLVAR, FES, figures, summary.json."""
    console = Console()
    try:
        settings = MetaDSettings.build(
            source="options" if config is None else f"options and {config}",
            label=cli_label,
            **settings_values(ctx, MetaDSettings, {"direction": parse_vector}),
        )
        result = metad_of_structure(
            structure, cation, settings=settings, run_dir=out, restart=restart, progress=True,
            structure_provenance=structure_provenance,  # type: ignore[arg-type]
        )  # fmt: skip
        if result.structure is not None:
            console.print(f"[bold]{result.structure.description}[/bold]")
        report_barriers(console, result)
        if store or db is not None:
            store_result(console, result, db, material, store_unconverged)
    except SselabError as exc:
        fail(console, exc)


def fes(
    run_dir: Annotated[
        Path, typer.Argument(help="Run folder of 'sselab metad'.", exists=True, file_okay=False)
    ],
    bins: Annotated[
        int | None, typer.Option("--bins", help="Grid intervals per CV (default: the run's fes_bins).")
    ] = None,
    min_depth_ev: Annotated[
        float | None,
        typer.Option(
            "--min-depth-ev", help="Ignore minima shallower than this (eV; default max(3 kT, noise))."
        ),
    ] = None,
    db: DbOption = None,
    material: Annotated[
        str | None, typer.Option("--material", help="Formula to store the barrier under.")
    ] = None,
    store_unconverged: StoreUnconvergedOption = False,
) -> None:
    """Recompute the FES, barriers, uncertainty and figures of a run folder from its HILLS and COLVAR."""
    console = Console()
    try:
        summary = read_summary(run_dir)
        result = MetaDResult.from_dict(summary)
        settings = result.settings if bins is None else result.settings.replace(fes_bins=bins)
        options = dict(result.parameters.get("analysis") or {})
        analysis = analyse_metadynamics(
            result.hills, result.colvar, settings.temperature_k, result.hills.bias_factor, settings.fes_bins,
            result.start, result.end, min_depth_ev=min_depth_ev, cv_names=result.cv_names,
            folder=RunFolder.create(run_dir), fes_method=settings.fes_method,
            target_tolerance=options.get("target_tolerance"), onward=bool(options.get("onward")),
            quantity=str(options.get("quantity") or "effective"),
        )  # fmt: skip
        result = replace(result, analysis=analysis, settings=settings, run_dir=Path(run_dir))
        RunFolder(Path(run_dir)).write_summary(
            result, started=summary.get("started_utc"), command=summary.get("command"),
            extra={"reanalysed_with": {"bins": settings.fes_bins, "min_depth_ev": min_depth_ev}},
        )  # fmt: skip
        report_barriers(console, result)
        if db is not None:
            store_result(console, result, db, material, store_unconverged)
    except SselabError as exc:
        fail(console, exc)


def report_barriers(console: Console, result: MetaDResult) -> None:
    """Print the barriers of ``result`` (or why there are none), its convergence and run folder."""
    barriers = result.barriers
    if barriers is None:
        console.print(f"[yellow]no barrier:[/yellow] {result.barrier_error}")
    else:
        table = Table(title=f"free-energy barriers ({barriers.kind}, {result.protocol} protocol)")
        table.add_column("quantity")
        table.add_column("eV", justify="right")
        rows: list[tuple[str, float | None]] = (
            [("Ea", barriers.barrier_ev)]
            if barriers.kind == "one-step"
            else [("Ea1 (leaving the site)", barriers.ea1_ev), ("Ea2 (subsequent hop)", barriers.ea2_ev)]
        )
        rows.append(("effective (energy span)", barriers.effective_ev))
        if result.protocol in ("frenkel", "paper"):
            rows += [
                ("plateau ΔF (interstitial)", barriers.plateau_ev),
                ("intrinsic ½ΔF + Ea2", barriers.intrinsic_ev),
            ]
        rows += [("reported", result.reported_ev), ("uncertainty", barriers.uncertainty_ev)]
        for name, value in rows:
            table.add_row(name, "n/a" if value is None else f"{value:.3f}")
        console.print(table)
        if barriers.uncertainty_ev is None:
            reason = result.analysis.uncertainty_reason
            console.print(f"uncertainty: {reason or 'not estimated'}")
    transitions = result.convergence.get("transitions")
    drift = result.max_host_drift_a
    console.print(
        f"{result.steps_done} steps ({result.simulated_time_ps:.1f} ps), {result.n_hills} hills, "
        f"transitions {'n/a' if transitions is None else transitions}, host drift "
        f"{'n/a' if drift is None else f'{drift:.3f} Å'} (max)"
    )
    verdict = {True: "converged", False: "NOT converged", None: "convergence"}[result.converged]
    console.print(f"{verdict}: {result.convergence_reason}")
    console.print(
        f"run folder: {result.run_dir} (summary.json, outputs/HILLS, outputs/COLVAR, figures/fes.png)"
    )


def register(app: typer.Typer) -> None:
    """Add ``metad`` and ``fes`` to the ``sselab`` command."""
    app.command("metad")(metad)
    app.command("fes")(fes)
