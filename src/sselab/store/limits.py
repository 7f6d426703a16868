"""Ranges of the quantities the store holds: what is refused as absurd or as implausible, with the reason.

Two tables. :data:`PHYSICAL_RANGES` is what no producer may store (a simulation, a notebook, an import):
the store refuses a record outside them (:mod:`sselab.store.validation`). :data:`IMPORT_RANGES`, tighter, is
what a literature value (measured or computed) must satisfy: the import boundary
(:mod:`sselab.datasets.validation`) reports a row outside them as skipped, with its file, row, field and raw
text, before the store is asked. The reasoning behind each range is in ``docs/datasets.md``.

Example::

    >>> out_of_range("activation_energy_ev", 45.0)
    '45 eV is outside the physical range 0 < Ea <= 10 eV'
    >>> out_of_range("activation_energy_ev", 7.0, IMPORT_RANGES)
    '7 eV is outside the plausible range 0 < Ea <= 5 eV'
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
    # no producer stores a temperature above 10 000 K (MD accelerates hops at up to ~4000 K) or an Ea above
    # 10 eV (twice the strongest bond an ion could break on its way); these only catch the absurd
    "temperature_k": PhysicalRange("T", 1.0, 10_000.0, "K"),
    "conductivity_s_per_cm": PhysicalRange("σ", 1e-30, 1000.0, "S/cm"),
    "activation_energy_ev": PhysicalRange("Ea", 0.0, 10.0, "eV", low_inclusive=False),
    "uncertainty_ev": PhysicalRange("uncertainty", 0.0, 10.0, "eV"),
    "lattice_length_angstrom": PhysicalRange("a", 0.5, 1000.0, "Å", low_inclusive=False),
    "lattice_angle_deg": PhysicalRange("angle", 0.0, 180.0, "degrees", False, False),
}
"""What the store refuses from anyone, by field name (the unit is in the name)."""

IMPORT_RANGES: dict[str, PhysicalRange] = {
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
"""What a literature value must satisfy to be imported, by field name (tighter than the physical ones)."""

MIN_INTERATOMIC_DISTANCE_A = 0.5
"""Shortest distance between two atoms of a structure (Å): H2 has the shortest bond, 0.74 Å."""
MAX_STRUCTURE_SITES = 5000
"""Most sites in one structure (OBELiX's largest CIF has a few hundred)."""
MAX_CIF_CHARS = 2_000_000
"""Longest CIF text accepted (characters); OBELiX's largest is 6.3 kB."""


def out_of_range(field: str, value: float, ranges: dict[str, PhysicalRange] | None = None) -> str | None:
    """Why ``value`` of ``field`` is refused (``None`` when it is not, or when the field has no range).

    Parameters
    ----------
    field
        A key of the ranges (``"temperature_k"``, ``"conductivity_s_per_cm"``, ...).
    value
        The value in the unit of the field's name.
    ranges
        :data:`PHYSICAL_RANGES` (the default: what the store refuses) or :data:`IMPORT_RANGES`.
    """
    table = PHYSICAL_RANGES if ranges is None else ranges
    bounds = table.get(field)
    if bounds is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a number"
    if bounds.contains(number):
        return None
    kind = "physical" if table is PHYSICAL_RANGES else "plausible"
    return f"{number:g} {bounds.unit} is outside the {kind} range {bounds.describe()}"
