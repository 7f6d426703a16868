"""How well a metadynamics barrier is known: its history over the run, and the spread over walkers.

A single run's block analysis under-covers the seed-to-seed spread (issue 12: ±0.0006 eV for a single
crossing, 3–6× too small), so a single walker's barrier has *no* stated uncertainty: it is "unknown". An
error bar comes from independent replicas (:class:`~sselab.simulate.metad.replicas.MetaDReplicaSet`) or from
walkers sharing one bias (:func:`walker_uncertainty`): mean ± sd/√n over at least three.

Example
-------
>>> value, details = walker_uncertainty(colvar, hills, 600.0, 10.0, barriers, 1e-3)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sselab.errors import SimulationError
from sselab.simulate.metad.barriers import BarrierResult, find_barriers
from sselab.simulate.metad.fes import free_energy_surface, grid_from_hills, reweight_fes
from sselab.simulate.metad.plumed import ColvarData

__all__ = ["MIN_REPLICAS", "barrier_history", "split_walkers", "target_site", "walker_uncertainty"]

#: Fewest replicas or walkers that give an error bar (mean ± sd/√n).
MIN_REPLICAS = 3


def target_site(barriers: BarrierResult) -> tuple[float, ...]:
    """The target site's coordinates (the last minimum, or the one before it when an onward hop was
    followed)."""
    index = -2 if barriers.onward_ev is not None and len(barriers.minima) > 2 else -1
    return barriers.minima[index].position


def barrier_history(
    hills: Any,
    bias_factor: float,
    barriers: BarrierResult,
    bins: int,
    min_depth_ev: float,
    tolerance: float | None,
    fractions: tuple[float, ...] = (0.5, 0.625, 0.75, 0.875, 1.0),
) -> tuple[list[float], list[float]]:
    """The effective barrier from the hills deposited up to each fraction of the run, between the same sites:
    ``(times_ps, barriers_ev)`` (points where no barrier is found are left out)."""
    lo, hi, nb = grid_from_hills(hills, bins)
    times = np.asarray(hills.times_ps)
    out_t: list[float] = []
    out_e: list[float] = []
    for fraction in fractions:
        t = float(times.min() + fraction * (times.max() - times.min()))
        try:
            fes = free_energy_surface(hills, bias_factor, lo, hi, nb, until_time_ps=t)
            found = find_barriers(
                fes, barriers.minima[0].position, target_site(barriers), min_depth_ev,
                target_tolerance=tolerance, onward=barriers.onward_ev is not None,
            )  # fmt: skip
        except SimulationError:
            continue
        out_t.append(t)
        out_e.append(found.effective_ev)
    return out_t, out_e


def split_walkers(colvar: ColvarData) -> list[ColvarData]:
    """The COLVAR of each walker group (lines of one time are the groups in order); one item for one
    walker."""
    times = colvar.times_ps
    if len(times) == 0:
        return [colvar]
    n = int(np.count_nonzero(times == times[0]))
    if n <= 1 or len(times) % n or np.any(np.diff(times[::n]) <= 0):
        return [colvar]
    static = colvar.static_bias_ev
    return [
        ColvarData(
            colvar.cv_names,
            times[g::n],
            colvar.values[g::n],
            colvar.bias_ev[g::n],
            None if static is None else static[g::n],
        )
        for g in range(n)
    ]


def walker_uncertainty(
    colvar: ColvarData,
    hills: Any,
    temperature_k: float,
    bias_factor: float,
    barriers: BarrierResult,
    min_depth_ev: float,
    tolerance: float | None = None,
    bins: int = 60,
    quantity: str = "effective",
) -> tuple[float | None, dict[str, Any]]:
    """Standard error of the effective barrier over walkers sharing one bias: each walker's frames reweighted
    on their own, between the same sites (``quantity``: ``"effective"`` or ``"intrinsic"``); ``sd/√n`` when
    at least :data:`MIN_REPLICAS` give a barrier, else ``None`` ("unknown") with the reason."""
    walkers = split_walkers(colvar)
    details: dict[str, Any] = {"walker_barriers_ev": [], "n_walkers": len(walkers)}
    if len(walkers) < MIN_REPLICAS:
        details["uncertainty_reason"] = (
            f"unknown: {len(walkers)} walker(s); an error bar needs {MIN_REPLICAS} or more replicas or "
            "walkers sharing one bias"
        )
        return None, details
    lo, hi, _ = grid_from_hills(hills, bins)
    for walker in walkers:
        try:
            fes = reweight_fes(walker, hills, temperature_k, bias_factor, lo, hi, bins)
            found = find_barriers(
                fes, barriers.minima[0].position, target_site(barriers), min_depth_ev,
                target_tolerance=tolerance, onward=barriers.onward_ev is not None,
            )  # fmt: skip
            value = found.intrinsic_ev if quantity == "intrinsic" else found.effective_ev
            if value is not None:
                details["walker_barriers_ev"].append(value)
        except SimulationError:
            continue
    values = np.asarray(details["walker_barriers_ev"])
    if len(values) < MIN_REPLICAS:
        details["uncertainty_reason"] = (
            f"unknown: only {len(values)} of {len(walkers)} walkers gave a barrier on their own"
        )
        return None, details
    details["uncertainty_source"] = f"sd/sqrt(n) over {len(values)} walkers sharing one bias"
    return float(values.std(ddof=1) / np.sqrt(len(values))), details
