"""The ``fit`` and ``screening`` stages: descriptor scan and lines (Figures 3a, 3b), candidates (Figure 4a).

``fit`` trains the y1/y2 lines the paper's way: on the rows the profile chooses by source (``training =
"both"``: experiments plus *converged* computed Ea, MetaD and composite; computed rows count only when the
store records that they converged), on the Dataset 2 axis ``x_wang2025_ds2`` by default, and draws them
beside the lines published by Wang et al. 2025 (imported with ``wang2025-candidates`` when absent).

``screening`` predicts the paper's space with the fitted lines (prediction intervals, flags) and with the
published lines, stores both runs, and reports per route the model, its R², N and interval width, and the
best *ranked* candidate with its flags: a predicted Ea ≤ 0 is never ranked nor reported as a best candidate,
a best candidate whose interval reaches below 0 is reported with the flag ``interval<0``. The shortlist for
the structure search (``shortlist_from = "auto"``) comes from the fitted lines' ranked candidates free of
``interval<0`` and ``extrapolated``, else from the published lines (said in the output).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sselab.datasets.importers.wang2025_candidates import ensure_published_models
from sselab.descriptors import DESCRIPTORS
from sselab.descriptors.bm_potential import binding_energy_cache
from sselab.models import (
    LinearEaModel,
    descriptor_scan,
    descriptor_table,
    named_subset,
    save_scan,
    select_rows,
)
from sselab.models.published import stored_definitions
from sselab.models.subsets import COMPUTED_METHODS, with_training
from sselab.pipeline.params import checked_params, records
from sselab.report.analysis_figures import candidate_predictions, ea_vs_combination, r2_bars
from sselab.screening import PAPER_HIGHLIGHTS, paper_space, screen

if TYPE_CHECKING:
    from sselab.pipeline.runner import StageContext
    from sselab.screening import ScreeningResult

logger = logging.getLogger(__name__)

_FIT_PARAMS: dict[str, Any] = {
    "scan_family": "divalent-neutral", "scan_descriptors": list(DESCRIPTORS), "families": ["y1", "y2"],
    "descriptors": ["X", "r_atom"], "aggregation": "sum", "prefix": "pipeline", "training": "both",
    "methods": list(COMPUTED_METHODS), "potential": "chgnet", "published_dataset": "wang2025-candidates",
}  # fmt: skip


def route_families(families: list[str] | dict[str, str]) -> dict[str, str]:
    """Screening route -> named subset the route's line is fitted on.

    ``families`` is a list of named subsets used as routes of the same name (``["y1", "y2"]``) or a table
    mapping each route to the subset the user chose (``{y1 = "y1-bh4", y2 = "y2"}``).
    """
    if isinstance(families, dict):
        return {str(route): str(family) for route, family in families.items()}
    return {str(family): str(family) for family in families}


def fit_stage(ctx: StageContext) -> dict[str, Any]:
    """Descriptor scan (Figure 3a, eight descriptors, LOOCV) and the y1/y2 lines (Figure 3b), stored."""
    p = checked_params(ctx, _FIT_PARAMS)
    store = ctx.store
    published = ensure_published_models(store) if p["published_dataset"] else {}
    definitions = stored_definitions(store)
    used = tuple(definitions[d] for d in p["descriptors"] if d in definitions)
    cache = binding_energy_cache(str(p["potential"]))
    table = descriptor_table(
        store.activation_energy_frame(), aggregation=p["aggregation"], structures=store.structures_frame(),
        definitions=tuple(definitions.values()), binding_energies=cache,
    )  # fmt: skip
    methods = tuple(p["methods"])
    scan_subset = with_training(named_subset(p["scan_family"]), p["training"], methods)
    scan = descriptor_scan(table, scan_subset, tuple(p["scan_descriptors"]))
    scan_name = f"{p['prefix']}:scan:{p['scan_family']}"
    save_scan(store, scan_name, scan)
    scan.singles.to_csv(ctx.out_dir / "singles.csv", index=False)
    scan.pairs.to_csv(ctx.out_dir / "pairs.csv", index=False)
    figures = {"figure3a": str(r2_bars(scan, ctx.out_dir / "figure3a_r2.png"))}
    models, fitted = {}, []
    for route, family in route_families(p["families"]).items():
        subset = with_training(named_subset(family), p["training"], methods)
        selection = select_rows(table, subset, tuple(p["descriptors"]))
        model = LinearEaModel(tuple(p["descriptors"]), p["aggregation"], route, used).fit(selection.rows)
        name = f"{p['prefix']}:{route}"
        model.save_to_store(store, name)
        model.save(ctx.out_dir / f"{route}.json")
        models[route] = model
        sources = {str(k): int(v) for k, v in selection.rows["method"].value_counts().items()}
        computed_excluded = int(selection.excluded["reason"].str.startswith("computed Ea").sum())
        fitted.append(
            {"family": route, "subset": family, "store_name": name, "training": p["training"],
             "sources": sources, "computed_excluded": computed_excluded, "n": int(model.n_train_),
             "r2": float(model.r2_), "loo_r2": float(model.loo_r2_), "loo_rmse_ev": float(model.loo_rmse_),
             "intercept_ev": float(model.intercept_),
             **{f"a_{d}": float(c) for d, c in zip(p["descriptors"], model.coef_, strict=True)},
             "excluded": len(selection.excluded)}
        )  # fmt: skip
    figures["figure3b"] = str(ea_vs_combination(models, ctx.out_dir / "figure3b_lines.png", published))
    best = scan.best_pairs(5, by="r2")
    covered = [
        str(d) for d, n in zip(scan.singles["descriptor"], scan.singles["n"], strict=True) if int(n) > 0
    ]
    return {
        "summary": f"scan of {len(scan.selection.rows)} rows ({p['scan_family']}, training {p['training']}; "
        f"descriptors with data: {', '.join(covered)}); "
        + "; ".join(
            f"{m['family']}: n={m['n']} ({', '.join(f'{k} {v}' for k, v in m['sources'].items())}) "
            f"R²={m['r2']:.2f}, LOO R²={m['loo_r2']:.2f}"
            for m in fitted
        ),
        "scan_name": scan_name,
        "singles": records(
            scan.singles[["descriptor", "n", "r2", "adj_r2", "loo_r2", "loo_rmse_ev", "note"]]
        ),
        "best_pairs": records(best[["p1", "p2", "n", "r2", "adj_r2", "loo_r2", "loo_rmse_ev"]]),
        "models": fitted,
        "published": {route: m.name for route, m in published.items()},
        "figures": figures,
    }


def _route_line(result: ScreeningResult, route: str, info: dict[str, Any]) -> str:
    best = result.best(route, 1)
    quality = (
        f"R² {info['r2']:.2f}, N {info['n_train']}, ±{info['mean_half_width_ev']:.2f} eV"
        if info["r2"] is not None and info["mean_half_width_ev"] is not None
        else "published, no interval"
    )
    head = f"{route} ({info['model_name']}: {quality})"
    if len(best):
        row = best.iloc[0]
        flags = f" flagged {row['flags']}" if row["flags"] else ""
        interval = (
            f" [{row['ea_lower_ev']:.2f}, {row['ea_upper_ev']:.2f}]"
            if row["ea_upper_ev"] == row["ea_upper_ev"]
            else ""
        )
        tail = f", {info['non_positive']} with Ea <= 0 not ranked" if info["non_positive"] else ""
        return f"{head} best {row['formula']} {row['predicted_ea_ev']:.2f} eV{interval}{flags}{tail}"
    return f"{head} no candidate ranked: all {info['predictions']} predict Ea <= 0"


def _shortlist(result: ScreeningResult, n: int) -> list[str]:
    """Ranked formulas, best first, each once."""
    ranked = result.predictions[result.predictions["rank"].notna()].sort_values(["rank", "predicted_ea_ev"])
    return [str(f) for f in ranked["formula"].drop_duplicates().head(n)]


def _credible_best(result: ScreeningResult) -> bool:
    """True when every route's rank-1 prediction is neither extrapolated nor has an interval below 0."""
    first = result.predictions[result.predictions["rank"] == 1]
    flags = first["flags"].astype(str)
    return len(first) > 0 and not flags.str.contains("interval<0|extrapolated|no-interval", regex=True).any()


def _best_records(result: ScreeningResult, top: int) -> list[dict[str, Any]]:
    columns = ["model", "model_name", "model_kind", "rank", "formula", "predicted_ea_ev", "ea_lower_ev",
               "ea_upper_ev", "flags"]  # fmt: skip
    return records(result.ranked(top=top)[columns])


def screening_stage(ctx: StageContext) -> dict[str, Any]:
    """Predict the paper's space with the fitted and the published lines; flag, rank, store (Figure 4a)."""
    p = checked_params(
        ctx,
        {"top": 3, "shortlist": 20, "name": "pipeline:screening", "criterion": "point", "confidence": 0.95,
         "published_dataset": "wang2025-candidates", "shortlist_from": "auto"},
    )  # fmt: skip
    store = ctx.store
    names = {m["family"]: m["store_name"] for m in ctx.upstream["fit"]["models"]}
    fitted = {route: LinearEaModel.load_from_store(store, name) for route, name in names.items()}
    space = paper_space()
    result = screen(
        space, fitted, criterion=p["criterion"], confidence=float(p["confidence"]), model_names=names
    )
    result.save_to_store(store, p["name"])
    csv = result.to_csv(ctx.out_dir / "predictions.csv")
    figures = {"figure4a": str(candidate_predictions(result, ctx.out_dir / "figure4a_candidates.png"))}
    lines = [_route_line(result, r, info) for r, info in result.summary().items()]
    top = _best_records(result, int(p["top"]))
    published_result = None
    if p["published_dataset"]:
        published = ensure_published_models(store)
        published_result = screen(
            space, published, model_names={r: m.name or r for r, m in published.items()}
        )
        published_result.save_to_store(store, f"{p['name']}:published")
        figures["figure4a_published"] = str(
            candidate_predictions(published_result, ctx.out_dir / "figure4a_published.png")
        )
        top += _best_records(published_result, int(p["top"]))
        marked = published_result.predictions[published_result.predictions["formula"].isin(PAPER_HIGHLIGHTS)]
        lines.append(
            "published (Wang et al. 2025): "
            + "; ".join(
                f"{route} "
                + ", ".join(
                    f"{str(f).split('(')[0]} {float(e):.2f}"
                    for f, e in zip(g["formula"], g["predicted_ea_ev"], strict=True)
                )
                + " eV"
                for route, g in marked.sort_values("formula").groupby("model")
            )
            + " for M(BH4)2·6(CH3)2CHNH2"
        )
    n = max(int(p["top"]), int(p["shortlist"]))
    source = p["shortlist_from"]
    use_fitted = source == "fitted" or (
        source == "auto" and (_credible_best(result) or published_result is None)
    )
    if use_fitted:
        shortlist, source = _shortlist(result, n), "fitted"
    elif published_result is not None:
        shortlist, source = _shortlist(published_result, n), "published"
    else:
        shortlist = []
    why = (
        " (the fitted lines' best candidates are flagged interval<0 or extrapolated)"
        if source == "published" and p["shortlist_from"] == "auto"
        else ""
    )
    lines.append(
        f"structure-search shortlist from the {source} lines{why}: {', '.join(shortlist[:3]) or 'none'}"
    )
    return {
        "summary": f"{len(result.predictions)} predictions {result.counts()}, ranked by {p['criterion']}; "
        + "; ".join(lines),
        "counts": result.counts(),
        "criterion": p["criterion"],
        "models": result.summary(),
        "published_models": published_result.summary() if published_result is not None else {},
        "top": top,
        "candidates": shortlist,
        "shortlist_from": source,
        "predictions_csv": str(csv),
        "figures": figures,
    }
