"""LLM insight 2 as a recipe: how far is each simulation method's Ea from experiment.

The pairing and metrics (R², MAE, RMSE, N per method) come from the method benchmark of :mod:`sselab.models`
(see :func:`sselab.assistant.models_adapter.method_benchmark_table`). The store holds experimental Ea from the
imported datasets but computed Ea only after simulations were run and recorded; with none, the recipe says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sselab.assistant.models_adapter import method_benchmark_table
from sselab.assistant.registry import ToolContext
from sselab.assistant.results import ToolResult, dois_of

#: R² per method reported by the paper (Wang et al. 2025, "LLM Insight 2"); shown beside ours, not as data.
PAPER_R2 = {"CI-NEB": 0.32, "AIMD": 0.35, "MLMD": 0.70, "MetaD": 0.95}


def methods_vs_experiment(
    context: ToolContext,
    methods: list[str] | None = None,
    figure: bool = True,
    tool: str = "insight_methods_vs_experiment",
) -> ToolResult:
    """Benchmark every computed method in the store against experimental Ea of the same material (and phase).

    Parameters
    ----------
    context
        Tool context.
    methods
        Only these methods (default: every non-experimental method present).
    figure
        Write the parity plot.
    """
    store = context.store
    ea = store.activation_energy_frame()
    n_experimental = int((ea["method"] == "experiment").sum())
    computed = ea[ea["method"] != "experiment"]
    if methods:
        computed = computed[computed["method"].isin(methods)]
    if computed.empty:
        wanted = f" for {', '.join(methods)}" if methods else ""
        message = (
            f"no computed Ea in the store yet{wanted}: {n_experimental} experimental Ea are stored, but no "
            "simulation results (MetaD, CI-NEB, AIMD, MLMD, BVSE) have been recorded. Run simulations "
            "(sselab simulate ...) or import computed values, then rerun this recipe."
        )
        return ToolResult(
            tool=tool,
            ok=True,
            summary=message,
            data={"n_experimental": n_experimental, "n_computed": 0, "metrics": [], "findings": [message]},
            table=None,
        )
    metrics, pairs, unmatched = method_benchmark_table(ea, methods)
    findings = []
    for row in metrics.to_dict("records"):
        paper = PAPER_R2.get(str(row["method"]))
        paper_text = f" (paper: R² = {paper:.2f})" if paper is not None else ""
        findings.append(
            f"{row['method']}: R² = {row['r2']:.3f}, MAE = {row['mae_ev']:.3f} eV, "
            f"RMSE = {row['rmse_ev']:.3f} eV, "
            f"mean error {row['mean_error_ev']:+.3f} eV, N = {int(row['n'])}{paper_text}"
        )
    if len(unmatched):
        findings.append(
            f"{len(unmatched)} computed values have no experimental Ea of the same composition and phase "
            f"and are left out ({', '.join(sorted(set(unmatched['formula'].astype(str))))})"
        )
    if len(metrics) > 1:
        best = metrics.sort_values("mae_ev").iloc[0]
        findings.append(f"closest to experiment by MAE: {best['method']}")
    figures: tuple[str, ...] = ()
    if figure and len(pairs):
        figures = (str(_parity_figure(context, pairs)),)
    csv = context.figure_path("insight-methods-vs-experiment").with_suffix(".csv")
    pairs.to_csv(csv, index=False)
    data: dict[str, Any] = {
        "n_experimental": n_experimental,
        "n_computed": len(computed),
        "n_pairs": len(pairs),
        "n_unmatched": len(unmatched),
        "metrics": metrics.to_dict("records"),
        "paper_r2": PAPER_R2,
        "findings": findings,
    }
    dois = tuple(sorted(set(dois_of(pairs, "doi_computed")) | set(dois_of(pairs, "doi_experimental"))))
    return ToolResult(
        tool=tool,
        ok=True,
        summary=" | ".join(findings) if findings else "no computed value matches an experimental one",
        data=data,
        table=metrics,
        dois=dois,
        figures=figures,
        files=(str(csv),),
    )


def _parity_figure(context: ToolContext, pairs: pd.DataFrame) -> Any:
    # lazy: matplotlib takes ~0.5 s to import; only drawing a figure needs it
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 5.0), dpi=120)
    try:
        for method, part in pairs.groupby("method", sort=True):
            ax.scatter(part["experimental_ea_ev"], part["computed_ea_ev"], s=22, alpha=0.8, label=str(method))
        values = np.concatenate([pairs["experimental_ea_ev"].to_numpy(), pairs["computed_ea_ev"].to_numpy()])
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=1)
        ax.set_xlabel("experimental Ea (eV)")
        ax.set_ylabel("computed Ea (eV)")
        ax.set_title("computed vs experimental Ea")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = context.figure_path("insight-methods-vs-experiment")
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
