"""The benchmark report: rows (one per computed value), metrics per method × potential, the parity figure
in the style of the paper's Figure 2b, and a Markdown table for ``docs/``.

Example
-------
>>> from sselab.benchmark.report import records_frame
>>> records_frame([]).columns[:3].tolist()
['formula', 'phase', 'provenance']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sselab.benchmark.jobs import BenchmarkRecord
from sselab.models.method_benchmark import CONTEXT_COLUMNS, ROW_COLUMNS, HydrideBenchmark, hydride_benchmark

MARKERS = {"experimental": "o", "predicted": "^", "user": "s"}


def records_frame(records: list[BenchmarkRecord]) -> pd.DataFrame:
    """One row per job: :data:`~sselab.models.method_benchmark.ROW_COLUMNS` and the context columns."""
    rows = [
        {
            "formula": r.material.formula,
            "phase": r.material.phase,
            "provenance": r.material.provenance,
            "method": r.method,
            "protocol": r.protocol,
            "potential": r.potential,
            "converged": bool(r.converged),
            "ea_ev": r.ea_ev,
            "experimental_ea_ev": r.material.experimental_ea_ev,
            "doi": r.material.doi,
            "name": r.material.name,
            "status": r.status,
            "suspect": r.material.suspect,
            "has_neutral_molecule": r.material.has_neutral_molecule,
            "origin": "sselab",
        }
        for r in records
    ]
    return pd.DataFrame(rows, columns=[*ROW_COLUMNS, *CONTEXT_COLUMNS])


def benchmark_report(records: list[BenchmarkRecord], flags: dict[str, str] | None = None) -> HydrideBenchmark:
    """Metrics of ``records`` (see :func:`~sselab.models.method_benchmark.hydride_benchmark`)."""
    return hydride_benchmark(records_frame(records), flags)


def write_rows_csv(bench: HydrideBenchmark, path: str | Path) -> Path:
    """The rows as CSV with exactly the columns ``formula, phase, provenance, method, protocol, potential,
    converged, ea_ev, experimental_ea_ev, doi`` (one row per computed value; failed jobs left out). An
    unconverged value of 0 eV or less (a band with no saddle) is written empty: it is not a barrier."""
    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    rows = bench.rows[bench.rows["status"] == "ok"][list(ROW_COLUMNS)].copy()
    meaningless = ~rows["converged"].eq(True) & rows["ea_ev"].le(0)
    rows["ea_ev"] = rows["ea_ev"].astype(float).mask(meaningless)
    rows.to_csv(destination, index=False, float_format="%.4f")
    return destination


def parity_figure(bench: HydrideBenchmark, path: str | Path) -> Path:
    """Computed against experimental Ea, one panel per method × potential (PNG).

    Filled markers: hydrides with a neutral molecule; open: without (the paper's Figure 2b). Circles:
    experimental structures, triangles: predicted ones. Grey crosses: not converged (excluded from the
    metrics). Red ring: experiment flagged as suspect (metrics given with and without).
    """
    import matplotlib  # heavy, and only the figure needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    rows = bench.rows[(bench.rows["status"] == "ok") & bench.rows["ea_ev"].notna()]
    panels = sorted({(m, p) for m, p in zip(rows["method"], rows["potential"], strict=True)})
    n = max(len(panels), 1)
    cols = min(n, 2)
    fig, axes = plt.subplots(
        (n + cols - 1) // cols, cols, figsize=(4.2 * cols, 4.0 * ((n + cols - 1) // cols))
    )
    axes = np.atleast_1d(axes).ravel()
    values = pd.concat([rows["ea_ev"], rows["experimental_ea_ev"]]).astype(float)
    top = float(np.nanmax(values)) * 1.1 + 0.05 if len(values) else 1.0
    bottom = min(0.0, float(np.nanmin(values)) - 0.05) if len(values) else 0.0
    for ax, (method, potential) in zip(axes, panels, strict=False):
        panel = rows[(rows["method"] == method) & (rows["potential"] == potential)]
        ax.plot([bottom, top], [bottom, top], color="0.6", lw=1, zorder=0)
        for row in panel.itertuples(index=False):
            x, y = float(row.experimental_ea_ev), float(row.ea_ev)  # type: ignore[arg-type]
            if not row.converged:
                ax.plot(x, y, "x", color="0.55", ms=7)
                continue
            color = "C0" if row.provenance == "experimental" else "C1"
            face = color if row.has_neutral_molecule else "none"
            ax.plot(x, y, MARKERS.get(str(row.provenance), "o"), ms=8, mec=color, mfc=face, mew=1.5)
            if isinstance(row.suspect, str):
                ax.plot(x, y, "o", ms=14, mfc="none", mec="red", mew=1)
            ax.annotate(str(row.formula), (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
        metric = bench.metrics[
            (bench.metrics["method"] == method) & (bench.metrics["potential"] == potential)
        ].set_index("subset")
        lines = [
            f"{subset}: N={int(m['n'])}, R²={m['r2']:.2f}, MAE={m['mae_ev']:.2f} eV"
            for subset, m in metric.iterrows()
        ]
        ax.text(0.03, 0.97, "\n".join(lines), transform=ax.transAxes, va="top", fontsize=6.5)
        ax.set(xlim=(bottom, top), ylim=(bottom, top), title=f"{method} · {potential}")
        ax.set_xlabel("experimental Ea (eV)")
        ax.set_ylabel("computed Ea (eV)")
    for ax in axes[len(panels) :]:
        ax.axis("off")
    fig.suptitle(
        "filled: with neutral molecule · open: without · ○ experimental, △ predicted structure · "
        "× not converged (excluded) · red ring: suspect experiment",
        fontsize=7,
    )
    fig.tight_layout()
    fig.savefig(destination, dpi=150)
    plt.close(fig)
    return destination


def _fmt(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def markdown_tables(bench: HydrideBenchmark) -> str:
    """The per-material table (each method × potential side by side, with experiment and DOI) and the
    metrics table, as Markdown."""
    rows = bench.rows
    columns = sorted({(m, p) for m, p in zip(rows["method"], rows["potential"], strict=True)})
    head = [
        "material",
        "phase",
        "provenance",
        *[f"{m} · {p} (eV)" for m, p in columns],
        "experiment (eV)",
        "DOI",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, group in rows.groupby("name", sort=False):
        first = group.iloc[0]
        cells = [str(first["formula"]), str(first["phase"]), str(first["provenance"])]
        for method, potential in columns:
            match = group[(group["method"] == method) & (group["potential"] == potential)]
            if match.empty:
                cells.append("")
                continue
            row = match.iloc[0]
            if row["status"] != "ok":
                cells.append("failed")
            elif row["converged"]:
                cells.append(_fmt(float(row["ea_ev"]), 3))
            elif pd.isna(row["ea_ev"]) or float(row["ea_ev"]) <= 0:
                cells.append("none (not converged)")  # e.g. no saddle: a 0 eV "barrier" means nothing
            else:
                cells.append(f"({_fmt(float(row['ea_ev']), 3)}, not converged)")
        flag = " (suspect)" if isinstance(first["suspect"], str) else ""
        cells += [_fmt(float(first["experimental_ea_ev"])) + flag, str(first["doi"] or "")]
        del name
        lines.append("| " + " | ".join(cells) + " |")
    metric_head = [
        "method",
        "potential",
        "subset",
        "N",
        "R²",
        "MAE (eV)",
        "RMSE (eV)",
        "unconverged excluded",
        "failed",
    ]
    lines += ["", "| " + " | ".join(metric_head) + " |", "|" + "---|" * len(metric_head)]
    for m in bench.metrics.to_dict(orient="records"):
        lines.append(
            f"| {m['method']} | {m['potential']} | {m['subset']} | {int(m['n'])} | {_fmt(m['r2'])} | "
            f"{_fmt(m['mae_ev'])} | {_fmt(m['rmse_ev'])} | {m['n_unconverged_excluded']} | {m['n_failed']} |"
        )
    return "\n".join(lines) + "\n"
