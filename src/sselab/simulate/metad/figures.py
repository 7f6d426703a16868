"""Figures of a metadynamics run: the FES with its path (like Wang et al. 2025, Figure 2g) and the ion's
projected track (Figure 2d). PNG files through matplotlib's object API (no pyplot, no global backend change).

Example
-------
>>> plot_fes(result.fes, result.barriers, "fes.png")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sselab.simulate.metad.barriers import BarrierResult
from sselab.simulate.metad.fes import FES
from sselab.simulate.metad.plumed import ColvarData

__all__ = ["plot_barrier_convergence", "plot_fes", "plot_track"]


def _title(barriers: BarrierResult | None) -> str:
    if barriers is None:
        return "no barrier found"
    unc = f" ± {barriers.uncertainty_ev:.2f}" if barriers.uncertainty_ev is not None else ""
    if barriers.kind == "two-step":
        parts = f"Ea1 {barriers.ea1_ev:.2f}, Ea2 {barriers.ea2_ev:.2f}"
        return f"two-step: {parts}, span {barriers.effective_ev:.2f}{unc} eV"
    return f"one-step: Ea = {barriers.effective_ev:.2f}{unc} eV"


def plot_fes(fes: FES, barriers: BarrierResult | None, path: str | Path) -> Path:
    """FES as a curve (1D) or a contour map with the minimum free-energy path (2D); returns the PNG."""
    path = Path(path)
    fig = Figure(figsize=(5.5, 4.2), dpi=120)
    ax = fig.subplots()
    f = np.where(np.isfinite(fes.free_energy_ev), fes.free_energy_ev, np.nan)
    if fes.method == "hills":  # unexplored cells (no hill nearby) sit flat at the maximum: leave them blank
        f = np.where(f >= np.nanmax(f) - 1e-6, np.nan, f)
    if fes.ndim == 1:
        ax.plot(fes.axes[0], f, color="k")
        ax.set_xlabel(fes.cv_names[0])
        ax.set_ylabel("free energy (eV)")
        if barriers is not None:
            for p in barriers.minima:
                ax.plot(p.position[0], p.free_energy_ev, "o", color="tab:blue")
            for p in barriers.saddles:
                ax.plot(p.position[0], p.free_energy_ev, "^", color="tab:red")
    else:
        x, y = fes.axes[0], fes.axes[1]
        levels = np.linspace(0.0, np.nanmax(f), 25)
        cs = ax.contourf(x, y, f.T, levels=levels, cmap="viridis")
        fig.colorbar(cs, ax=ax, label="free energy (eV)", format="%.2f")
        ax.set_xlabel(fes.cv_names[0])
        ax.set_ylabel(fes.cv_names[1])
        if barriers is not None and len(barriers.path):
            ax.plot(barriers.path[:, 0], barriers.path[:, 1], color="w", lw=1.5)
            for p in barriers.saddles:
                ax.plot(*p.position, "^", color="tab:red")
            for p in barriers.minima:
                ax.plot(*p.position, "o", color="w")
    ax.set_title(_title(barriers), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_track(colvar: ColvarData, path: str | Path) -> Path:
    """The ion's projected track: CV 2 vs CV 1 coloured by time (2+ CVs), or CV vs time (1 CV)."""
    path = Path(path)
    fig = Figure(figsize=(5.0, 4.0), dpi=120)
    ax = fig.subplots()
    if colvar.values.shape[1] >= 2:
        sc = ax.scatter(colvar.values[:, 0], colvar.values[:, 1], c=colvar.times_ps, s=3, cmap="plasma")
        fig.colorbar(sc, ax=ax, label="time (ps)")
        ax.set_xlabel(colvar.cv_names[0])
        ax.set_ylabel(colvar.cv_names[1])
        ax.set_aspect("equal", adjustable="datalim")
    else:
        ax.plot(colvar.times_ps, colvar.values[:, 0], lw=0.6)
        ax.set_xlabel("time (ps)")
        ax.set_ylabel(colvar.cv_names[0])
    ax.set_title("projected track of the migrating ion", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_barrier_convergence(times_ps: list[float], barriers_ev: list[float], path: str | Path) -> Path:
    """Barrier estimated from the hills up to each time (convergence in time)."""
    path = Path(path)
    fig = Figure(figsize=(4.5, 3.2), dpi=120)
    ax = fig.subplots()
    ax.plot(times_ps, barriers_ev, "o-")
    ax.set_xlabel("time (ps)")
    ax.set_ylabel("rate-determining Ea (eV)")
    fig.tight_layout()
    fig.savefig(path)
    return path
