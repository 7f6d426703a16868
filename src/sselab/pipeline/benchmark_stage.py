"""The ``method_benchmark`` stage: computed activation energies against experiment, per method × potential.

With ``manifest`` set (``"open-set"``, or a manifest file: :mod:`sselab.benchmark.manifest`) the stage first
computes the benchmark set: one job per material × method × potential (``composite``, ``neb``) on the
pipeline's executor, each cached on its own (a rerun after an interruption computes only the unfinished
jobs), their results recorded in the store through its one recorder. Then, always, it measures every
computed Ea in the store (sselab's runs, including the ``metad`` stage's, and published values) against the
experiments of the same material and phase (:func:`sselab.benchmark.stored.stored_benchmark`): R², MAE,
RMSE and N per method × potential over converged values, with and without the experiments in ``flags`` (and
those the manifest marks suspect), the unconverged ones counted and drawn apart, never mixed in; the parity
figure in the style of the paper's Figure 2b. The ``paper`` profile runs the built-in open set.

Parameters (``[stages.method_benchmark]``): ``manifest`` (``""``: measure the store only), ``methods``,
``potentials``, ``threads`` (torch threads per job), ``store_unconverged`` (keep unconverged values in the
store, labelled), ``flags`` (``{name: reason}``, names ``formula|phase|provenance``), ``metad`` and
``md_arrhenius`` (tables of :class:`~sselab.simulate.settings.MetaDSettings` /
:class:`~sselab.simulate.settings.MDArrheniusSettings` fields for the ``metad`` and ``md-arrhenius`` methods;
a MetaD job runs at the middle of the experiment's temperature range when the manifest gives one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sselab.benchmark.dynamic import DYNAMIC_METHODS
from sselab.benchmark.experiment import resolve_experiments
from sselab.benchmark.jobs import BenchmarkRecord, plan_jobs, run_job
from sselab.benchmark.open_set import load_manifest
from sselab.benchmark.recording import record_results
from sselab.benchmark.report import benchmark_report, markdown_tables, parity_figure, write_rows_csv
from sselab.benchmark.runner import job_waves
from sselab.benchmark.stored import store_rows
from sselab.errors import PipelineError
from sselab.models.method_benchmark import hydride_benchmark
from sselab.pipeline.params import checked_params, records

if TYPE_CHECKING:
    from sselab.pipeline.runner import StageContext

DEFAULTS: dict[str, Any] = {
    "manifest": "",
    "methods": ["composite", "neb"],
    "potentials": ["chgnet"],
    "threads": 1,
    "store_unconverged": False,
    "flags": {},
    "metad": {},
    "md_arrhenius": {},
}


def _names(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise PipelineError(f"[stages.method_benchmark] {key}: give a list of names, got {value!r}")
    return list(value)


def _flags(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise PipelineError(
            f'[stages.method_benchmark] flags: give a table of name = "reason", got {value!r}'
        )
    return {str(k): str(v) for k, v in value.items()}


def _dynamic_settings(p: dict[str, Any]) -> dict[str, Any]:
    chosen = {}
    for key, method in (("metad", "metad"), ("md_arrhenius", "md-arrhenius")):
        table = p[key]
        if not isinstance(table, dict):
            raise PipelineError(f"[stages.method_benchmark] {key}: give a table of settings, got {table!r}")
        chosen[method] = DYNAMIC_METHODS[method].settings.build(
            table, source=f"[stages.method_benchmark.{key}]"
        )
    return chosen


def _run_set(ctx: StageContext, p: dict[str, Any], flags: dict[str, str]) -> dict[str, Any]:
    """The benchmark set's jobs (a ``composite`` job after the ``neb`` job of its material and potential:
    :func:`~sselab.benchmark.jobs.job_waves`), recorded in the store."""
    manifest = resolve_experiments(load_manifest(str(p["manifest"])))
    run_root = (ctx.out_dir / "runs").resolve()
    specs = plan_jobs(
        manifest, _names(p["methods"], "methods"), _names(p["potentials"], "potentials"), run_root,
        threads=int(p["threads"]), dynamic_settings=_dynamic_settings(p),
    )  # fmt: skip
    outputs: list[dict[str, Any]] = []
    for _, wave, after in job_waves(specs):
        kinds = [f"benchmark-{s['method']}" for s in wave]
        outputs += ctx.run_jobs("benchmark", run_job, wave, kinds=kinds, after=after)
    jobs = [BenchmarkRecord.from_dict(o) for o in outputs]
    counts = record_results(ctx.store, jobs, store_unconverged=bool(p["store_unconverged"]))
    bench = benchmark_report(jobs, flags)
    report = ctx.out_dir / "set_report"
    report.mkdir(parents=True, exist_ok=True)
    (report / "tables.md").write_text(markdown_tables(bench), encoding="utf-8")
    return {
        "manifest": manifest.source,
        "materials": sorted({r.material.name for r in jobs}),
        # keyed as the store's rows are named (formula|phase|provenance), whatever the manifest's names
        "suspect": {
            f"{m.formula}|{m.phase}|{m.provenance}": m.suspect for m in manifest.materials if m.suspect
        },
        "jobs": len(jobs),
        "failed": sum(r.status != "ok" for r in jobs),
        "recorded": counts,
        "rows_csv": str(write_rows_csv(bench, report / "hydride_benchmark.csv")),
        "parity": str(parity_figure(bench, report / "parity.png")),
        "metrics": records(bench.metrics),
    }


def method_benchmark_stage(ctx: StageContext) -> dict[str, Any]:
    """Computed Ea against experiment per method × potential (with ``manifest``: the benchmark set first)."""
    p = checked_params(ctx, DEFAULTS)
    flags = _flags(p["flags"])
    benchmark_set = _run_set(ctx, p, flags) if p["manifest"] else None
    rows, matched = store_rows(ctx.store.activation_energy_frame())
    known = set(rows["name"]) | set(benchmark_set["materials"] if benchmark_set else ())
    if unknown := sorted(set(flags) - known):
        raise PipelineError(
            f"[stages.method_benchmark] flags: no computed row named {unknown}; known: {sorted(known)}"
        )
    suspect = benchmark_set["suspect"] if benchmark_set else {}
    bench = hydride_benchmark(rows, {**suspect, **flags})  # the manifest's suspect rows and the user's
    matched.unmatched.to_csv(ctx.out_dir / "unmatched.csv", index=False)
    bench.rows.to_csv(ctx.out_dir / "pairs.csv", index=False)
    bench.metrics.to_csv(ctx.out_dir / "metrics.csv", index=False)
    figures = {}
    if len(bench.rows):
        figures["parity"] = str(parity_figure(bench, ctx.out_dir / "figure2b_parity.png"))
    converged = bench.metrics[bench.metrics["subset"] == "converged"]
    methods = ", ".join(
        f"{r['method']} · {r['potential']} N={r['n']} R²={r['r2']:.2f}"
        + (f" ({r['n_unconverged_excluded']} unconverged excluded)" if r["n_unconverged_excluded"] else "")
        for r in converged.to_dict(orient="records")
    )
    methods = methods or "no computed Ea matches an experiment"
    ran = ""
    if benchmark_set is not None:
        ran = f"benchmark set: {benchmark_set['jobs']} job(s), store {benchmark_set['recorded']}; "
    return {
        "summary": f"{ran}{len(bench.rows)} matched pairs ({methods}), {len(matched.unmatched)} unmatched",
        "metrics": records(bench.metrics),
        "n_pairs": len(bench.rows),
        "n_unmatched": len(matched.unmatched),
        "n_unconverged_excluded": int(converged["n_unconverged_excluded"].sum()) if len(converged) else 0,
        "benchmark_set": benchmark_set,
        "figures": figures,
    }
