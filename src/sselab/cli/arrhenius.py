"""``sselab arrhenius FORMULA``: Arrhenius fit of a material's σ(T) points from the store, table and PNG."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from sselab.cli.common import DbOption, OutDirOption, open_store_from_option
from sselab.errors import FitError
from sselab.transport.arrhenius import FORMS, ArrheniusFit
from sselab.transport.frames import fit_material
from sselab.transport.plot import plot_arrhenius

if TYPE_CHECKING:
    from sselab.transport.frames import MaterialFit

FormOption = Annotated[
    str,
    typer.Option(
        "--form", help="sigma_t: σT = A exp(-Ea/kB T) (A in S K/cm); sigma: σ = A exp(-Ea/kB T) (A in S/cm)."
    ),
]
TwoPhaseOption = Annotated[
    bool,
    typer.Option(
        "--two-phase", help="Fit two segments (phase transition; breakpoint by minimum residual SS)."
    ),
]
BreakpointOption = Annotated[
    float | None,
    typer.Option("--breakpoint-k", help="Fix the transition temperature (K); implies --two-phase."),
]
PoolOption = Annotated[
    bool,
    typer.Option(
        "--pool", help="Fit all matching points together instead of one fit per source (DOI or citation)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``arrhenius`` to the ``sselab`` command."""
    app.command("arrhenius")(arrhenius_command)


def arrhenius_command(
    formula: Annotated[
        str, typer.Argument(help="Formula as stored, or any spelling with the same composition.")
    ],
    db: DbOption = None,
    form: FormOption = "sigma_t",
    two_phase: TwoPhaseOption = False,
    breakpoint_k: BreakpointOption = None,
    out: OutDirOption = Path("out"),
    pool: PoolOption = False,
) -> None:
    """Fit σ(T) of FORMULA from the store (Ea ± stderr, 95 % CI, R², N, T range, breakpoint); write PNGs."""
    console = Console()
    if form not in FORMS:
        console.print(f"[red]error:[/red] --form must be one of {', '.join(FORMS)}, got {form!r}")
        raise typer.Exit(code=2)
    store = open_store_from_option(db)
    try:
        frame = store.conductivity_frame()
    finally:
        store.close()
    try:
        fits, skipped = fit_material(frame, formula, form=form, two_phase=two_phase,  # type: ignore[arg-type]
                                     breakpoint_k=breakpoint_k, pool=pool)  # fmt: skip
    except FitError as error:
        console.print(f"[red]error:[/red] {error}")
        if frame.empty:
            console.print("the store holds no conductivity points; try `sselab data import liverpool-ionics`")
        raise typer.Exit(code=1) from None
    print_fits(console, formula, fits, skipped)
    written = write_outputs(fits, formula, out)
    for path in written:
        console.print(f"wrote {path}")


def print_fits(console: Console, formula: str, fits: list[MaterialFit], skipped: list[str]) -> None:
    """Print one table row per fitted segment (formula column only when spellings differ)."""
    show_formula = len({item.formula for item in fits}) > 1
    two = not isinstance(fits[0].fit, ArrheniusFit)
    table = Table(title=f"Arrhenius fit of {formula} ({fits[0].fit.form})")
    columns = ["formula"] if show_formula else []
    columns += ["source", *(["segment"] if two else []), "Ea ± se (eV)", "95% CI (eV)", "R²", "N", "T (K)"]
    for column in columns:
        table.add_column(column, no_wrap=column not in {"source", "formula"})
    notes: list[str] = []
    for item in fits:
        fit = item.fit
        if isinstance(fit, ArrheniusFit):
            segments = [("all", fit)]
        else:
            segments = [("low T", fit.low), ("high T", fit.high)]
            verdict = (
                "fixed by the user"
                if fit.fixed
                else ("supported" if fit.break_supported else "NOT supported")
            )
            low, high = fit.breakpoint_interval_k
            notes.append(
                f"{item.source_label or item.formula}: breakpoint {fit.breakpoint_k:.1f} K "
                f"(between {low:.0f} and {high:.0f} K), {verdict}: ΔBIC = {fit.delta_bic:.1f}, "
                f"F-test p = {fit.f_pvalue:.2g}"
            )
        for name, segment in segments:
            cells = [item.formula] if show_formula else []
            cells += [item.source_label or "-", *([name] if two else [])]
            cells += [
                f"{segment.activation_energy_ev:.3f} ± {segment.stderr_ev:.3f}",
                f"{segment.ci95_ev[0]:.3f}…{segment.ci95_ev[1]:.3f}",
                f"{segment.r_squared:.4f}",
                str(segment.n_points),
                f"{segment.temperature_min_k:.0f}-{segment.temperature_max_k:.0f}",
            ]
            table.add_row(*cells)
    console.print(table)
    for note in notes:
        console.print(note)
    if two and not fits[0].fit.fixed:  # type: ignore[union-attr]
        console.print(f"criterion: {fits[0].fit.criterion}")  # type: ignore[union-attr]
    for message in skipped:
        console.print(f"[yellow]skipped[/yellow] {message}")


def write_outputs(fits: list[MaterialFit], formula: str, out: Path) -> list[Path]:
    """Write one PNG per fit and a JSON summary of all fits into ``out``; return the paths."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "_", formula).strip("_") or "material"
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    summary = []
    for index, item in enumerate(fits, start=1):
        suffix = f"_{index}" if len(fits) > 1 else ""
        title = item.formula + (f"\n{item.source_label}" if item.source_label else "")
        path = plot_arrhenius(item.fit, item.temperature_k, item.conductivity_s_per_cm,
                              out / f"arrhenius_{slug}{suffix}.png", title=title)  # fmt: skip
        written.append(path)
        summary.append({"formula": item.formula, "doi": item.doi, "citation": item.citation,
                        "source_id": item.source_id, "dataset": item.dataset, "png": str(path),
                        "fit": item.fit.as_dict()})  # fmt: skip
    json_path = out / f"arrhenius_{slug}.json"
    json_path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    written.append(json_path)
    return written
