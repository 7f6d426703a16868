"""Explicit unit conversion of temperatures, conductivities and activation energies.

>>> from sselab.transport import to_ev, to_kelvin, to_s_per_cm
>>> float(to_kelvin(25.0, "°C"))
298.15
>>> float(to_s_per_cm(1.0, "mS/cm"))
0.001
>>> round(to_ev(50.0, "kJ/mol"), 4)
0.5182
"""

from __future__ import annotations

from typing import overload

import numpy as np
from ase import units as ase_units
from numpy.typing import ArrayLike, NDArray

from sselab.errors import ConfigError

_KELVIN_OFFSETS: dict[str, float] = {"k": 0.0, "kelvin": 0.0, "c": 273.15, "°c": 273.15, "degc": 273.15,
                                     "celsius": 273.15, "℃": 273.15}  # fmt: skip
_S_PER_CM_FACTORS: dict[str, float] = {
    "s/cm": 1.0,
    "s cm-1": 1.0,
    "s cm^-1": 1.0,
    "s·cm-1": 1.0,
    "ms/cm": 1e-3,
    "ms cm-1": 1e-3,
    "µs/cm": 1e-6,
    "us/cm": 1e-6,
    "s/m": 1e-2,
    "s m-1": 1e-2,
    "ms/m": 1e-5,
}

_EV_FACTORS: dict[str, float] = {
    "ev": 1.0,
    "mev": 1e-3,
    # molar energies per mole of hops, CODATA constants as ASE has them (1 kJ/mol = 0.010364 eV)
    "kj/mol": ase_units.kJ / ase_units.mol,
    "kj mol-1": ase_units.kJ / ase_units.mol,
    "kcal/mol": ase_units.kcal / ase_units.mol,
    "kcal mol-1": ase_units.kcal / ase_units.mol,
}

TEMPERATURE_UNITS: tuple[str, ...] = ("K", "°C", "C")
CONDUCTIVITY_UNITS: tuple[str, ...] = ("S/cm", "mS/cm", "µS/cm", "S/m", "mS/m")
ENERGY_UNITS: tuple[str, ...] = ("eV", "meV", "kJ/mol", "kcal/mol")


def _normalise(unit: str) -> str:
    return " ".join(unit.strip().lower().replace("μ", "µ").split())


@overload
def to_kelvin(values: float, unit: str) -> float: ...
@overload
def to_kelvin(values: ArrayLike, unit: str) -> NDArray[np.float64]: ...
def to_kelvin(values: ArrayLike, unit: str) -> float | NDArray[np.float64]:
    """Convert temperatures to kelvin.

    Parameters
    ----------
    values
        Temperature(s) in ``unit``.
    unit
        ``"K"`` or ``"°C"`` (also ``"C"``, ``"degC"``, ``"celsius"``), case-insensitive.

    Returns
    -------
    float or numpy.ndarray
        Temperature(s) in K (a float for a scalar input).

    Raises
    ------
    ConfigError
        For an unknown unit, or a value below absolute zero.
    """
    key = _normalise(unit)
    if key not in _KELVIN_OFFSETS:
        raise ConfigError(f"unknown temperature unit {unit!r}; use one of {', '.join(TEMPERATURE_UNITS)}")
    kelvin = np.asarray(values, dtype=float) + _KELVIN_OFFSETS[key]
    if np.any(kelvin < 0):
        raise ConfigError(
            f"temperature below absolute zero after conversion from {unit!r}: {np.min(kelvin)} K"
        )
    return float(kelvin) if kelvin.ndim == 0 else kelvin


@overload
def to_s_per_cm(values: float, unit: str) -> float: ...
@overload
def to_s_per_cm(values: ArrayLike, unit: str) -> NDArray[np.float64]: ...
def to_s_per_cm(values: ArrayLike, unit: str) -> float | NDArray[np.float64]:
    """Convert conductivities to S/cm.

    Parameters
    ----------
    values
        Conductivity (or conductivities) in ``unit``.
    unit
        ``"S/cm"``, ``"mS/cm"``, ``"µS/cm"``, ``"S/m"`` or ``"mS/m"`` (also ``"S cm-1"`` style),
        case-insensitive.

    Returns
    -------
    float or numpy.ndarray
        Conductivity in S/cm (a float for a scalar input).

    Raises
    ------
    ConfigError
        For an unknown unit.
    """
    key = _normalise(unit)
    if key not in _S_PER_CM_FACTORS:
        raise ConfigError(f"unknown conductivity unit {unit!r}; use one of {', '.join(CONDUCTIVITY_UNITS)}")
    converted = np.asarray(values, dtype=float) * _S_PER_CM_FACTORS[key]
    return float(converted) if converted.ndim == 0 else converted


@overload
def to_ev(values: float, unit: str) -> float: ...
@overload
def to_ev(values: ArrayLike, unit: str) -> NDArray[np.float64]: ...
def to_ev(values: ArrayLike, unit: str) -> float | NDArray[np.float64]:
    """Convert activation energies (per migrating ion) to eV.

    Parameters
    ----------
    values
        Energy (or energies) in ``unit``.
    unit
        ``"eV"``, ``"meV"``, ``"kJ/mol"`` or ``"kcal/mol"`` (also ``"kJ mol-1"`` style), case-insensitive.
        A molar energy is per mole of ions: E(eV) = E(kJ/mol) x 0.0103643 (``ase.units``).

    Returns
    -------
    float or numpy.ndarray
        Energy in eV (a float for a scalar input).

    Raises
    ------
    ConfigError
        For an unknown unit.
    """
    key = _normalise(unit)
    if key not in _EV_FACTORS:
        raise ConfigError(f"unknown energy unit {unit!r}; use one of {', '.join(ENERGY_UNITS)}")
    converted = np.asarray(values, dtype=float) * _EV_FACTORS[key]
    return float(converted) if converted.ndim == 0 else converted
