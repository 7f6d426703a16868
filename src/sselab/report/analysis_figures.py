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
    # lazy: matplotlib takes ~0.5 s to import; only drawing a figure needs it
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width_in, height_in), dpi=130)


def _save(fig: Any, path: str | Path) -> Path:
    # lazy: matplotlib takes ~0.5 s to import; only drawing a figure needs it
    import matplotlib.pyplot as plt

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)
    return target


def r2_bars(scan: Any, path: str | Path, n_pairs: int = 6) -> Path:
    """Figure 3a: R² of each single-descriptor fit and of the best ``n_pairs`` pairs (rows used per bar), with
    the leave-one-out R² of each fit as a black marker."""
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
    if "loo_r2" in singles.columns:  # leave-one-out R² of each fit (LOOCV); ≤ 0 drawn on the axis
        loo = np.r_[singles["loo_r2"].to_numpy(dtype=float), pairs["loo_r2"].to_numpy(dtype=float)]
        shown = np.isfinite(loo)
        ax.scatter(x[shown], np.clip(loo[shown], 0.0, None), marker="D", s=14, color="black", zorder=3,
                   label="leave-one-out R² (≤ 0 drawn at 0)")  # fmt: skip
        ax.legend(fontsize=7, loc="upper right")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylabel("R²")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Ea vs descriptors ({scan.subset.name}, {scan.aggregation}); blue single, red pairs")
    return _save(fig, path)


def shared_axis(models: Mapping[str, Any]) -> str | None:
    """The one descriptor every model is a line on (e.g. ``"x_wang2025_ds2"``), or ``None``."""
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


_AXIS_LABELS = {
    "x_wang2025": "x = −0.059·X + 0.0029·r_atom (printed weights, pymatgen data)",
    "x_wang2025_ds2": "x (Wang et al. 2025, as in Supplementary Dataset 2)",
}

#: Marker of a training row by its source: MetaD filled, experiment open (as the paper draws them).
_SOURCE_STYLE = {
    "MetaD": {"marker": "o", "filled": True},
    "experiment": {"marker": "s", "filled": False},
}


def _training_points(ax: Any, label: str, model: Any, x: np.ndarray, colour: str) -> None:
    rows = model.training_rows_
    methods = (
        rows["method"].fillna("experiment") if "method" in rows else pd.Series(["experiment"] * len(rows))
    )
    for method in sorted(set(methods)):
        mask = (methods == method).to_numpy()
        style = _SOURCE_STYLE.get(str(method), {"marker": "^", "filled": True})
        ax.scatter(
            x[mask], rows["activation_energy_ev"].to_numpy(dtype=float)[mask], s=26, marker=style["marker"],
            facecolors=colour if style["filled"] else "none", edgecolors=colour,
            label=f"{label} training: {method} (n={int(mask.sum())})",
        )  # fmt: skip


def _line_label(label: str, model: Any, terms: str) -> str:
    r2 = getattr(model, "r2_", None)
    quality = f"; R²={float(r2):.2f}, N={model.n_train_}" if r2 is not None else ""
    return f"{label} {model.origin}: Ea = {terms} {model.intercept_:+.3g}{quality}"


def ea_vs_combination(
    models: Mapping[str, Any], path: str | Path, published: Mapping[str, Any] | None = None
) -> Path:
    """Figure 3b: training Ea against x by source, the fitted lines, and the published lines beside them.

    When every model is a line on the same single descriptor (the paper's case: y1 and y2 both on x) all share
    that x axis and each line is slope·x + intercept, solid over its training rows and dashed over the rest of
    the axis; otherwise each model is drawn against its own fitted combination x = Σ a_i·P_i (eV). Training
    rows are drawn by source: MetaD filled circles, experiments open squares, other computed rows triangles.
    ``published`` lines (e.g. ``wang2025-y1``/``-y2``) on the same axis are drawn dash-dotted over the x range
    of the candidates they were recovered from; on another axis they are left out and the title says so.
    """
    published = dict(published or {})
    shared = shared_axis(models) if models else shared_axis(published)
    drawable = {k: m for k, m in published.items() if shared is not None and shared_axis({"_": m}) == shared}
    values = {label: combination_values(m, m.training_rows_, shared) for label, m in models.items()}
    spans = [v for v in values.values() if len(v)]
    spans += [np.array([m.recovery_["x_min"], m.recovery_["x_max"]]) for m in drawable.values()]
    span = np.concatenate(spans) if spans else np.zeros(1)
    fig, ax = _figure(7.0, 4.6)
    for k, (label, model) in enumerate(models.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        x = values[label]
        _training_points(ax, label, model, x, colour)
        grid = np.linspace(x.min(), x.max(), 50)
        terms = " ".join(f"{c:+.3g}·{d}" for c, d in zip(model.coef_, model.descriptors, strict=True))
        line = grid * float(model.coef_[0]) + model.intercept_ if shared else grid + model.intercept_
        ax.plot(grid, line, color=colour, label=_line_label(label, model, terms))
        if shared:
            full = np.linspace(span.min(), span.max(), 50)
            ax.plot(full, full * float(model.coef_[0]) + model.intercept_, color=colour, ls="--", lw=0.8)
    for k, (label, model) in enumerate(sorted(drawable.items())):
        rec = model.recovery_
        grid = np.linspace(rec["x_min"], rec["x_max"], 50)
        ax.plot(
            grid, grid * float(model.coef_[0]) + model.intercept_, color=("black", "dimgrey")[k % 2], ls="-.",
            lw=1.4, label=f"{label} {model.label}: Ea = {model.coef_[0]:.3g}·x {model.intercept_:+.3g}",
        )  # fmt: skip
    left_out = sorted(set(published) - set(drawable))
    if left_out:
        ax.set_title(f"published {', '.join(left_out)} not drawn: they use another x", fontsize=8)
    ax.set_xlabel(_AXIS_LABELS.get(shared or "", shared or "x = Σ a_i·P_i of each model (eV)"))
    ax.set_ylabel("Ea (eV)")
    ax.legend(fontsize=6)
    return _save(fig, path)


def candidate_predictions(result: Any, path: str | Path, label_top: int = 3) -> Path:
    """Figure 4a: predicted Ea of every candidate per route, intervals and flags; best ``label_top`` named.

    When every route's model is a line on one descriptor (the paper's y1/y2 on x), Ea is drawn against that x
    (the candidates then lie on the lines, as in the paper's figure); otherwise against the candidate's
    position within its route (lowest Ea first). Error bars show the prediction interval where the model has
    one; unranked predictions (Ea ≤ 0 or interval below 0) are grey crosses.
    """
    predictions = result.predictions
    descriptors = {tuple(p["descriptors"]) for p in result.models.values()}
    axis = next(iter(descriptors))[0] if len(descriptors) == 1 and len(next(iter(descriptors))) == 1 else None
    fig, ax = _figure(7.5, 4.6)
    for k, (label, group) in enumerate(predictions.groupby("model", sort=True)):
        colour = _COLOURS[k % len(_COLOURS)]
        group = group.sort_values("predicted_ea_ev")
        x = group[axis].to_numpy(dtype=float) if axis else np.arange(len(group), dtype=float)
        ea = group["predicted_ea_ev"].to_numpy(dtype=float)
        ranked = group["rank"].notna().to_numpy()
        if np.isfinite(group["ea_lower_ev"].to_numpy(dtype=float)).any():
            err = np.vstack([ea - group["ea_lower_ev"].to_numpy(dtype=float),
                             group["ea_upper_ev"].to_numpy(dtype=float) - ea])  # fmt: skip
            ax.errorbar(x, ea, yerr=err, fmt="none", ecolor=colour, alpha=0.15, lw=0.6)
        kind = result.models[str(label)].get("origin", "")
        ax.scatter(x[ranked], ea[ranked], s=8, color=colour, label=f"{label} ({kind}, {len(group)})")
        if (~ranked).any():
            ax.scatter(x[~ranked], ea[~ranked], s=10, marker="x", color="grey",
                       label=f"{label}: not ranked ({int((~ranked).sum())})")  # fmt: skip
        for i, row in enumerate(group[ranked].head(label_top).itertuples()):
            xv = (
                getattr(row, axis)
                if axis
                else float(np.flatnonzero(group["formula"].to_numpy() == row.formula)[0])
            )
            offset = (30, 14 + 11 * i) if k % 2 == 0 else (30, -16 - 11 * i)
            ax.annotate(
                str(row.formula),
                (xv, row.predicted_ea_ev),
                fontsize=6,
                color=colour,
                xytext=offset,
                textcoords="offset points",
                arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.4},
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    ax.axhline(0.0, color="black", lw=0.5)
    ax.set_xlabel(_AXIS_LABELS.get(axis or "", axis or "candidate within its route (lowest Ea first)"))
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
