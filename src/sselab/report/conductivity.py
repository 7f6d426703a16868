"""Figure in the style of the seed paper's Figure 1b: σ(T) of hydride electrolytes, coloured by cation.

Example::

    >>> from sselab.report.conductivity import plot_hydride_conductivity
    >>> plot_hydride_conductivity(store.conductivity_frame(), store.activation_energy_frame(),
    ...                           "out/figure1b_hydride_conductivity.png")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)

HYDRIDE_FAMILIES = (
    "nido-borane",
    "arachno-borane",
    "closo-borane",
    "closo-carborane",
    "nido-carborane",
    "amide",
    "imide",
    "hydride",
    "alanate",
    "amidoborane",
)
"""Anion families (:mod:`sselab.chem.families`) counted as hydride electrolytes."""
CATION_COLOURS = {
    "Li": "#1f77b4",
    "Na": "#ff7f0e",
    "K": "#2ca02c",
    "Mg": "#d62728",
    "Ca": "#9467bd",
    "Zn": "#8c564b",
}
_OTHER_COLOUR = "#7f7f7f"
_SIZE_MIN, _SIZE_PER_EV = 15.0, 160.0


@dataclass(frozen=True)
class HydrideFigureSummary:
    """What the figure shows (counts), for captions and tests.

    Attributes
    ----------
    conductivity_points, conductivity_materials
        σ(T) points and materials of hydride families in the left panel.
    points_with_ea
        Of those points, how many have an experimental Ea for the same formula (sized by it).
    ea_values, ea_materials
        Hydride Ea values and materials in the right panel.
    path
        The PNG written.
    """

    conductivity_points: int
    conductivity_materials: int
    points_with_ea: int
    ea_values: int
    ea_materials: int
    path: Path


def _key(formula: pd.Series) -> pd.Series:
    return formula.astype(str).str.replace(r"\s+", "", regex=True)


def hydride_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of a store frame whose anion family is one of :data:`HYDRIDE_FAMILIES`."""
    return frame[frame["anion_family"].isin(HYDRIDE_FAMILIES)].copy()


def plot_hydride_conductivity(
    conductivity_df: pd.DataFrame, ea_df: pd.DataFrame, path: str | Path
) -> HydrideFigureSummary:
    """Plot log10 σ against 1000/T for hydrides (left) and their Ea by cation (right); write a PNG.

    Parameters
    ----------
    conductivity_df
        ``Store.conductivity_frame()`` (columns ``formula, cation, anion_family, temperature_k,
        conductivity_s_per_cm``).
    ea_df
        ``Store.activation_energy_frame()`` (columns ``formula, cation, anion_family, activation_energy_ev,
        method, phase``); only ``method == "experiment"`` rows are used.
    path
        Output PNG.

    Notes
    -----
    Point size in the left panel is the median experimental Ea (eV) of the same formula (matched as written,
    spaces ignored); points without a known Ea are drawn as small open markers.
    """
    # lazy: matplotlib takes ~0.5 s to import; only drawing a figure needs it
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    sigma = hydride_rows(conductivity_df)
    sigma = sigma[(sigma["temperature_k"] > 0) & (sigma["conductivity_s_per_cm"] > 0)]
    ea = hydride_rows(ea_df[ea_df["method"] == "experiment"])
    ea_by_formula = ea.assign(key=_key(ea["formula"])).groupby("key")["activation_energy_ev"].median()
    sigma = sigma.assign(ea_ev=_key(sigma["formula"]).map(ea_by_formula))

    fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 5.6), gridspec_kw={"width_ratios": [1.5, 1]})
    _conductivity_panel(left, sigma)
    _ea_panel(right, ea)
    fig.suptitle(
        "Hydride solid electrolytes in the public datasets (style of Wang et al. 2025, Fig. 1b)", fontsize=12
    )
    caption = (
        f"Left: {len(sigma)} σ(T) points of {sigma['formula'].nunique()} hydride materials "
        "(Li only: the public σ(T) sets are Li datasets); size = experimental Ea of the same formula "
        f"where known ({int(sigma['ea_ev'].notna().sum())} points), open = Ea unknown. "
        f"Right: {len(ea)} experimental Ea of {ea['formula'].nunique()} hydrides "
        "(wang2025-ea has Ea but no σ(T))."
    )
    fig.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize=8.5, wrap=True)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    logger.info("wrote %s", path)
    return HydrideFigureSummary(
        conductivity_points=len(sigma),
        conductivity_materials=int(sigma["formula"].nunique()),
        points_with_ea=int(sigma["ea_ev"].notna().sum()),
        ea_values=len(ea),
        ea_materials=int(ea["formula"].nunique()),
        path=path,
    )


def _conductivity_panel(axis: Axes, sigma: pd.DataFrame) -> None:
    for cation, group in sigma.groupby(sigma["cation"].fillna("?")):
        colour = CATION_COLOURS.get(str(cation), _OTHER_COLOUR)
        x = 1000.0 / group["temperature_k"].to_numpy()
        y = np.log10(group["conductivity_s_per_cm"].to_numpy())
        known = group["ea_ev"].notna().to_numpy()
        sizes = _SIZE_MIN + _SIZE_PER_EV * group["ea_ev"].fillna(0).to_numpy()
        axis.scatter(
            x[known],
            y[known],
            s=sizes[known],
            color=colour,
            alpha=0.7,
            edgecolor="k",
            lw=0.5,
            label=f"{cation} (Ea known)" if known.any() else None,
        )
        axis.scatter(
            x[~known],
            y[~known],
            s=28,
            facecolor="none",
            edgecolor=colour,
            lw=1.2,
            label=f"{cation} (Ea unknown)" if (~known).any() else None,
        )
    _label_materials(axis, sigma)
    if len(sigma):
        x_all = 1000.0 / sigma["temperature_k"]
        axis.set_xlim(min(x_all.min() - 0.15, 2.4), max(x_all.max() + 0.45, 3.9))
    for ea_ev in (0.3, 0.6, 0.9):
        axis.scatter(
            [],
            [],
            s=_SIZE_MIN + _SIZE_PER_EV * ea_ev,
            color="0.6",
            edgecolor="k",
            lw=0.5,
            label=f"Ea = {ea_ev} eV",
        )
    axis.set_xlabel("1000 / T (K$^{-1}$)")
    axis.set_ylabel("log$_{10}$ σ (S cm$^{-1}$)")
    axis.set_title("Ionic conductivity of hydrides")
    axis.grid(alpha=0.3)
    if len(sigma):
        axis.legend(fontsize=7.5, loc="best", framealpha=0.8)
    else:
        axis.text(0.5, 0.5, "no hydride σ(T) in the store", ha="center", transform=axis.transAxes)


def _label_materials(axis: Axes, sigma: pd.DataFrame, min_gap: float = 0.28) -> None:
    """Label each material once at its lowest-temperature point; labels spread vertically to stay readable."""
    if sigma.empty:
        return
    first = sigma.sort_values("temperature_k").groupby("formula", sort=False).head(1)
    points = sorted(
        zip(
            np.log10(first["conductivity_s_per_cm"].to_numpy(dtype=float)).tolist(),
            (1000.0 / first["temperature_k"].to_numpy(dtype=float)).tolist(),
            first["formula"].astype(str).tolist(),
            strict=True,
        )
    )
    placed: list[float] = []
    for y, _x, _name in points:
        placed.append(max(y, placed[-1] + min_gap) if placed else y)
    shift = (placed[-1] - points[-1][0]) / 2 if placed else 0.0
    for (y, x, name), y_text in zip(points, placed, strict=True):
        axis.annotate(
            name,
            (x, y),
            xytext=(x + 0.12, y_text - shift),
            fontsize=7,
            va="center",
            arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5},
        )


def _ea_panel(axis: Axes, ea: pd.DataFrame) -> None:
    cations = [c for c in CATION_COLOURS if c in set(ea["cation"])] + sorted(
        set(ea["cation"].dropna()) - set(CATION_COLOURS)
    )
    rng = np.random.default_rng(0)  # jitter only, fixed for a reproducible figure
    markers = {"low-T": "o", "high-T": "^"}
    for position, cation in enumerate(cations):
        group = ea[ea["cation"] == cation]
        for phase, rows in group.groupby(group["phase"].fillna("n/a")):
            x = position + rng.uniform(-0.22, 0.22, len(rows))
            axis.scatter(
                x,
                rows["activation_energy_ev"],
                s=22,
                alpha=0.75,
                color=CATION_COLOURS.get(cation, _OTHER_COLOUR),
                marker=markers.get(str(phase), "s"),
                edgecolor="k",
                lw=0.3,
            )
        axis.text(
            position,
            -0.08,
            f"n={len(group)}",
            ha="center",
            va="top",
            fontsize=7,
            transform=axis.get_xaxis_transform(),
        )
    for phase, marker in markers.items():
        axis.scatter([], [], marker=marker, color="0.5", label=f"{phase} phase")
    axis.set_xticks(range(len(cations)), cations)
    axis.set_ylabel("experimental Ea (eV)")
    axis.set_title("Activation energy by cation")
    axis.grid(alpha=0.3, axis="y")
    axis.legend(fontsize=8)
