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
method_benchmark  computed vs experimental Ea per method × potential (converged only), parity plot
                  (Figure 2b); with ``manifest``: the benchmark set first (:mod:`~.benchmark_stage`)
metad             well-tempered metadynamics of given structures (FES and track, Figure 2), Ea stored
fit               descriptor scan (Figure 3a) and the y1/y2 lines (Figure 3b), saved in the store
                  (in :mod:`sselab.pipeline.analysis_stages`)
screening         the paper's candidate space on the fitted and published y1/y2, intervals, flags, ranks
                  (Figure 4a; in :mod:`sselab.pipeline.analysis_stages`)
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
from sselab.pipeline.analysis_stages import fit_stage, screening_stage
from sselab.pipeline.benchmark_stage import method_benchmark_stage
from sselab.pipeline.params import checked_params, records
from sselab.pipeline.sim_stages import (
    check_metad_params,
    check_search_params,
    metad_stage,
    search_stage,
    validation_stage,
)
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
