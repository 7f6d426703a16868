"""Physical ranges of the quantities the store holds: what is refused as absurd, with the reason.

One table, used twice: the store refuses a record outside these ranges (:mod:`sselab.store.validation`), and
the import boundary (:mod:`sselab.datasets.validation`) reports such a row as skipped, with its file, row,
field and raw text, before the store is asked. The reasoning behind each range is in ``docs/datasets.md``.

Example::

    >>> out_of_range("activation_energy_ev", 45.0)
    '45 eV is outside the physical range 0 < Ea <= 5 eV'
    >>> out_of_range("temperature_k", 298.15) is None
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PhysicalRange:
    """An open-or-closed interval of a quantity, in the unit of its name.

    Attributes
    ----------
    symbol
        How the message writes the quantity (``"T"``, ``"σ"``, ``"Ea"``).
    low, high
        The bounds, in ``unit``.
    unit
        The unit of the bounds.
    low_inclusive, high_inclusive
        Whether the bounds themselves are allowed.
    """

    symbol: str
    low: float
    high: float
    unit: str
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, value: float) -> bool:
        """True when ``value`` is finite and inside the interval."""
        if not math.isfinite(value):
            return False
        above = value >= self.low if self.low_inclusive else value > self.low
        below = value <= self.high if self.high_inclusive else value < self.high
        return above and below

    def describe(self) -> str:
        """The interval as text, e.g. ``'1 <= T <= 3000 K'``."""
        low = "<=" if self.low_inclusive else "<"
        high = "<=" if self.high_inclusive else "<"
        return f"{self.low:g} {low} {self.symbol} {high} {self.high:g} {self.unit}"


PHYSICAL_RANGES: dict[str, PhysicalRange] = {
    # a conductivity is measured between a few K (cryostat impedance) and ~2000 K (zirconia, β-alumina);
    # 3000 K is above the melting point of every electrolyte sselab knows (ZrO2 melts at 2988 K)
    "temperature_k": PhysicalRange("T", 1.0, 3000.0, "K"),
    # the best solid ionic conductors reach ~1-3 S/cm (α-AgI near its melting point); 10 S/cm leaves room
    # and still refuses an electronic conductivity (metals 1e4-1e6 S/cm) or a wrong unit; the low end keeps
    # extrapolated room-temperature values of insulators (Laskowski et al. 2023 list 5.4e-24 S/cm)
    "conductivity_s_per_cm": PhysicalRange("σ", 1e-30, 10.0, "S/cm"),
    # measured Ea of ionic conduction lie between ~0.05 eV (superionic phases) and ~2 eV; computed barriers of
    # blocked paths reach ~3-4 eV (wang2025 lists 3.45 eV); 5 eV is about a chemical bond, no hop costs more
    "activation_energy_ev": PhysicalRange("Ea", 0.0, 5.0, "eV", low_inclusive=False),
    "uncertainty_ev": PhysicalRange("uncertainty", 0.0, 5.0, "eV"),
    # the shortest cell edge of a crystal is ~2 Å (one atom per cell); the longest of inorganic crystals in
    # SSE databases are ~50-100 Å
    "lattice_length_angstrom": PhysicalRange("a", 1.0, 200.0, "Å"),
    "lattice_angle_deg": PhysicalRange("angle", 0.0, 180.0, "degrees", False, False),
}
"""The ranges by field name (the unit is in the name)."""

MIN_INTERATOMIC_DISTANCE_A = 0.5
"""Shortest distance between two atoms of a structure (Å): H2 has the shortest bond, 0.74 Å."""
MAX_STRUCTURE_SITES = 5000
"""Most sites in one structure (OBELiX's largest CIF has a few hundred)."""
MAX_CIF_CHARS = 2_000_000
"""Longest CIF text accepted (characters); OBELiX's largest is 6.3 kB."""


def out_of_range(field: str, value: float) -> str | None:
    """Why ``value`` of ``field`` is not physical (``None`` when it is, or when the field has no range).

    Parameters
    ----------
    field
        A key of :data:`PHYSICAL_RANGES` (``"temperature_k"``, ``"conductivity_s_per_cm"``, ...).
    value
        The value in the unit of the field's name.
    """
    bounds = PHYSICAL_RANGES.get(field)
    if bounds is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a number"
    if bounds.contains(number):
        return None
    return f"{number:g} {bounds.unit} is outside the physical range {bounds.describe()}"
