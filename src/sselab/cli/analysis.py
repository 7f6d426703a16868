"""``sselab descriptors | fit``: Ea fits (screen, models: cli.screening; benchmark: cli.benchmark)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pandas.api.types import is_numeric_dtype
from rich.console import Console
from rich.table import Table

from sselab.cli.common import DbOption, open_store_from_option
from sselab.cli.screening import models_command, screen_command
from sselab.descriptors import DESCRIPTORS, composition_descriptor_frame
from sselab.descriptors.bm_potential import binding_energy_cache
from sselab.errors import SselabError
from sselab.models import (
    LinearEaModel,
    Subset,
    descriptor_scan,
    descriptor_table,
    named_subset,
    save_scan,
    select_rows,
)
from sselab.models.published import published_models, stored_definitions
from sselab.models.subsets import with_training
from sselab.report.analysis_figures import ea_vs_combination, r2_bars

if TYPE_CHECKING:
    import pandas as pd

AggregationOption = Annotated[
    str,
    typer.Option("--aggregation", help="Aggregation over the formula unit: sum, mean, per_cation or cation."),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Folder for the JSON/CSV tables and PNG figures.")
]


def _console() -> Console:
    return Console()


def _fail(message: str) -> typer.Exit:
    _console().print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def _table(title: str, frame: pd.DataFrame, digits: int = 3) -> object:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column), justify="right" if is_numeric_dtype(frame[column]) else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:.{digits}g}" if isinstance(v, float) else str(v) for v in row])
    return table


def descriptors_command(
    formulas: Annotated[list[str], typer.Argument(help="Formulas, e.g. 'Mg(BH4)2·6(CH3)2CHNH2'.")],
    aggregation: AggregationOption = "sum",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Composition descriptors X (1), Z (1), r_atom (pm), r_ion (pm) and n of formulas."""
    try:
        frame = composition_descriptor_frame(formulas, aggregation=aggregation)
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(frame.to_dict(orient="records"), indent=2, ensure_ascii=False))
        return
    _console().print(_table(f"composition descriptors ({aggregation}; r in pm)", frame, digits=6))


def _subset(
    family: str | None,
    valence: int | None,
    anion_family: list[str] | None,
    neutral: bool | None,
    molecule: list[str] | None,
    carbon: bool | None,
    molecule_carbon: bool | None,
    anion_carbon: bool | None,
    anion: list[str] | None = None,
    phase: list[str] | None = None,
) -> Any:

    base = named_subset(family) if family else Subset(name="custom")
    changes: dict[str, Any] = {}
    for key, value in (
        ("valence", valence),
        ("anion_families", tuple(anion_family) if anion_family else None),
        ("anions", tuple(anion) if anion else None),
        ("phases", tuple(phase) if phase else None),
        ("with_neutral_molecules", neutral),
        ("molecules", tuple(molecule) if molecule else None),
        ("contains_carbon", carbon),
        ("molecule_contains_carbon", molecule_carbon),
        ("anion_contains_carbon", anion_carbon),
    ):
        if value is not None:
            changes[key] = value
    if changes and family:
        changes["name"] = f"{family}+custom"
    return replace(base, **changes)


def fit_command(
    db: DbOption = None,
    descriptors: Annotated[
        str | None,
        typer.Option(
            "--descriptors",
            help="Comma-separated, e.g. X,r_atom (default) or x_wang2025 (the paper's Figure 3b axis); "
            "with --scan: the descriptors to scan (default the eight).",
        ),
    ] = None,
    family: Annotated[
        str | None,
        typer.Option("--family", help="Named subset: divalent-neutral, y1, y2 or y1-bh4 (a user choice)."),
    ] = None,
    valence: Annotated[int | None, typer.Option("--valence", help="Conducting-cation valence.")] = None,
    anion_family: Annotated[
        list[str] | None, typer.Option("--anion-family", help="Allowed anion family (repeat).")
    ] = None,
    anion: Annotated[
        list[str] | None,
        typer.Option("--anion", help="Allowed anion, e.g. BH4 (repeat); all anions must match."),
    ] = None,
    phase: Annotated[
        list[str] | None, typer.Option("--phase", help="Allowed phase, e.g. low-T (repeat).")
    ] = None,
    neutral: Annotated[
        bool | None, typer.Option("--neutral/--no-neutral", help="With / without neutral molecules.")
    ] = None,
    molecule: Annotated[
        list[str] | None, typer.Option("--molecule", help="Required neutral molecule (repeat).")
    ] = None,
    carbon: Annotated[bool | None, typer.Option("--carbon/--no-carbon", help="Carbon anywhere.")] = None,
    molecule_carbon: Annotated[bool | None, typer.Option("--molecule-carbon/--no-molecule-carbon")] = None,
    anion_carbon: Annotated[bool | None, typer.Option("--anion-carbon/--no-anion-carbon")] = None,
    aggregation: AggregationOption = "sum",
    name: Annotated[
        str | None, typer.Option("--name", help="Save the model in the store under this name.")
    ] = None,
    scan: Annotated[
        bool, typer.Option("--scan", help="Scan every descriptor and pair instead of one fit.")
    ] = False,
    potential: Annotated[
        str,
        typer.Option(
            "--potential",
            help="Potential for b_m on stored structures (default chgnet, one thread, cached; 'none' skips).",
        ),
    ] = "chgnet",
    training: Annotated[
        str,
        typer.Option(
            "--training",
            help="Training rows: experiment, computed (converged MetaD/composite Ea) or both.",
        ),
    ] = "experiment",
    method: Annotated[
        list[str] | None,
        typer.Option("--method", help="Computed method accepted with --training computed/both (repeat)."),
    ] = None,
    out: OutOption = None,
) -> None:
    """Fit Ea = Σ a_i·P_i + b on the store's Ea (or --scan all singles and pairs); save it."""
    console = _console()
    try:
        subset = with_training(
            _subset(
                family,
                valence,
                anion_family,
                neutral,
                molecule,
                carbon,
                molecule_carbon,
                anion_carbon,
                anion,
                phase,
            ),
            training,
            method,
        )
        names = tuple(d.strip() for d in (descriptors or "").split(",") if d.strip())
        store = open_store_from_option(db)
        frame = store.activation_energy_frame()
        if frame.empty:
            raise _fail(
                "the store holds no activation energies; import some first (sselab data import wang2025-ea)"
            )
        definitions = stored_definitions(store)
        unknown = [d for d in names if d.startswith("x_wang2025_") and d not in definitions]
        if unknown:
            raise _fail(f"descriptor {unknown[0]} needs the dataset: sselab data import wang2025-candidates")
        table = descriptor_table(
            frame,
            aggregation=aggregation,
            structures=store.structures_frame(),
            definitions=tuple(definitions.values()),
            binding_energies=binding_energy_cache(potential),
        )
        if scan:
            result = descriptor_scan(table, subset, names or DESCRIPTORS)
            label = name or f"scan:{subset.name}"
            save_scan(store, label, result)
            _report_selection(console, result.selection)
            single_cols = ["descriptor", "n", "r2", "adj_r2", "loo_r2", "loo_rmse_ev", "a1", "note"]
            pair_cols = ["p1", "p2", "n", "r2", "adj_r2", "loo_r2", "loo_rmse_ev", "a1", "a2", "b"]
            console.print(
                _table("single-descriptor fits (all columns in singles.csv)", result.singles[single_cols])
            )
            console.print(_table("best pairs by adjusted R² (pairs.csv)", result.best_pairs(8)[pair_cols]))
            console.print(f"saved to the store as model fit {label!r}")
            if out:
                _write_scan(result, out)
                console.print(f"tables and figure 3a in {out}")
            return
        names = names or ("X", "r_atom")
        selection = select_rows(table, subset, names)
        _report_selection(console, selection)
        used = tuple(definitions[d] for d in names if d in definitions)
        model = LinearEaModel(names, aggregation, name or subset.name, used).fit(selection.rows)
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    coef = ", ".join(
        f"{d}: {c:.4g} [{lo:.4g}, {hi:.4g}]"
        for d, c, (lo, hi) in zip(names, model.coef_, model.coef_ci95_, strict=True)
    )
    console.print(f"Ea = Σ a·P + b: {coef}; b = {model.intercept_:.4g} eV")
    console.print(
        f"n = {model.n_train_}, R² = {model.r2_:.3f}, adjusted R² = {model.adj_r2_:.3f}, "
        f"LOO R² = {model.loo_r2_:.3f}, LOO RMSE = {model.loo_rmse_:.3f} eV"
    )
    sources = selection.rows["method"].value_counts().to_dict() if "method" in selection.rows else {}
    console.print(
        f"training rows by source ({training}): " + ", ".join(f"{k} {v}" for k, v in sources.items())
    )
    if name:
        model.save_to_store(store, name)
        console.print(f"saved to the store as model fit {name!r}")
    if out:
        out.mkdir(parents=True, exist_ok=True)
        path = model.save(out / f"{model.name}.json")
        selection.excluded.to_csv(out / f"{model.name}_excluded.csv", index=False)

        ea_vs_combination(
            {str(model.name): model}, out / f"{model.name}_fig3b.png", published=published_models(store)
        )
        console.print(f"model {path}, exclusions and figure 3b in {out}")


def _report_selection(console: Console, selection: Any) -> None:
    counts = selection.excluded["reason"].value_counts()
    console.print(f"{len(selection.rows)} rows used, {len(selection.excluded)} excluded")
    for reason, count in counts.items():
        console.print(f"  excluded {count:4d}: {reason}")


def _write_scan(result: Any, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result.singles.to_csv(out / "singles.csv", index=False)
    result.pairs.to_csv(out / "pairs.csv", index=False)
    result.selection.excluded.to_csv(out / "excluded.csv", index=False)
    (out / "scan.json").write_text(
        json.dumps(result.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    r2_bars(result, out / "fig3a_r2.png")


def register(app: typer.Typer) -> None:
    """Add ``descriptors``, ``fit``, ``screen`` and ``models`` to the ``sselab`` command."""
    app.command("descriptors")(descriptors_command)
    app.command("fit")(fit_command)
    app.command("screen")(screen_command)
    app.command("models")(models_command)
