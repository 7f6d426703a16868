"""Figures of the Ea analysis: R² bars (Figure 3a), Ea against the fitted combination (3b), predicted Ea per
candidate (4a) and the method parity plot (1c, 2b). Each function writes a PNG and returns its path.

Example
-------
>>> from sselab.report.analysis_figures import r2_bars
>>> r2_bars(scan, "fig3a.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _figure(width_in: float = 6.4, height_in: float = 4.2) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width_in, height_in), dpi=130)


def _save(fig: Any, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)
    return target


def r2_bars(scan: Any, path: str | Path, n_pairs: int = 6) -> Path:
    """Figure 3a: R² of each single-descriptor fit and of the best ``n_pairs`` pairs (rows used per bar)."""
    singles = scan.singles
    pairs = scan.best_pairs(n_pairs, by="r2")
    labels = [*singles["descriptor"], *(f"{a}+{b}" for a, b in zip(pairs["p1"], pairs["p2"], strict=True))]
    values = np.r_[singles["r2"].to_numpy(dtype=float), pairs["r2"].to_numpy(dtype=float)]
    counts = [*singles["n"], *pairs["n"]]
    colours = [_COLOURS[0]] * len(singles) + [_COLOURS[1]] * len(pairs)
    fig, ax = _figure(7.5, 4.2)
    x = np.arange(len(labels))
    ax.bar(x, np.nan_to_num(values), color=colours)
    for xi, value, n in zip(x, values, counts, strict=True):
        ax.text(
            xi,
            (0 if np.isnan(value) else value) + 0.01,
            "n/a" if np.isnan(value) else f"n={n}",
            ha="center",
            fontsize=7,
        )
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylabel("R²")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Ea vs descriptors ({scan.subset.name}, {scan.aggregation}); blue single, red pairs")
    return _save(fig, path)


def shared_axis(models: Mapping[str, Any]) -> str | None:
    """The one descriptor every model is a line on (e.g. ``"x_wang2025"``), or ``None``."""
    names = {tuple(model.descriptors) for model in models.values()}
    if len(names) == 1:
        (only,) = names
        if len(only) == 1:
            return str(only[0])
    return None


def combination_values(model: Any, rows: pd.DataFrame, shared: str | None) -> np.ndarray:
    """The x plotted for ``rows``: the shared descriptor itself, else the model's own Σ a_i·P_i (eV)."""
    if shared is not None:
        return np.asarray(rows[shared].to_numpy(dtype=float))
    return np.asarray(rows[list(model.descriptors)].to_numpy(dtype=float) @ model.coef_)


def ea_vs_combination(models: Mapping[str, Any], path: str | Path) -> Path:
    """Figure 3b: training Ea against x, with each model's line.

    When every model is a line on the same single descriptor (the paper's case: y1 and y2 both fitted on
    ``x_wang2025`` = −0.059·X + 0.0029·r_atom), all share that x axis and each line is slope·x + intercept;
    otherwise each model is drawn against its own fitted combination x = Σ a_i·P_i (eV) with the line x + b.
    On a shared axis each line is solid over its training rows and dashed over the rest of the axis.
    """
    shared = shared_axis(models)
    values = {label: combination_values(m, m.training_rows_, shared) for label, m in models.items()}
    span = np.concatenate(list(values.values())) if values else np.zeros(1)
    fig, ax = _figure()
    for k, (label, model) in enumerate(models.items()):
        rows = model.training_rows_
        x = values[label]
        colour = _COLOURS[k % len(_COLOURS)]
        ax.scatter(x, rows["activation_energy_ev"], color=colour, s=18, label=f"{label} data (n={len(rows)})")
        grid = np.linspace(x.min(), x.max(), 50)
        r2 = float(getattr(model, "r2_", float("nan")))
        terms = " ".join(f"{c:+.3g}·{d}" for c, d in zip(model.coef_, model.descriptors, strict=True))
        line = grid * float(model.coef_[0]) + model.intercept_ if shared else grid + model.intercept_
        ax.plot(grid, line, color=colour, label=f"{label}: Ea = {terms} {model.intercept_:+.3g}; R²={r2:.2f}")
        if shared:  # the line continued over the shared axis, dashed outside its own training range
            full = np.linspace(span.min(), span.max(), 50)
            ax.plot(full, full * float(model.coef_[0]) + model.intercept_, color=colour, ls="--", lw=0.8)
    if shared == "x_wang2025":
        ax.set_xlabel("x = −0.059·X + 0.0029·r_atom (Wang et al. 2025, Fig. 3b)")
    elif shared is not None:
        ax.set_xlabel(shared)
    else:
        ax.set_xlabel("x = Σ a_i·P_i of each model (eV)")
    ax.set_ylabel("Ea (eV)")
    ax.legend(fontsize=6)
    return _save(fig, path)


def candidate_predictions(result: Any, path: str | Path, label_top: int = 3) -> Path:
    """Figure 4a: predicted Ea of every candidate per model ; the lowest ``label_top`` named."""
    predictions = result.predictions
    fig, ax = _figure(7.5, 4.2)
    for k, (label, group) in enumerate(predictions.groupby("model", sort=True)):
        colour = _COLOURS[k % len(_COLOURS)]
        ax.scatter(
            group["candidate_id"],
            group["predicted_ea_ev"],
            s=6,
            color=colour,
            label=f"{label} ({len(group)})",
        )
        for row in group.nsmallest(label_top, "predicted_ea_ev").itertuples():
            ax.annotate(str(row.formula), (row.candidate_id, row.predicted_ea_ev), fontsize=6, color=colour)
    ax.set_xlabel("candidate (cation × anion × molecule × n)")
    ax.set_ylabel("predicted Ea (eV)")
    ax.legend(fontsize=7)
    return _save(fig, path)


def parity_plot(pairs: pd.DataFrame, metrics: pd.DataFrame, path: str | Path) -> Path:
    """Figures 1c/2b: computed against experimental Ea (eV) per method, with R² and N in the legend."""
    fig, ax = _figure(5.0, 5.0)
    r2_of = {str(k): float(v) for k, v in zip(metrics["method"], metrics["r2"], strict=True)}
    for k, (method, group) in enumerate(pairs.groupby("method", sort=True)):
        r2 = r2_of[str(method)]
        ax.scatter(group["experiment_ev"], group["computed_ev"], s=20, color=_COLOURS[k % len(_COLOURS)],
                   label=f"{method}: R²={r2:.2f}, N={len(group)}")  # fmt: skip
    values = np.r_[pairs["experiment_ev"].to_numpy(dtype=float), pairs["computed_ev"].to_numpy(dtype=float)]
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    pad = 0.05 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="grey", lw=1)
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("experimental Ea (eV)")
    ax.set_ylabel("computed Ea (eV)")
    ax.legend(fontsize=7)
    return _save(fig, path)
