"""What the pages compute from the store's rows: Arrhenius fits per source, the method benchmark.

Plain functions over the frames of :mod:`sselab.store.browse`; the fits are :mod:`sselab.transport`'s and the
benchmark is :func:`sselab.models.method_benchmark.benchmark_methods`, so a page shows exactly what the
library computes (the Python snippet of each page calls the same functions).

Example::

    >>> import numpy as np
    >>> import pandas as pd
    >>> from sselab.web.analysis import source_fits
    >>> t = np.linspace(300.0, 450.0, 4)
    >>> sigma = 1e5 / t * np.exp(-0.5 / (8.617333262e-5 * t))  # Ea = 0.5 eV
    >>> points = pd.DataFrame({"formula": "X", "doi": "10.1/x", "dataset": "d", "temperature_k": t,
    ...                        "conductivity_s_per_cm": sigma})
    >>> fits = source_fits(points, "X")
    >>> len(fits.fits), round(float(fits.table["ea_ev"].iloc[0]), 4)
    (1, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sselab.errors import FitError
from sselab.transport.arrhenius import ArrheniusFit
from sselab.transport.frames import MaterialFit, fit_material
from sselab.transport.segments import TwoSegmentFit

FIT_COLUMNS: tuple[str, ...] = (
    "formula",
    "doi",
    "citation",
    "source_id",
    "dataset",
    "n_points",
    "temperature_min_k",
    "temperature_max_k",
    "ea_ev",
    "stderr_ev",
    "ci95_low_ev",
    "ci95_high_ev",
    "r_squared",
    "form",
    "breakpoint_k",
    "break_supported",
    "delta_bic",
    "ea_low_t_ev",
    "ea_high_t_ev",
)
"""Columns of :attr:`SourceFits.table`: one row per fitted (formula, source) group (a source: its id, with its
DOI or, without one, its citation); the breakpoint columns come from a two-segment fit (NaN when the group has
fewer than 6 points)."""
TWO_SEGMENT_MIN_POINTS = 6


@dataclass(frozen=True)
class SourceFits:
    """Arrhenius fits of one material's σ(T) points, one per source, with two-segment fits where possible."""

    fits: list[MaterialFit]
    two_segment: dict[tuple[str, int | str | None], TwoSegmentFit]
    """Two-segment fits by :attr:`MaterialFit.group_key` (formula, source)."""
    skipped: list[str]
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(FIT_COLUMNS)))


def source_fits(points: pd.DataFrame, formula: str, pool: bool = False) -> SourceFits:
    """Fit σT = A exp(−Ea/kB T) to ``points`` (σ in S/cm, T in K) per source (id, else DOI), or pooled.

    Groups of at least six points also get :func:`sselab.transport.fit_two_segment` (a phase transition):
    its breakpoint (K), whether the break is supported (ΔBIC > 6 and F-test p < 0.01) and both Ea (eV).
    """
    if points.empty:
        return SourceFits([], {}, ["no σ(T) points stored"])
    try:
        fits, skipped = fit_material(points, formula, pool=pool)
    except FitError as exc:
        return SourceFits([], {}, [str(exc)])
    two: dict[tuple[str, int | str | None], TwoSegmentFit] = {}
    if len(points) >= TWO_SEGMENT_MIN_POINTS:
        try:
            segmented, _ = fit_material(points, formula, two_phase=True, pool=pool)
        except FitError:
            segmented = []
        for item in segmented:
            assert isinstance(item.fit, TwoSegmentFit)
            two[item.group_key] = item.fit
    rows = []
    for item in fits:
        fit = item.fit
        assert isinstance(fit, ArrheniusFit)
        seg = two.get(item.group_key)
        rows.append(
            {
                "formula": item.formula,
                "doi": item.doi,
                "citation": item.citation,
                "source_id": item.source_id,
                "dataset": item.dataset,
                "n_points": fit.n_points,
                "temperature_min_k": fit.temperature_min_k,
                "temperature_max_k": fit.temperature_max_k,
                "ea_ev": fit.activation_energy_ev,
                "stderr_ev": fit.stderr_ev,
                "ci95_low_ev": fit.ci95_ev[0],
                "ci95_high_ev": fit.ci95_ev[1],
                "r_squared": fit.r_squared,
                "form": fit.form,
                "breakpoint_k": seg.breakpoint_k if seg else np.nan,
                "break_supported": bool(seg.break_supported) if seg else None,
                "delta_bic": seg.delta_bic if seg else np.nan,
                "ea_low_t_ev": seg.low.activation_energy_ev if seg else np.nan,
                "ea_high_t_ev": seg.high.activation_energy_ev if seg else np.nan,
            }
        )
    return SourceFits(fits, two, skipped, pd.DataFrame(rows, columns=list(FIT_COLUMNS)))


def source_groups(points: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The σ(T) points of each source, labelled by its DOI, else its citation (``"no source"``), by label.

    A source is a ``source_id`` where the frame has one: two sources cited without a DOI are two groups, and
    each source's points are one group however many rows it has.
    """
    if points.empty:
        return []
    doi = points["doi"] if "doi" in points else pd.Series(None, index=points.index, dtype=object)
    label = doi.fillna(points["citation"]) if "citation" in points else doi
    label = label.fillna("no source").astype(str)
    key = points["source_id"].fillna(-1) if "source_id" in points else label
    groups = [(str(label.loc[group.index[0]]), group) for _, group in points.groupby(key, sort=False)]
    return sorted(groups, key=lambda item: item[0])


def fit_line(fit: ArrheniusFit, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """(1000/T in 1/K, log10 σ in S/cm) of a fitted line over its temperature range."""
    grid = np.linspace(fit.temperature_min_k, fit.temperature_max_k, n)
    return 1000.0 / grid, np.log10(fit.predict(grid))
