"""Composition-only descriptors of Ea: X, Z, r_atom, r_ion and n, from the formula alone.

A formula unit is the conducting compound as written, neutral molecules included, composite additive excluded
(``ParsedFormula.composition``). Each descriptor is an element property (see
:mod:`sselab.descriptors.elements`) aggregated over the atoms of the formula unit; the aggregation is
explicit:

``sum``
    Σ_i c_i p_i over the atoms of the formula unit (c_i atoms of element i). (The x column of the paper's
    Dataset 2 is such a sum with its own per-element coefficients, per conducting cation: see
    :mod:`sselab.descriptors.wang2025_x`.)
``mean``
    the sum divided by the number of atoms of the formula unit.
``per_cation``
    the sum divided by the number of conducting cations of the formula unit.
``cation``
    the property of the conducting cation alone (r_ion: its Shannon radius at its valence).

``n`` (number of neutral molecules per formula unit) is the same for ``sum``, ``mean`` and ``cation`` and
divided by the cation count for ``per_cation``. ``Z`` summed is the number of electrons of the formula unit.

``x_wang2025`` is the paper's combined axis −0.059·X + 0.0029·r_atom (Figure 3b; see
:mod:`sselab.descriptors.combined`), computed from X and r_atom of the same aggregation.

The vectorised path, :func:`descriptor_arrays`, works on an element-count matrix and is what screening uses
for 10^6 candidates.

Example
-------
>>> from sselab.descriptors import composition_descriptors
>>> d = composition_descriptors("Mg(BH4)2·2NH3")  # doctest: +SKIP
>>> round(d["r_atom"], 1), d["n"]  # doctest: +SKIP
(800.0, 2.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sselab.chem import parse_formula
from sselab.descriptors.combined import X_WANG2025, x_wang2025
from sselab.descriptors.elements import (
    ELEMENT_PROPERTY_UNITS,
    DescriptorError,
    cation_ionic_radius_pm,
    element_properties,
)

if TYPE_CHECKING:
    from sselab.chem import ParsedFormula

#: Ways to aggregate an element property over a formula unit.
AGGREGATIONS: tuple[str, ...] = ("sum", "mean", "per_cation", "cation")

#: Composition descriptors, in the order of the tables (the paper's five, then its combined axis x).
COMPOSITION_DESCRIPTORS: tuple[str, ...] = ("X", "Z", "r_atom", "r_ion", "n", X_WANG2025)


@dataclass(frozen=True)
class ElementCounts:
    """Atoms of each element per formula unit for many compositions.

    Attributes
    ----------
    elements
        Column symbols, length E.
    counts
        Array of shape (N, E): atoms of each element per formula unit (fractions allowed).
    """

    elements: tuple[str, ...]
    counts: np.ndarray

    def index(self, symbol: str) -> int:
        """Column of ``symbol`` (raises :class:`DescriptorError` if absent)."""
        try:
            return self.elements.index(symbol)
        except ValueError as exc:
            raise DescriptorError(f"element {symbol!r} is not a column of the count matrix") from exc


def check_aggregation(aggregation: str) -> str:
    """Return ``aggregation`` if known, else raise :class:`DescriptorError` listing the choices."""
    if aggregation not in AGGREGATIONS:
        raise DescriptorError(f"unknown aggregation {aggregation!r}; choose one of {', '.join(AGGREGATIONS)}")
    return aggregation


def element_count_matrix(
    compositions: Iterable[Mapping[str, float]], elements: Sequence[str] | None = None
) -> ElementCounts:
    """Stack element amounts into an (N, E) matrix.

    Parameters
    ----------
    compositions
        Mappings element symbol -> atoms per formula unit (a pymatgen ``Composition`` works as well).
    elements
        Column order; default: the sorted union of the symbols met.
    """
    rows = [{str(symbol): float(amount) for symbol, amount in dict(comp).items()} for comp in compositions]
    symbols = tuple(elements) if elements is not None else tuple(sorted({s for row in rows for s in row}))
    column = {symbol: j for j, symbol in enumerate(symbols)}
    counts = np.zeros((len(rows), len(symbols)), dtype=float)
    for i, row in enumerate(rows):
        for symbol, amount in row.items():
            if symbol not in column:
                raise DescriptorError(f"composition {i} has element {symbol!r} outside the columns {symbols}")
            counts[i, column[symbol]] += amount
    return ElementCounts(elements=symbols, counts=counts)


def descriptor_arrays(
    counts: ElementCounts,
    *,
    aggregation: str = "sum",
    neutral_count: np.ndarray | float = 0.0,
    cation_index: np.ndarray | None = None,
    cation_count: np.ndarray | None = None,
    cation_r_ion_pm: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Composition descriptors for every row of an element-count matrix, as numpy operations.

    Parameters
    ----------
    counts
        Element-count matrix, shape (N, E).
    aggregation
        One of :data:`AGGREGATIONS`.
    neutral_count
        Neutral molecules per formula unit, shape (N,) or scalar.
    cation_index
        Column of the conducting cation per row (needed for ``cation``; default for ``per_cation`` counts).
    cation_count
        Conducting cations per formula unit (``per_cation``); default ``counts[i, cation_index[i]]``.
    cation_r_ion_pm
        Shannon radius of each row's cation at its valence, pm (``cation``); default the element's mean
        radius.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``X`` (1), ``Z`` (1), ``r_atom`` (pm), ``r_ion`` (pm), ``n`` (1) and ``x_wang2025`` (descriptor
        units, from X and r_atom of the same aggregation), each of shape (N,).
    """
    check_aggregation(aggregation)
    matrix = counts.counts
    n_rows = matrix.shape[0]
    props = element_properties(counts.elements)
    neutral = np.broadcast_to(np.asarray(neutral_count, dtype=float), (n_rows,)).astype(float)
    if aggregation == "cation":
        if cation_index is None:
            raise DescriptorError("aggregation 'cation' needs the conducting cation of every row")
        idx = np.asarray(cation_index, dtype=int)
        out = {key: props[key][idx] for key in ELEMENT_PROPERTY_UNITS}
        if cation_r_ion_pm is not None:
            out["r_ion"] = np.asarray(cation_r_ion_pm, dtype=float)
        out["n"] = neutral
        out[X_WANG2025] = x_wang2025(out["X"], out["r_atom"])
        return out
    prop_matrix = np.column_stack([props[key] for key in ELEMENT_PROPERTY_UNITS])  # (E, P)
    sums = matrix @ prop_matrix  # (N, P)
    if aggregation == "mean":
        atoms = matrix.sum(axis=1)
        sums = sums / atoms[:, None]
    elif aggregation == "per_cation":
        if cation_count is None:
            if cation_index is None:
                raise DescriptorError("aggregation 'per_cation' needs the conducting cation of every row")
            cation_count = matrix[np.arange(n_rows), np.asarray(cation_index, dtype=int)]
        per = np.asarray(cation_count, dtype=float)
        if np.any(per <= 0):
            raise DescriptorError("aggregation 'per_cation' met a formula unit without conducting cation")
        sums = sums / per[:, None]
        neutral = neutral / per
    out = {key: sums[:, j] for j, key in enumerate(ELEMENT_PROPERTY_UNITS)}
    out["n"] = neutral
    out[X_WANG2025] = x_wang2025(out["X"], out["r_atom"])
    return out


def _parse(formula: Any) -> ParsedFormula:
    if isinstance(formula, str):
        return parse_formula(formula)
    return formula


def composition_descriptors(
    parsed_or_formula: ParsedFormula | str, aggregation: str = "sum"
) -> dict[str, float]:
    """The composition descriptors of one formula.

    Parameters
    ----------
    parsed_or_formula
        A formula (``"Mg(BH4)2·2NH3"``) or a :class:`sselab.chem.ParsedFormula`.
    aggregation
        One of :data:`AGGREGATIONS` (default ``sum``, as the paper's x).

    Returns
    -------
    dict[str, float]
        ``X`` (1), ``Z`` (1), ``r_atom`` (pm), ``r_ion`` (pm), ``n`` (neutral molecules per formula unit),
        ``x_wang2025`` (the paper's −0.059·X + 0.0029·r_atom, descriptor units).

    Raises
    ------
    sselab.errors.FormulaParseError
        The formula cannot be read.
    DescriptorError
        No conducting cation for ``cation``/``per_cation``, or an element without data.
    """
    frame = composition_descriptor_frame([parsed_or_formula], aggregation=aggregation)
    return {key: float(frame[key].iloc[0]) for key in COMPOSITION_DESCRIPTORS}


def composition_descriptor_frame(
    formulas: Sequence[ParsedFormula | str], aggregation: str = "sum"
) -> pd.DataFrame:
    """Composition descriptors of many formulas through the vectorised path.

    Returns
    -------
    pandas.DataFrame
        Columns ``formula`` and :data:`COMPOSITION_DESCRIPTORS`; ``attrs["aggregation"]`` records the
        aggregation.
    """
    check_aggregation(aggregation)
    parsed = [_parse(item) for item in formulas]
    counts = element_count_matrix(p.composition for p in parsed)
    needs_cation = aggregation in ("cation", "per_cation")
    cation_index = None
    cation_count = None
    cation_radius = None
    if needs_cation:
        missing = [p.text for p in parsed if not p.cation]
        if missing:
            raise DescriptorError(f"aggregation {aggregation!r} needs a conducting cation; none in {missing}")
        cation_index = np.array([counts.index(str(p.cation)) for p in parsed], dtype=int)
        cation_count = np.array([float(p.cation_count) for p in parsed])
        cation_radius = np.array([cation_ionic_radius_pm(str(p.cation), p.valence) for p in parsed])
    arrays = descriptor_arrays(
        counts,
        aggregation=aggregation,
        neutral_count=np.array([float(p.neutral_molecule_count) for p in parsed]),
        cation_index=cation_index,
        cation_count=cation_count,
        cation_r_ion_pm=cation_radius,
    )
    frame = pd.DataFrame({"formula": [p.text for p in parsed], **arrays})
    frame.attrs["aggregation"] = aggregation
    return frame
