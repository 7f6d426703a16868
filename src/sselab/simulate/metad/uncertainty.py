"""Uncertainty of a metadynamics barrier: block analysis of the reweighted COLVAR and convergence in time.

Example
-------
>>> value, details = estimate_uncertainty(hills, colvar, 600.0, 10.0, barriers)  # doctest: +SKIP
>>> details["uncertainty_source"]  # doctest: +SKIP
'blocks+drift'
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

from sselab.errors import SimulationError
from sselab.simulate.metad.barriers import BarrierResult, find_barriers
from sselab.simulate.metad.fes import free_energy_surface, grid_from_hills, reweight_fes

__all__ = ["estimate_uncertainty"]


def estimate_uncertainty(
    hills: Any,
    colvar: Any,
    temperature_k: float,
    bias_factor: float,
    barriers: BarrierResult,
    bins: int = 200,
    n_blocks: int = 4,
    min_depth_ev: float = 0.05,
    resolution_ev: float = 1e-4,
) -> tuple[float | None, dict[str, Any]]:
    """Uncertainty (eV) of ``barriers.rate_determining_ev`` from block analysis and convergence in time.

    - Convergence: the barrier from the hills deposited up to 50, 62.5, 75, 87.5 and 100 % of the run; the
      drift is ``|Ea(100 %) - Ea(75 %)|``.
    - Blocks: the second half of the COLVAR split into ``n_blocks`` blocks, each reweighted
      (Tiwary–Parrinello) into a FES and analysed between the same start and end sites; standard error
      ``std / sqrt(n)``.

    Returns ``sqrt(se² + drift²)``; when fewer than two blocks give a barrier, the standard deviation of the
    barrier over the convergence series (``uncertainty_source`` says which) and the details (``times_ps``,
    ``barrier_vs_time_ev``, ``block_barriers_ev``, ``block_se_ev``, ``drift_ev``, ``uncertainty_reason``).

    The uncertainty is ``None`` (never a fake tiny number), with ``uncertainty_source = None`` and the
    reason in ``uncertainty_reason``, when neither estimate exists or when the spread found is below
    ``resolution_ev`` (eV): the barrier did not change between blocks or over time, as in a run too short
    for block analysis whose late hills are negligible. That is no evidence of precision, only of too little
    data.
    """
    start, end = barriers.minima[0].position, barriers.minima[-1].position
    lo, hi, nb = grid_from_hills(hills, bins)
    times = np.asarray(hills.times_ps)
    details: dict[str, Any] = {"times_ps": [], "barrier_vs_time_ev": [], "block_barriers_ev": []}
    for fraction in (0.5, 0.625, 0.75, 0.875, 1.0):
        t = float(times.min() + fraction * (times.max() - times.min()))
        try:
            fes = free_energy_surface(hills, bias_factor, lo, hi, nb, until_time_ps=t)
            value = find_barriers(fes, start, end, min_depth_ev).rate_determining_ev
        except SimulationError:
            continue
        details["times_ps"].append(t)
        details["barrier_vs_time_ev"].append(value)
    series = dict(zip(details["times_ps"], details["barrier_vs_time_ev"], strict=True))
    drift = None
    if len(series) >= 2 and details["times_ps"][-1] == float(times.max()):
        ref = min(series, key=lambda t: abs(t - (times.min() + 0.75 * (times.max() - times.min()))))
        drift = abs(series[float(times.max())] - series[ref])
    t0, t1 = float(colvar.times_ps[0]), float(colvar.times_ps[-1])
    edges = np.linspace(t0 + 0.5 * (t1 - t0), t1, n_blocks + 1)
    block_bins = max(20, min(60, bins // 3))
    for a, b in pairwise(edges):
        try:
            fes = reweight_fes(colvar, hills, temperature_k, bias_factor, lo, hi, block_bins, a, b)
            details["block_barriers_ev"].append(
                find_barriers(fes, start, end, min_depth_ev).rate_determining_ev
            )
        except SimulationError:
            continue
    blocks = np.asarray(details["block_barriers_ev"])
    se = float(blocks.std(ddof=1) / np.sqrt(len(blocks))) if len(blocks) >= 2 else None
    details["block_se_ev"], details["drift_ev"] = se, drift
    details["uncertainty_source"], details["uncertainty_reason"] = None, None
    series_values = np.asarray(details["barrier_vs_time_ev"])
    if se is not None:
        value = float(np.sqrt(se * se + (drift or 0.0) ** 2))
        source = "blocks+drift"
    elif len(series_values) >= 3:  # too few reweighted blocks: spread of the barrier over the second half
        value, source = float(series_values.std(ddof=1)), "convergence"
    else:
        details["uncertainty_reason"] = (
            f"{len(blocks)} of {n_blocks} blocks and {len(series_values)} points in time gave a barrier: "
            "too few for an uncertainty (run longer)"
        )
        return None, details
    if not value >= resolution_ev:  # also NaN
        details["uncertainty_reason"] = (
            f"the barrier did not change {'between blocks' if source == 'blocks+drift' else 'over time'} "
            f"(spread {value:.1e} eV < {resolution_ev:g} eV, {len(blocks)} blocks gave a barrier): too "
            "little sampling for an uncertainty (run longer)"
        )
        return None, details
    details["uncertainty_source"] = source
    return value, details
