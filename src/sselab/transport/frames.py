"""Arrhenius fits of the σ(T) points of a material taken from a conductivity table.

Works on any :class:`pandas.DataFrame` with the columns of ``Store.conductivity_frame()`` (``formula``,
``temperature_k``, ``conductivity_s_per_cm`` and optionally ``doi``, ``citation``, ``source_id``, ``dataset``,
``material_id``). A source is its ``source_id`` where the frame has one (a source with a citation and no DOI
is a source of its own, not one group with every other source that lacks a DOI), else its DOI or citation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sselab.chem import parse_formula
from sselab.errors import FitError, FormulaParseError
from sselab.transport.arrhenius import ArrheniusFit, Form, fit_arrhenius
from sselab.transport.segments import TwoSegmentFit, fit_two_segment

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)
REQUIRED_COLUMNS: tuple[str, ...] = ("formula", "temperature_k", "conductivity_s_per_cm")


@dataclass(frozen=True)
class MaterialFit:
    """The fit of one material's points from one source (or of all matching points with ``pool=True``).

    ``doi``, ``citation`` and ``source_id`` name the source (all None for a pooled fit or points without
    one).
    """

    formula: str
    doi: str | None
    dataset: str | None
    fit: ArrheniusFit | TwoSegmentFit
    temperature_k: NDArray[np.float64]
    conductivity_s_per_cm: NDArray[np.float64]
    citation: str | None = None
    source_id: int | None = None

    @property
    def source_label(self) -> str | None:
        """The source as a reader names it: its DOI, else its citation (None when it has neither)."""
        return self.doi or self.citation

    @property
    def group_key(self) -> tuple[str, int | str | None]:
        """(formula, source): the group the fit belongs to (source id, else DOI or citation)."""
        return self.formula, self.source_id if self.source_id is not None else self.source_label


def match_formula(frame: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Rows of ``frame`` whose ``formula`` is ``formula``: exact text first, else the same composition.

    The composition match parses both sides with :func:`sselab.chem.parse_formula` (so ``LiBH4·1/2NH3`` finds
    ``LiBH4-0.5NH3``); formulas in the table that cannot be parsed are ignored for it.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise FitError(f"conductivity table lacks column(s) {', '.join(missing)}")
    exact = frame[frame["formula"].astype(str).str.strip() == formula.strip()]
    if not exact.empty:
        return exact

    try:
        wanted = parse_formula(formula).composition
    except FormulaParseError:
        return exact
    same: list[str] = []
    for text in frame["formula"].dropna().astype(str).unique():
        try:
            if parse_formula(text).composition.almost_equals(wanted, rtol=1e-6, atol=1e-6):
                same.append(text)
        except FormulaParseError:
            continue
    return frame[frame["formula"].isin(same)]


def fit_material(
    frame: pd.DataFrame,
    formula: str,
    form: Form = "sigma_t",
    two_phase: bool = False,
    breakpoint_k: float | None = None,
    pool: bool = False,
) -> tuple[list[MaterialFit], list[str]]:
    """Fit the σ(T) points of ``formula`` in ``frame``, one fit per (formula, source) group unless ``pool``.

    Parameters
    ----------
    frame
        Conductivity table (temperatures in K, conductivities in S/cm).
    formula
        Formula as stored, or any spelling with the same composition.
    form
        ``"sigma_t"`` or ``"sigma"``.
    two_phase
        Fit two segments (phase transition); implied by ``breakpoint_k``.
    breakpoint_k
        Fixed transition temperature, K.
    pool
        Fit all matching points together instead of one fit per source.

    Returns
    -------
    (fits, skipped)
        The fits, and one message for each group that had too few points.

    Raises
    ------
    FitError
        No point matches ``formula``, or no group has enough points.
    """
    rows = match_formula(frame, formula)
    if rows.empty:
        raise FitError(f"no conductivity points for formula {formula!r} in the store")
    segmented = two_phase or breakpoint_k is not None
    needed = 6 if segmented else 3
    rows = rows.assign(
        _doi=rows.get("doi", None),
        _citation=rows.get("citation", None),
        _dataset=rows.get("dataset", None),
        _pool="all",
    )
    rows = rows.assign(
        _source=rows["source_id"] if "source_id" in rows else rows["_doi"].fillna(rows["_citation"])
    )
    keys = ["_pool"] if pool else ["formula", "_source"]
    kind = "two-segment fit" if segmented else "fit"
    fits: list[MaterialFit] = []
    skipped: list[str] = []
    for _, group in rows.groupby(keys, dropna=False, sort=True):
        first = group.iloc[0]
        doi, citation = _none_if_missing(first["_doi"]), _none_if_missing(first["_citation"])
        source = "all sources" if pool else (doi or citation or "no source")
        label = f"{first['formula']} ({source})"
        if len(group) < needed:
            skipped.append(f"{label}: {len(group)} point(s), a {kind} needs {needed}")
            continue
        temperature = group["temperature_k"].to_numpy(dtype=float)
        sigma = group["conductivity_s_per_cm"].to_numpy(dtype=float)
        try:
            fit: ArrheniusFit | TwoSegmentFit = (
                fit_two_segment(temperature, sigma, form=form, breakpoint_k=breakpoint_k)
                if segmented
                else fit_arrhenius(temperature, sigma, form=form)
            )
        except FitError as error:
            skipped.append(f"{label}: {error}")
            continue
        source_id = _int_or_none(first["_source"]) if not pool and "source_id" in rows else None
        datasets = sorted({str(d) for d in group["_dataset"].dropna()})
        fits.append(
            MaterialFit(
                str(first["formula"]) if not pool else formula,
                None if pool else doi,
                ", ".join(datasets) or None,
                fit,
                temperature,
                sigma,
                citation=None if pool else citation,
                source_id=source_id,
            )
        )
    if not fits:
        raise FitError(f"no group of points for {formula!r} can be fitted: " + "; ".join(skipped))
    return fits, skipped


def _none_if_missing(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _int_or_none(value: object) -> int | None:
    """A source id from a frame cell (NULL ids come back as NaN in a float column)."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else int(number)
