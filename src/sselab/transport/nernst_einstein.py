"""Conductivity from a diffusion coefficient (Nernst-Einstein relation)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants

from sselab.errors import FitError


def nernst_einstein_conductivity(
    diffusion_cm2_per_s: ArrayLike,
    carrier_density_per_cm3: float,
    charge: int,
    temperature_k: ArrayLike,
    haven_ratio: float = 1.0,
) -> float | NDArray[np.float64]:
    """Ionic conductivity sigma = n (z e)^2 D / (k_B T H_R).

    Parameters
    ----------
    diffusion_cm2_per_s
        Tracer diffusion coefficient(s) of the mobile ion, cm^2/s.
    carrier_density_per_cm3
        Number density of mobile ions, 1/cm^3.
    charge
        Charge number z of the ion (1 for Li+, 2 for Mg2+).
    temperature_k
        Temperature(s), K (broadcast with ``diffusion_cm2_per_s``).
    haven_ratio
        Haven ratio H_R = D_tracer / D_sigma (1.0: uncorrelated hops).

    Returns
    -------
    float or numpy.ndarray
        Conductivity, S/cm.

    Example
    -------
    >>> f"{nernst_einstein_conductivity(1e-8, 1e22, 1, 300.0):.3e}"
    '6.197e-04'
    """
    diffusion = np.asarray(diffusion_cm2_per_s, dtype=float)
    temperature = np.asarray(temperature_k, dtype=float)
    if np.any(temperature <= 0):
        raise FitError(f"temperature must be positive (K), got {np.min(temperature)}")
    if np.any(diffusion < 0):
        raise FitError(f"diffusion coefficient must be non-negative (cm^2/s), got {np.min(diffusion)}")
    if carrier_density_per_cm3 <= 0 or haven_ratio <= 0 or charge == 0:
        raise FitError("carrier density and Haven ratio must be positive and the charge non-zero")
    charge_c = charge * constants.elementary_charge
    sigma = (
        carrier_density_per_cm3 * charge_c**2 * diffusion / (constants.Boltzmann * temperature * haven_ratio)
    )
    return float(sigma) if sigma.ndim == 0 else sigma
