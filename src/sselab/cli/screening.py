"""``sselab screen`` (predict, flag and rank a candidate space) and ``sselab models`` (the stored model fits).

Errors in the user's input (a missing model, an unknown criterion, a bad space file) print one line naming
the option and exit with code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sselab.cli.common import DbOption, open_store_from_option
from sselab.datasets.importers.wang2025_candidates import RUN_NAME
from sselab.errors import SselabError
from sselab.models import LinearEaModel
from sselab.models.published import WANG2025_MODELS, published_models
from sselab.report.analysis_figures import candidate_predictions, ea_vs_combination
from sselab.screening import PAPER_HIGHLIGHTS, CandidateSpace, screen
from sselab.screening import paper_space as builtin_space

if TYPE_CHECKING:
    import pandas as pd

    from sselab.screening import ScreeningResult
    from sselab.store import Store


def _console() -> Console:
    return Console()


def _fail(message: str) -> typer.Exit:
    _console().print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def _number(value: Any, digits: int = 3) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    return "" if number != number else f"{number:.{digits}f}"


def _rank(value: Any) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):  # None, NaN or pandas.NA: not ranked
        return "-"


def _interval(lower: Any, upper: Any) -> str:
    low, high = _number(lower), _number(upper)
    return f"[{low}, {high}]" if low and high else "n/a"


def _models(store: Store, wanted: dict[str, str], routes: set[str]) -> dict[str, Any]:
    models = {}
    for route in sorted(routes):
        fit = wanted.get(route)
        if not fit:
            raise _fail(f"route {route!r} needs a model (--model {route}=NAME, or --published)")
        path = Path(fit)
        models[route] = (
            LinearEaModel.load(path) if path.suffix == ".json" else LinearEaModel.load_from_store(store, fit)
        )
    return models


def _ranked_table(result: ScreeningResult, route: str, top: int) -> object:
    label = result.models[route].get("label")
    table = Table(title=f"{route}: best {top} ({result.models[route].get('name')}, {label})")
    for column in ("rank", "formula", "Ea (eV)", f"{result.confidence:.0%} interval (eV)", "flags"):
        table.add_column(column, justify="right" if column in ("rank", "Ea (eV)") else "left")
    for row in result.best(route, top).itertuples():
        table.add_row(
            str(row.rank), str(row.formula), _number(row.predicted_ea_ev),
            _interval(row.ea_lower_ev, row.ea_upper_ev), str(row.flags or "-"),
        )  # fmt: skip
    return table


def print_screening(console: Console, result: ScreeningResult, top: int, highlights: tuple[str, ...]) -> None:
    """Per route: the best ``top`` with intervals and flags, what was not ranked, and the model's quality."""
    criterion = {"point": "the predicted Ea", "upper": "the upper end of the prediction interval"}
    console.print(
        f"ranking criterion: {result.criterion} ({criterion[result.criterion]}); a predicted Ea <= 0 is "
        "flagged and not ranked, an interval reaching below 0 eV is flagged 'interval<0'"
    )
    for route, info in result.summary().items():
        console.print(_ranked_table(result, route, top))
        counts = f"{info['ranked']} ranked, {info['not_ranked']} not ranked (Ea <= 0)"
        if info["r2"] is not None:
            quality = (
                f"{info['kind']}; R² {_number(info['r2'], 2)}, N {info['n_train']}, mean "
                f"{result.confidence:.0%} interval ±{_number(info['mean_half_width_ev'], 2)} eV"
            )
            counts += f", {info['interval_below_zero']} with an interval below 0"
        else:
            quality = f"{info['label'] or info['kind']}; no interval, training rows not published"
        if info["extrapolated"] is not None:
            counts += f", {info['extrapolated']} extrapolated"
        console.print(f"  {route}: {info['model_name']} ({quality}): {counts}")
        unranked = result.not_ranked(route)
        if len(unranked):
            shown = ", ".join(
                f"{r.formula} {_number(r.predicted_ea_ev)} eV ({r.flags})"
                for r in unranked.head(3).itertuples()
            )
            console.print(f"  lowest not ranked: {shown}")
        marked = result.predictions[
            (result.predictions["model"] == route) & result.predictions["formula"].isin(highlights)
        ]
        if len(marked):
            console.print(
                "  MBCCN: "
                + "; ".join(
                    f"{row['formula']} {_number(row['predicted_ea_ev'])} eV "
                    f"{_interval(row['ea_lower_ev'], row['ea_upper_ev'])} rank {_rank(row['rank'])}"
                    for row in marked.sort_values("formula").to_dict(orient="records")
                )
            )


def compare_with_published(result: ScreeningResult, published: pd.DataFrame) -> list[str]:
    """Lines comparing each route's predictions with the published ones of the same formula and route."""
    lines = []
    for route, group in result.predictions.groupby("model"):
        pub = published[published["route"] == route]
        joined = group.merge(pub, left_on="formula", right_on="candidate_formula", how="inner")
        if joined.empty:
            continue
        d_ea = (joined["predicted_ea_ev"] - joined["activation_energy_ev"]).abs()
        descriptor = joined["descriptor"].iloc[0]
        dx = (joined[descriptor] - joined["x"]).abs().max() if descriptor in joined else float("nan")
        lines.append(
            f"{route} against Supplementary Dataset 2: {len(joined)}/{len(group)} candidates matched, "
            f"max |ΔEa| = {d_ea.max():.2g} eV, mean |ΔEa| = {d_ea.mean():.2g} eV"
            + (f", max |Δx| = {dx:.2g}" if dx == dx else "")
        )
    return lines


def screen_command(
    db: DbOption = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="Candidate space (TOML).")] = None,
    paper_space: Annotated[
        bool, typer.Option("--paper-space", help="The paper's 558-prediction space (Dataset 2's formulas).")
    ] = False,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", help="ROUTE=FIT: a stored model fit (or a model JSON file) per route; repeat."
        ),
    ] = None,
    model_y1: Annotated[str | None, typer.Option("--model-y1", help="Same as --model y1=FIT.")] = None,
    model_y2: Annotated[str | None, typer.Option("--model-y2", help="Same as --model y2=FIT.")] = None,
    published: Annotated[
        bool,
        typer.Option(
            "--published", help="Routes y1/y2 on wang2025-y1/-y2 (sselab data import wang2025-candidates)."
        ),
    ] = False,
    rank_by: Annotated[
        str,
        typer.Option("--rank-by", help="Ranking: 'point' (predicted Ea) or 'upper' (upper interval end)."),
    ] = "point",
    confidence: Annotated[
        float, typer.Option("--confidence", help="Coverage of the prediction intervals (0-1).")
    ] = 0.95,
    top: Annotated[int, typer.Option("--top", help="Show the best N per route.")] = 5,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write every prediction as CSV.")] = None,
    parquet: Annotated[Path | None, typer.Option("--parquet", help="Write them as Parquet.")] = None,
    figure: Annotated[Path | None, typer.Option("--figure", help="Figure 4a PNG.")] = None,
    figure_3b: Annotated[
        Path | None,
        typer.Option("--figure-3b", help="Figure 3b PNG: training rows and lines, published beside."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Run name in the store (default screening:<space>).")
    ] = None,
    store_results: Annotated[bool, typer.Option("--store/--no-store", help="Store the run.")] = True,
) -> None:
    """Predict Ea with a model per route, with prediction intervals and flags; rank, export, store."""
    console = _console()
    if (spec is None) == (not paper_space):
        raise _fail("give exactly one of --spec FILE.toml and --paper-space")
    wanted: dict[str, str] = dict(WANG2025_MODELS) if published else {}
    wanted.update({k: v for k, v in (("y1", model_y1), ("y2", model_y2)) if v})
    for item in model or []:
        route, _, fit_name = item.partition("=")
        if not route or not fit_name:
            raise _fail(f"--model {item!r}: write ROUTE=FIT, e.g. --model y1=wang2025-y1")
        wanted[route] = fit_name
    try:
        space = builtin_space() if paper_space else CandidateSpace.from_toml(spec)  # type: ignore[arg-type]
        store = open_store_from_option(db)
        missing = sorted(set(WANG2025_MODELS.values()) & set(wanted.values()) - set(store.list_model_fits()))
        if missing:
            raise _fail(
                f"model(s) {missing} are not in the store; run: sselab data import wang2025-candidates"
            )
        models = _models(store, wanted, {r.model for r in space.routes})
        result = screen(space, models, criterion=rank_by, confidence=confidence, model_names=wanted)
    except SselabError as exc:
        raise _fail(str(exc)) from exc
    console.print(
        f"{space.name}: {len(result.candidates.frame)} candidates, "
        f"{len(result.predictions)} predictions {result.counts()}"
    )
    print_screening(console, result, top, PAPER_HIGHLIGHTS if paper_space else ())
    stored_published = store.screening_frame(RUN_NAME)
    for line in compare_with_published(result, stored_published):
        console.print(line)
    if csv:
        console.print(f"CSV {result.to_csv(csv)}")
    if parquet:
        console.print(f"Parquet {result.to_parquet(parquet)}")

    if figure:
        console.print(f"figure 4a {candidate_predictions(result, figure)}")
    if figure_3b:
        fitted = {k: m for k, m in sorted(models.items()) if hasattr(m, "training_rows_")}
        path = ea_vs_combination(fitted, figure_3b, published=published_models(store))
        console.print(f"figure 3b {path}")
    if store_results:
        run = name or f"screening:{space.name}"
        result.save_to_store(store, run)
        console.print(f"stored as screening run {run!r} (Store.screening_frame)")


def models_command(db: DbOption = None) -> None:
    """List the stored model fits with their origin (fitted, published, given) and quality."""
    frame = open_store_from_option(db).model_fits_frame()
    table = Table(title="stored model fits")
    for column in ("name", "kind", "origin", "label", "descriptors", "n_train", "r2"):
        table.add_column(column)
    for row in frame.itertuples():
        table.add_row(
            str(row.name), str(row.kind), str(row.origin or "-"), str(row.label or "-"),
            str(row.descriptors or "-"), str(row.n_train or "-"), _number(row.r2, 3) or "-",
        )  # fmt: skip
    _console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``screen`` and ``models`` to ``app``."""
    app.command("screen")(screen_command)
    app.command("models")(models_command)
