"""Per-element property vectors behind the composition descriptors (pymatgen element data).

Every composition descriptor is a weighted sum of one element property over the atoms of a formula unit, so
the properties are kept as numpy vectors aligned with a tuple of element symbols; a descriptor for many
compositions is then one matrix product ``counts @ vector``.

Properties (key, unit, pymatgen source):

========== ==== ==========================================================================================
``X``      1    Pauling electronegativity, ``Element.X``
``Z``      1    atomic number, ``Element.Z``
``r_atom`` pm   empirical atomic radius, ``Element.atomic_radius`` (Å) × 100
``r_ion``  pm   mean tabulated ionic radius, ``Element.average_ionic_radius`` (Å) × 100; pymatgen has none
                for H (0 there), so H contributes 0 pm
========== ==== ==========================================================================================

Example
-------
>>> from sselab.descriptors.elements import element_properties
>>> element_properties(("Mg", "H"))["r_atom"].tolist()
[150.0, 25.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from pymatgen.core import Element, Species

from sselab.errors import SselabError

#: Element properties available to the composition descriptors, with their units.
ELEMENT_PROPERTY_UNITS: dict[str, str] = {"X": "1", "Z": "1", "r_atom": "pm", "r_ion": "pm"}

_ANGSTROM_TO_PM = 100.0


class DescriptorError(SselabError, ValueError):
    """A descriptor cannot be computed for the given input (names the formula, element or descriptor)."""


@lru_cache(maxsize=256)
def _element_row(symbol: str) -> tuple[float, float, float, float]:
    try:
        element = Element(symbol)
    except ValueError as exc:
        raise DescriptorError(f"unknown element symbol {symbol!r}") from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        electronegativity = float(element.X)
        radius = element.atomic_radius
        ionic = element.average_ionic_radius
    if not np.isfinite(electronegativity):
        raise DescriptorError(f"element {symbol}: pymatgen has no Pauling electronegativity (X)")
    if radius is None:
        raise DescriptorError(f"element {symbol}: pymatgen has no atomic radius (atomic_radius)")
    return (
        electronegativity,
        float(element.Z),
        float(radius) * _ANGSTROM_TO_PM,
        float(ionic) * _ANGSTROM_TO_PM,
    )


def element_properties(symbols: Sequence[str]) -> dict[str, np.ndarray]:
    """Property vectors for ``symbols``, one entry per key of :data:`ELEMENT_PROPERTY_UNITS`.

    Parameters
    ----------
    symbols
        Element symbols, e.g. ``("Mg", "B", "H")``.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``X`` (1), ``Z`` (1), ``r_atom`` (pm), ``r_ion`` (pm), each of shape ``(len(symbols),)``.

    Raises
    ------
    DescriptorError
        An unknown symbol, or an element without electronegativity or atomic radius (e.g. He).
    """
    rows = np.array([_element_row(str(symbol)) for symbol in symbols], dtype=float).reshape(-1, 4)
    return {key: rows[:, column].copy() for column, key in enumerate(ELEMENT_PROPERTY_UNITS)}


def cation_ionic_radius_pm(symbol: str, valence: int | None) -> float:
    """Shannon ionic radius of a cation at its valence (pm), from pymatgen ``Species(symbol, valence)``.

    Falls back to the element's mean ionic radius when the valence is unknown or not tabulated.

    Examples
    --------
    >>> cation_ionic_radius_pm("Mg", 2)
    86.0
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if valence:
            radius = Species(symbol, valence).ionic_radius
            if radius is not None:
                return float(radius) * _ANGSTROM_TO_PM
        return float(Element(symbol).average_ionic_radius) * _ANGSTROM_TO_PM
