"""The stages of the paper's workflow (Figure 1d) and their registry :data:`STAGES`.

Each stage is a function ``stage(ctx: StageContext) -> dict`` that calls the package doing the work and
returns a JSON-serialisable dict (paths as ``str``, small tables as lists of dicts) with a short ``summary``.
Stages with independent simulations (``metad``, ``search``, ``validation``, in
:mod:`sselab.pipeline.sim_stages`) run them as Dask jobs through ``ctx.run_jobs``.

================  ========================================================================================
stage             what it does
================  ========================================================================================
data              import the four public datasets, summary tables, Figure 1b
insights          the paper's two LLM insights as recipes (no LLM needed)
method_benchmark  computed vs experimental Ea per method, parity plot (Figures 1c/2b)
metad             well-tempered metadynamics of given structures (FES and track, Figure 2), Ea stored
fit               descriptor scan (Figure 3a) and the y1/y2 lines (Figure 3b), saved in the store
screening         the paper's candidate space predicted on y1/y2, ranked (Figure 4a)
search            structure search of the top candidates (Figure 4b), individuals stored
validation        metadynamics of the best searched structures, Ea stored
report            self-contained HTML report with every figure, table and the provenance
================  ========================================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sselab.assistant.insights import run_recipe
from sselab.assistant.registry import ToolContext
from sselab.datasets.demo import FIGURE_NAME, run_data_demo, summary_tables
from sselab.datasets.importing import import_dataset
from sselab.datasets.registry import list_datasets
from sselab.errors import PipelineError
from sselab.models.method_benchmark import benchmark_methods
from sselab.pipeline.params import checked_params, records, require_api
from sselab.pipeline.sim_stages import (
    check_metad_params,
    check_search_params,
    metad_stage,
    search_stage,
    validation_stage,
)
from sselab.report.analysis_figures import parity_plot
from sselab.report.conductivity import plot_hydride_conductivity
from sselab.report.pipeline_report import write_pipeline_report

if TYPE_CHECKING:
    from sselab.pipeline.runner import StageContext

logger = logging.getLogger(__name__)

StageFunction = Callable[["StageContext"], dict[str, Any]]


@dataclass(frozen=True)
class Stage:
    """A pipeline stage.

    Attributes
    ----------
    name
        Registry name (used in configurations).
    func
        ``func(ctx) -> dict`` (JSON-serialisable outputs with a ``summary``).
    requires
        Stages that must run before it (their outputs are in ``ctx.upstream`` and in its cache key).
    description
        One line for ``pipeline status`` and the docs.
    optional
        Stages whose outputs it uses when they are in the configuration.
    check
        ``check(stage_name, params)`` validates the stage's parameters before the pipeline runs anything
        (raises a :class:`~sselab.errors.SselabError` naming the bad key); ``None``: checked when it runs.
    """

    name: str
    func: StageFunction
    requires: tuple[str, ...]
    description: str
    optional: tuple[str, ...] = ()
    check: Callable[[str, dict[str, Any]], None] | None = None


def data_stage(ctx: StageContext) -> dict[str, Any]:
    """Import the public datasets, summarise them, and draw Figure 1b (hydride σ(T))."""
    names = [info.name for info in list_datasets()]
    p = checked_params(ctx, {"datasets": names})
    unknown = [d for d in p["datasets"] if d not in names]
    if unknown:
        raise PipelineError(f"[stages.data] datasets: unknown {unknown}; known: {', '.join(names)}")
    if sorted(p["datasets"]) == sorted(names):
        demo = run_data_demo(ctx.store, ctx.out_dir)
        reports, figure = list(demo["reports"].values()), demo["figure"]
        tables = {"per_dataset": demo["per_dataset"], "per_cation": demo["per_cation"]}
    else:
        reports = [import_dataset(name, ctx.store, progress=False) for name in p["datasets"]]
        tables = summary_tables(ctx.store)
        store = ctx.store
        figure = str(
            plot_hydride_conductivity(
                store.conductivity_frame(), store.activation_energy_frame(), ctx.out_dir / FIGURE_NAME
            ).path
        )
    imports = [
        {
            "dataset": r.dataset,
            "file": r.file,
            "rows_read": r.rows_read,
            "imported": r.imported,
            "skipped": len(r.skipped),
            "already_present": bool(getattr(r, "already_present", False)),
        }
        for r in reports
    ]
    stats = {str(k): int(v) for k, v in ctx.store.stats().items()}
    return {
        "summary": f"{len(imports)} dataset(s): "
        + ", ".join(f"{i['dataset']} {i['imported']}/{i['rows_read']} rows" for i in imports),
        "imports": imports,
        "per_dataset": records(tables["per_dataset"]),
        "per_cation": records(tables["per_cation"]),
        "store_rows": stats,
        "figures": {"figure1b": figure},
    }


def insights_stage(ctx: StageContext) -> dict[str, Any]:
    """Run the insight recipes (``neutral-molecules``, ``methods-vs-experiment``) on the store, read-only."""
    p = checked_params(ctx, {"recipes": ["neutral-molecules", "methods-vs-experiment"], "parameters": {}})
    tool_context = ToolContext.from_store(ctx.store, out_dir=ctx.out_dir)
    results = []
    for name in p["recipes"]:
        try:
            result = run_recipe(name, tool_context, **dict(p["parameters"].get(name, {})))
        except (LookupError, ValueError) as exc:
            raise PipelineError(f"[stages.insights] recipe {name!r}: {exc}") from exc
        results.append(
            {
                "recipe": name,
                "ok": result.ok,
                "summary": result.summary if result.ok else f"{result.error_type}: {result.error}",
                "findings": list(result.data.get("findings", [])),
                "figures": [str(f) for f in result.figures],
                "files": [str(f) for f in result.files],
                "dois": len(result.dois),
            }
        )
    ok = sum(r["ok"] for r in results)
    return {"summary": f"{ok}/{len(results)} insight recipe(s) answered", "recipes": results}


def method_benchmark_stage(ctx: StageContext) -> dict[str, Any]:
    """Computed Ea of each method in the store against experiment: metrics, pairs and the parity plot."""
    checked_params(ctx, {})
    result = benchmark_methods(ctx.store.activation_energy_frame())
    result.pairs.to_csv(ctx.out_dir / "pairs.csv", index=False)
    result.unmatched.to_csv(ctx.out_dir / "unmatched.csv", index=False)
    figures = {}
    if len(result.pairs):
        figures["parity"] = str(
            parity_plot(result.pairs, result.metrics, ctx.out_dir / "figure1c_parity.png")
        )
    methods = ", ".join(f"{r.method} N={r.n} R²={r.r2:.2f}" for r in result.metrics.itertuples())
    methods = methods or "no computed Ea matches an experiment"
    return {
        "summary": f"{len(result.pairs)} matched pairs ({methods}), {len(result.unmatched)} unmatched",
        "metrics": records(result.metrics),
        "n_pairs": len(result.pairs),
        "n_unmatched": len(result.unmatched),
        "figures": figures,
    }


def fit_stage(ctx: StageContext) -> dict[str, Any]:
    """Descriptor scan (Figure 3a) and the y1/y2 model lines (Figure 3b), saved in the store."""
    try:
        from sselab.models import (
            LinearEaModel,
            descriptor_scan,
            descriptor_table,
            named_subset,
            save_scan,
            select_rows,
        )
        from sselab.report.analysis_figures import ea_vs_combination, r2_bars
    except ImportError as exc:
        raise require_api("sselab.models (descriptor_scan, LinearEaModel)", exc) from exc
    p = checked_params(
        ctx,
        {"scan_family": "divalent-neutral", "families": ["y1", "y2"], "descriptors": ["X", "r_atom"],
         "aggregation": "sum", "prefix": "pipeline"},
    )  # fmt: skip
    store = ctx.store
    table = descriptor_table(
        store.activation_energy_frame(), aggregation=p["aggregation"], structures=store.structures_frame()
    )
    scan = descriptor_scan(table, named_subset(p["scan_family"]))
    scan_name = f"{p['prefix']}:scan:{p['scan_family']}"
    save_scan(store, scan_name, scan)
    scan.singles.to_csv(ctx.out_dir / "singles.csv", index=False)
    scan.pairs.to_csv(ctx.out_dir / "pairs.csv", index=False)
    figures = {"figure3a": str(r2_bars(scan, ctx.out_dir / "figure3a_r2.png"))}
    models, fitted = {}, []
    for route, family in _route_families(p["families"]).items():
        selection = select_rows(table, named_subset(family), tuple(p["descriptors"]))
        model = LinearEaModel(tuple(p["descriptors"]), p["aggregation"], route).fit(selection.rows)
        name = f"{p['prefix']}:{route}"
        model.save_to_store(store, name)
        model.save(ctx.out_dir / f"{route}.json")
        models[route] = model
        fitted.append(
            {"family": route, "subset": family, "store_name": name, "n": int(model.n_train_),
             "r2": float(model.r2_),
             "loo_rmse_ev": float(model.loo_rmse_), "intercept_ev": float(model.intercept_),
             **{f"a_{d}": float(c) for d, c in zip(p["descriptors"], model.coef_, strict=True)},
             "excluded": len(selection.excluded)}
        )  # fmt: skip
    figures["figure3b"] = str(ea_vs_combination(models, ctx.out_dir / "figure3b_lines.png"))
    best = scan.best_pairs(5, by="r2")
    return {
        "summary": f"scan of {len(scan.selection.rows)} rows ({p['scan_family']}); "
        + "; ".join(f"{m['family']}: n={m['n']} R²={m['r2']:.2f}" for m in fitted),
        "scan_name": scan_name,
        "singles": records(scan.singles[["descriptor", "n", "r2", "adj_r2", "loo_rmse_ev", "note"]]),
        "best_pairs": records(best[["p1", "p2", "n", "r2", "adj_r2", "loo_rmse_ev"]]),
        "models": fitted,
        "figures": figures,
    }


def _route_families(families: list[str] | dict[str, str]) -> dict[str, str]:
    """Screening route -> named subset the route's line is fitted on.

    ``families`` is a list of named subsets used as routes of the same name (``["y1", "y2"]``) or a table
    mapping each route to the subset the user chose (``{y1 = "y1-bh4", y2 = "y2"}``).
    """
    if isinstance(families, dict):
        return {str(route): str(family) for route, family in families.items()}
    return {str(family): str(family) for family in families}


def screening_stage(ctx: StageContext) -> dict[str, Any]:
    """Predict Ea for the paper's candidate space with the fitted models, rank, export (Figure 4a)."""
    try:
        from sselab.models import LinearEaModel
        from sselab.report.analysis_figures import candidate_predictions
        from sselab.screening import paper_space, screen
    except ImportError as exc:
        raise require_api("sselab.screening.screen", exc) from exc
    p = checked_params(ctx, {"top": 3, "shortlist": 20, "name": "pipeline:screening"})
    fitted = {m["family"]: m["store_name"] for m in ctx.upstream["fit"]["models"]}
    models = {family: LinearEaModel.load_from_store(ctx.store, name) for family, name in fitted.items()}
    result = screen(paper_space(), models)
    result.save_to_store(ctx.store, p["name"])
    csv = result.to_csv(ctx.out_dir / "predictions.csv")
    figure = candidate_predictions(result, ctx.out_dir / "figure4a_candidates.png")
    top = result.ranked(top=int(p["top"]))[["model", "rank", "formula", "predicted_ea_ev"]]
    overall = result.predictions.sort_values("predicted_ea_ev").drop_duplicates("formula")
    return {
        "summary": f"{len(result.predictions)} predictions {result.counts()}; lowest: "
        + ", ".join(
            f"{r.formula} {r.predicted_ea_ev:.3f} eV ({r.model})" for r in overall.head(3).itertuples()
        ),
        "counts": result.counts(),
        "top": records(top),
        "candidates": [str(f) for f in overall["formula"].head(max(int(p["top"]), int(p["shortlist"])))],
        "predictions_csv": str(csv),
        "figures": {"figure4a": str(figure)},
    }


def report_stage(ctx: StageContext) -> dict[str, Any]:
    """Write the self-contained HTML report of all upstream stages (:mod:`sselab.report.pipeline_report`)."""
    p = checked_params(ctx, {"title": "sselab pipeline report", "file": "report.html"})
    path = write_pipeline_report(
        ctx.out_dir / p["file"],
        p["title"],
        ctx.upstream,
        ctx.failed,
        ctx.store,
        {"stage_seed": ctx.seed},
        ctx.input_hashes,
    )
    shown = ", ".join(ctx.upstream) or "no stage"
    return {"report": str(path), "summary": f"report of {shown} -> {path}"}


def _registry() -> dict[str, Stage]:
    stages = (
        Stage("data", data_stage, (), "import datasets, summary tables, Figure 1b"),
        Stage("insights", insights_stage, ("data",), "the paper's two LLM insights as recipes", ("metad",)),
        Stage(
            "method_benchmark",
            method_benchmark_stage,
            ("data",),
            "methods vs experiment, Figures 1c/2b",
            ("metad",),
        ),
        Stage(
            "metad",
            metad_stage,
            (),
            "metadynamics of given structures (FES, track), Ea stored",
            check=check_metad_params,
        ),
        Stage("fit", fit_stage, ("data",), "descriptor scan and y1/y2 lines, Figures 3a/3b"),
        Stage("screening", screening_stage, ("fit",), "candidate space predicted and ranked, Figure 4a"),
        Stage(
            "search",
            search_stage,
            (),
            "structure search of the top candidates, Figure 4b",
            ("screening",),
            check=check_search_params,
        ),
        Stage(
            "validation",
            validation_stage,
            ("search",),
            "metadynamics of the best searched structures",
            check=check_metad_params,
        ),
        Stage(
            "report",
            report_stage,
            (),
            "self-contained HTML report",
            ("data", "insights", "method_benchmark", "metad", "fit", "screening", "search", "validation"),
        ),
    )
    return {s.name: s for s in stages}


#: All stages by name, in the paper's order.
STAGES: dict[str, Stage] = _registry()
