"""Ionic transport: Arrhenius fits of σ(T), phase-transition segments, units, Nernst-Einstein.

>>> from sselab.transport import fit_arrhenius, to_kelvin
>>> fit = fit_arrhenius(to_kelvin([25.0, 50.0, 75.0, 100.0], "°C"), [1e-6, 5e-6, 2e-5, 6e-5])
>>> round(fit.activation_energy_ev, 2)
0.55
"""

from __future__ import annotations

from sselab.transport.arrhenius import BOLTZMANN_EV_PER_K, ArrheniusFit, fit_arrhenius
from sselab.transport.nernst_einstein import nernst_einstein_conductivity
from sselab.transport.plot import plot_arrhenius
from sselab.transport.segments import TwoSegmentFit, fit_two_segment
from sselab.transport.units import to_ev, to_kelvin, to_s_per_cm

__all__ = [
    "BOLTZMANN_EV_PER_K",
    "ArrheniusFit",
    "TwoSegmentFit",
    "fit_arrhenius",
    "fit_two_segment",
    "nernst_einstein_conductivity",
    "plot_arrhenius",
    "to_ev",
    "to_kelvin",
    "to_s_per_cm",
]
