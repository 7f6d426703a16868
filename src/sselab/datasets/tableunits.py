"""Units of the number columns of a generic table, and their explicit conversion to the store's units.

The store holds K, S/cm and eV. A table declares the unit of each number column (no default, no guessing);
:func:`convert` turns a value into the store's unit with :mod:`sselab.transport.units` (``to_kelvin``,
``to_s_per_cm``, ``to_ev``) and the few forms those do not cover: 1000/T, decimal logarithms of σ, and
log10(σT).

Example::

    >>> convert("temperature", "°C", 25.0), convert("temperature", "1000/K", 2.5)
    (298.15, 400.0)
    >>> convert("conductivity", "log10(S/cm)", -3.0), round(convert("activation_energy", "kJ/mol", 50.0), 4)
    (0.001, 0.5182)
"""

from __future__ import annotations

import math
import re

from sselab.datasets.validation import CellProblem
from sselab.errors import ConfigError
from sselab.transport.units import ENERGY_UNITS, to_ev, to_kelvin, to_s_per_cm

__all__ = ["CONDUCTIVITY_UNITS", "ENERGY_UNITS", "TEMPERATURE_UNITS", "UNITS", "check_unit", "convert",
           "quantity_of"]  # fmt: skip

TEMPERATURE_UNITS: tuple[str, ...] = ("K", "°C", "1000/K")
CONDUCTIVITY_UNITS: tuple[str, ...] = (
    "S/cm", "mS/cm", "µS/cm", "S/m", "mS/m", "log10(S/cm)", "log10(mS/cm)", "log10(S/m)", "log10(S K/cm)",
)  # fmt: skip
UNITS: dict[str, tuple[str, ...]] = {
    "temperature": TEMPERATURE_UNITS,
    "conductivity": CONDUCTIVITY_UNITS,
    "activation_energy": ENERGY_UNITS,
}
"""Accepted units per quantity (aliases such as ``C``, ``degC``, ``S cm-1``, ``kJ mol-1`` are accepted)."""
_LOG10 = re.compile(r"^log10\s*\((.*)\)$")
_SIGMA_T = {"s k/cm", "s k cm-1", "s·k/cm", "s k cm^-1"}
_TEMPERATURE_ALIASES = {
    "1000/k": "1000/K",
    "1000/t": "1000/K",
    "1000 k-1": "1000/K",
    "1000/t (1/k)": "1000/K",
}
MAX_LOG10 = 30.0
"""Largest |log10 σ| read (10^±30 S/cm is far outside any physical range; beyond it 10^x overflows)."""


def _norm(text: str) -> str:
    return " ".join(str(text).strip().lower().replace("μ", "µ").split())


def check_unit(quantity: str, unit: str) -> str:
    """``unit`` stripped, after checking that it is a unit of ``quantity`` (raises :class:`ConfigError`)."""
    text = str(unit).strip()
    try:
        convert(quantity, text, 1.0, temperature_k=300.0)
    except (ConfigError, CellProblem) as exc:
        raise ConfigError(
            f"unit {text!r} is not a {quantity.replace('_', ' ')} unit; use one of "
            f"{', '.join(UNITS[quantity])}"
        ) from exc
    return text


def convert(quantity: str, unit: str, value: float, *, temperature_k: float | None = None) -> float:
    """Convert ``value`` of ``quantity`` from ``unit`` to the store's unit (K, S/cm, eV).

    Parameters
    ----------
    quantity
        ``"temperature"``, ``"conductivity"`` or ``"activation_energy"``.
    unit
        A unit of :data:`UNITS` (or an alias). ``1000/K`` is 1000/T with T in K; ``log10(X)`` is the
        decimal logarithm of σ in X; ``log10(S K/cm)`` is log10(σT), which needs ``temperature_k``.
    value
        The number as read.
    temperature_k
        The row's temperature (K), for σT only.

    Raises
    ------
    ConfigError
        For a unit that is not one of ``quantity``.
    CellProblem
        For a value that has no meaning in that unit (below absolute zero, 1000/T <= 0, a huge log).
    """
    key = _norm(unit)
    if quantity == "temperature":
        if _TEMPERATURE_ALIASES.get(key) == "1000/K":
            if value <= 0:
                raise CellProblem(f"1000/T = {value:g} K⁻¹ must be positive")
            return 1000.0 / value
        try:
            return float(to_kelvin(value, unit))
        except ConfigError as exc:
            if "below absolute zero" in str(exc):
                raise CellProblem(f"{value:g} {unit} is below absolute zero") from exc
            raise
    if quantity == "conductivity":
        log = _LOG10.match(key)
        if log is None:
            return float(to_s_per_cm(value, unit))
        inner = log.group(1).strip()
        if inner not in _SIGMA_T:
            to_s_per_cm(1.0, inner)  # the inner unit must be one (ConfigError otherwise)
        if not math.isfinite(value) or abs(value) > MAX_LOG10:
            raise CellProblem(f"log10 value {value:g} is outside ±{MAX_LOG10:g}")
        if inner in _SIGMA_T:
            if temperature_k is None:
                raise CellProblem("log10(σT) needs the row's temperature")
            return float(10.0**value / temperature_k)
        return float(to_s_per_cm(10.0**value, inner))
    if quantity == "activation_energy":
        return float(to_ev(value, unit))
    raise ConfigError(f"no unit conversion for {quantity!r}")


def quantity_of(field: str) -> str:
    """The quantity whose units a number field takes (``uncertainty`` -> ``activation_energy`` ...)."""
    return {"uncertainty": "activation_energy", "temperature_min": "temperature",
            "temperature_max": "temperature"}.get(field, field)  # fmt: skip
