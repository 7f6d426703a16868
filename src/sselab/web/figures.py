"""Plotly figures of the pages, as plain JSON-ready dicts (drawn in the browser by the bundled plotly.js).

Every trace carries ``meta={"kind": "points"}`` (measured or computed values) or ``{"kind": "fit"}`` (a
fitted line), so that a page and its tests can count what is drawn.

Example::

    >>> import json
    >>> import pandas as pd
    >>> from sselab.web.figures import parity_figure
    >>> fig = parity_figure(pd.DataFrame(columns=["method", "formula", "computed_ev", "experiment_ev"]))
    >>> json.loads(fig)["layout"]["xaxis"]["title"]["text"]
    'experimental Ea (eV)'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from sselab.transport.arrhenius import ArrheniusFit
from sselab.web.analysis import SourceFits, fit_line

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
METHOD_SYMBOLS = {
    "MetaD": "circle",
    "CI-NEB": "square",
    "AIMD": "diamond",
    "MLMD": "triangle-up",
    "BVSE": "cross",
    "regression": "x",
    "composite": "star",
}


def _layout(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "template": "plotly_white",
        "margin": {"l": 70, "r": 20, "t": 40, "b": 60},
        "legend": {"font": {"size": 11}},
        "height": 480,
    }
    base.update(extra)
    return base


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON text that is safe inside an HTML ``<script type="application/json">`` element
    (``<``, ``>`` and ``&`` escaped as JSON unicode escapes)."""
    text = pio.to_json(fig, validate=False, pretty=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _source_texts(points: pd.DataFrame) -> list[str]:
    """Each point's source as a reader names it: DOI, else citation, else "no source"."""
    if "doi" not in points:
        return [""] * len(points)
    doi = points["doi"]
    if "citation" in points:
        doi = doi.fillna(points["citation"])
    return doi.fillna("no source").astype(str).tolist()


def arrhenius_figure(groups: list[tuple[str, pd.DataFrame, SourceFits]], title: str) -> str:
    """log10 σ against 1000/T: the points of each group and its fitted lines (Figure 1b style).

    Parameters
    ----------
    groups
        (label, σ(T) points with ``temperature_k``/``conductivity_s_per_cm``/``doi``, fits) per material or
        source; each group gets one colour.
    title
        Figure title.
    """
    fig = go.Figure()
    for index, (label, points, fits) in enumerate(groups):
        colour = PALETTE[index % len(PALETTE)]
        t = points["temperature_k"].to_numpy(dtype=float)
        sigma = points["conductivity_s_per_cm"].to_numpy(dtype=float)
        sources = _source_texts(points)
        fig.add_trace(
            go.Scatter(
                x=(1000.0 / t).tolist(),
                y=np.log10(sigma).tolist(),
                mode="markers",
                name=label,
                meta={"kind": "points"},
                marker={"color": colour, "size": 8},
                customdata=[[float(a), float(b), c] for a, b, c in zip(t, sigma, sources, strict=True)],
                hovertemplate="T = %{customdata[0]:.1f} K<br>σ = %{customdata[1]:.3g} S/cm"
                "<br>%{customdata[2]}<extra>" + label + "</extra>",
            )
        )
        for item in fits.fits:
            fit = item.fit
            assert isinstance(fit, ArrheniusFit)
            x, y = fit_line(fit)
            fig.add_trace(
                go.Scatter(
                    x=x.tolist(),
                    y=y.tolist(),
                    mode="lines",
                    meta={"kind": "fit"},
                    line={"color": colour},
                    name=f"fit {item.source_label or 'pooled'}: "
                    f"Ea = {fit.activation_energy_ev:.3f} ± {fit.stderr_ev:.3f} eV",
                )
            )
            segmented = fits.two_segment.get(item.group_key)
            if segmented is not None and segmented.break_supported:
                for part, segment in (("low T", segmented.low), ("high T", segmented.high)):
                    x, y = fit_line(segment)
                    fig.add_trace(
                        go.Scatter(
                            x=x.tolist(),
                            y=y.tolist(),
                            mode="lines",
                            meta={"kind": "fit"},
                            line={"color": colour, "dash": "dash"},
                            name=f"{part} (break {segmented.breakpoint_k:.0f} K): "
                            f"Ea = {segment.activation_energy_ev:.3f} eV",
                        )
                    )
    fig.update_layout(
        **_layout(
            title={"text": title, "font": {"size": 14}},
            xaxis={"title": {"text": "1000/T (1/K)"}},
            yaxis={"title": {"text": "log10 σ (S/cm)"}},
        )
    )
    return figure_json(fig)


def parity_figure(pairs: pd.DataFrame) -> str:
    """Computed against experimental Ea (eV), one marker symbol per method, with the y = x line
    (Figures 1c and 2b)."""
    fig = go.Figure()
    values = pd.concat([pairs["computed_ev"], pairs["experiment_ev"]]).astype(float)
    low = float(min(0.0, values.min())) if len(values) else 0.0
    high = float(values.max()) * 1.1 if len(values) else 1.5
    for index, (method, group) in enumerate(pairs.groupby("method", sort=True)):
        fig.add_trace(
            go.Scatter(
                x=group["experiment_ev"].astype(float).tolist(),
                y=group["computed_ev"].astype(float).tolist(),
                mode="markers",
                name=str(method),
                meta={"kind": "points"},
                text=group["formula"].astype(str).tolist(),
                marker={
                    "color": PALETTE[index % len(PALETTE)],
                    "size": 10,
                    "symbol": METHOD_SYMBOLS.get(str(method), "circle"),
                },
                hovertemplate="%{text}<br>experiment %{x:.3f} eV<br>computed %{y:.3f} eV<extra>"
                + str(method)
                + "</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            name="y = x",
            meta={"kind": "fit"},
            line={"color": "#999", "dash": "dot"},
        )
    )
    fig.update_layout(
        **_layout(
            title={"text": "Computed vs experimental Ea", "font": {"size": 14}},
            xaxis={"title": {"text": "experimental Ea (eV)"}, "range": [low, high]},
            yaxis={"title": {"text": "computed Ea (eV)"}, "range": [low, high]},
        )
    )
    return figure_json(fig)
