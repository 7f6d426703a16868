"""Figures of the other methods: the CI-NEB energy profile and the MSD curves of an MD-Arrhenius run (PNG).

They use matplotlib's object API (``matplotlib.figure.Figure``), so importing sselab never changes the
backend of a notebook. The metadynamics figures are in :mod:`sselab.simulate.metad.figures`.

Example
-------
>>> plot_neb_profile([0.0, 1.0, 2.0], [0.0, 0.4, 0.0], "/tmp/neb_profile.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy.interpolate import PchipInterpolator

from sselab.transport.msd import MSDFit

__all__ = ["plot_msd", "plot_neb_profile"]


def plot_neb_profile(
    reaction_coordinate_a: Sequence[float], energies_ev: Sequence[float], path: str | Path
) -> Path:
    """Draw a band's energy (eV, relative to the first image) against its reaction coordinate (Å)."""
    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    s = np.asarray(reaction_coordinate_a, float)
    e = np.asarray(energies_ev, float)
    fig = Figure(figsize=(4.5, 3.2), dpi=150)
    ax = fig.subplots()
    if len(s) > 2 and np.all(np.diff(s) > 0):
        fine = np.linspace(s[0], s[-1], 200)
        ax.plot(fine, PchipInterpolator(s, e)(fine), color="0.6", lw=1)
    ax.plot(s, e, "o", color="C0")
    ax.set_xlabel("reaction coordinate (Å)")
    ax.set_ylabel("energy (eV)")
    ax.set_title(f"CI-NEB: forward {e.max():.3f} eV, reverse {e.max() - e[-1]:.3f} eV", fontsize=8)
    fig.tight_layout()
    fig.savefig(destination)
    return destination


def plot_msd(temperatures_k: Sequence[float], fits: Sequence[MSDFit], cation: str, path: str | Path) -> Path:
    """MSD (Å²) against lag time (ps) at every temperature (K), with the fitted lines."""
    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(4.5, 3.2), dpi=150)
    ax = fig.subplots()
    for k, (temperature, fit) in enumerate(zip(temperatures_k, fits, strict=True)):
        ax.plot(fit.lag_fs / 1000, fit.msd_a2, color=f"C{k}", lw=1, label=f"{temperature:g} K")
        span = np.array([fit.fit_start_fs, fit.fit_end_fs])
        ax.plot(span / 1000, fit.slope_a2_per_fs * span + fit.intercept_a2, "--", color=f"C{k}", lw=1)
    ax.set_xlabel("lag time (ps)")
    ax.set_ylabel(f"MSD of {cation} (Å$^2$)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(destination)
    return destination
