"""Arrhenius plot: log10 σ (or log10 σT) against 1000/T, with the fitted line(s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from sselab.transport.arrhenius import ArrheniusFit
from sselab.transport.segments import TwoSegmentFit


def plot_arrhenius(
    fit: ArrheniusFit | TwoSegmentFit,
    temperature_k: ArrayLike,
    conductivity_s_per_cm: ArrayLike,
    path: str | Path,
    title: str | None = None,
) -> Path:
    """Write an Arrhenius plot as PNG (matplotlib, Agg canvas; no display needed).

    Parameters
    ----------
    fit
        The fit to draw (one line, or two segments with the breakpoint marked).
    temperature_k, conductivity_s_per_cm
        The measured points, K and S/cm.
    path
        PNG file to write (parent folders are created).
    title
        Figure title (e.g. the formula).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    # lazy: matplotlib takes ~0.5 s to import; only drawing a figure needs it
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    temperature = np.asarray(temperature_k, dtype=float)
    sigma = np.asarray(conductivity_s_per_cm, dtype=float)
    sigma_t = fit.form == "sigma_t"
    figure = Figure(figsize=(5.0, 4.0), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    y = np.log10(sigma * temperature) if sigma_t else np.log10(sigma)
    axes.plot(1000.0 / temperature, y, "o", color="0.2", label="measured")
    segments = [("fit", fit)] if isinstance(fit, ArrheniusFit) else [("low T", fit.low), ("high T", fit.high)]
    for name, segment in segments:
        grid = np.linspace(segment.temperature_min_k, segment.temperature_max_k, 50)
        line = segment.predict(grid)
        line_y = np.log10(line * grid) if sigma_t else np.log10(line)
        label = f"{name}: Ea = {segment.activation_energy_ev:.3f} ± {segment.stderr_ev:.3f} eV"
        axes.plot(1000.0 / grid, line_y, "-", label=label)
    if isinstance(fit, TwoSegmentFit):
        axes.axvline(
            1000.0 / fit.breakpoint_k, color="0.5", ls="--", lw=1, label=f"T = {fit.breakpoint_k:.0f} K"
        )
    axes.set_xlabel("1000/T (1/K)")
    axes.set_ylabel("log10(σT / S K cm⁻¹)" if sigma_t else "log10(σ / S cm⁻¹)")
    if title:
        axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)
    figure.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, format="png")
    return out
