"""The stopping rule of a chunked metadynamics run: when is a free-energy barrier converged?

:class:`BarrierStoppingRule` is what :func:`sselab.simulate.recipes.metad_of_structure` asks after every
chunk. A run is converged when all of these hold (defaults in brackets):

1. at least ``min_transitions`` committed transitions between the start and the target site [10] — a
   transition is a change of the last basin visited, each basin being within ``basin_half_width`` of its site
   along the first CV, counted over every walker;
2. the reported barrier changed by less than ``barrier_tolerance_ev`` between the end of this chunk and the
   ends of the two chunks before [0.02 eV];
3. the current hill is below ``hill_fraction`` of the first one [5 %]: the bias has stopped growing;
4. the hills and reweighted estimators agree within ``estimator_tolerance_ev`` [0.05 eV];
5. and it is not a smoke test.

When the cap (``settings.steps``) is reached first, the verdict is ``False`` with the criteria still failing.
The measurements go to ``result.convergence``.

Example
-------
>>> count_transitions(np.array([0.0, 0.1, 1.0, 2.4, 2.5, 1.2, 0.05, 2.6]), 0.0, 2.5, 0.5)
3
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sselab.errors import SimulationError
from sselab.simulate.metad.analysis import analyse_metadynamics
from sselab.simulate.metad.barriers import BarrierResult
from sselab.simulate.metad.plumed import ColvarData, HillsData
from sselab.simulate.metad.result import MetaDResult, reported_barrier
from sselab.simulate.metad.uncertainty import split_walkers, target_site
from sselab.simulate.protocols import SMOKE_TEST_LABEL

__all__ = ["BarrierStoppingRule", "count_transitions", "transitions_of"]


def count_transitions(track: np.ndarray, start: float, target: float, half_width: float) -> int:
    """Committed transitions of a 1D track between the basin around ``start`` and the one around ``target``
    (each ``half_width`` wide on either side): how often the last basin visited changes."""
    values = np.asarray(track, dtype=float)
    in_start = np.abs(values - start) <= half_width
    in_target = np.abs(values - target) <= half_width
    state = np.where(in_start, 0, np.where(in_target, 1, -1))
    visited = state[state >= 0]
    return int(np.count_nonzero(np.diff(visited))) if len(visited) > 1 else 0


def transitions_of(result: MetaDResult, colvar: ColvarData | None = None) -> tuple[int, dict[str, Any]]:
    """Committed transitions of ``result`` between its start and target sites (summed over walkers).

    The sites are the barrier's start and target minima when there is a barrier, else the recorded start and
    end; the basin half-width is a quarter of their distance, at most ``settings.target_tolerance_a``.
    """
    colvar = colvar if colvar is not None else result.colvar
    b = result.barriers
    if b is not None:
        start, target = b.minima[0].position[0], target_site(b)[0]
    elif result.end is not None and result.end[0] is not None:
        start, target = result.start[0], float(result.end[0])
    else:
        return 0, {"transitions_reason": "no target site to count transitions to"}
    half = min(0.25 * abs(target - start), result.settings.target_tolerance_a)
    counts = [count_transitions(w.values[:, 0], start, target, half) for w in split_walkers(colvar)]
    return int(sum(counts)), {"start_site": start, "target_site": target, "basin_half_width": half,
                              "transitions_per_walker": counts}  # fmt: skip


def _truncated(hills: HillsData, colvar: ColvarData, until_ps: float) -> tuple[HillsData, ColvarData]:
    h = hills.times_ps <= until_ps + 1e-9
    c = colvar.times_ps <= until_ps + 1e-9
    static = None if colvar.static_bias_ev is None else colvar.static_bias_ev[c]
    return (
        replace(hills, times_ps=hills.times_ps[h], centers=hills.centers[h], sigmas=hills.sigmas[h],
                heights_ev=hills.heights_ev[h]),
        ColvarData(colvar.cv_names, colvar.times_ps[c], colvar.values[c], colvar.bias_ev[c], static),
    )  # fmt: skip


def _barrier_at(result: MetaDResult, until_ps: float) -> float | None:
    """The reported barrier of ``result`` from its hills and COLVAR up to ``until_ps`` (``None``: none)."""
    hills, colvar = _truncated(result.hills, result.colvar, until_ps)
    if len(hills.heights_ev) < 8 or len(colvar.times_ps) < 8:
        return None
    options = dict(result.parameters.get("analysis") or {})
    try:
        analysis = analyse_metadynamics(
            hills, colvar, result.settings.temperature_k, hills.bias_factor, result.settings.fes_bins,
            result.start, result.end, cv_names=result.cv_names, fes_method=result.settings.fes_method,
            target_tolerance=options.get("target_tolerance"), onward=bool(options.get("onward")),
        )  # fmt: skip
    except SimulationError:
        return None
    if analysis.barriers is None:
        return None
    return reported_barrier(result.protocol, analysis.barriers)[0]


@dataclass(frozen=True)
class BarrierStoppingRule:
    """Judges a MetaD result after a chunk: ``rule(result) -> (converged, reason, measurements)``."""

    min_transitions: int = 10
    barrier_tolerance_ev: float = 0.02
    hill_fraction: float = 0.05
    estimator_tolerance_ev: float = 0.05

    def __call__(self, result: MetaDResult) -> tuple[bool, str, dict[str, Any]]:
        """The verdict on ``result``: converged only when every criterion holds."""
        at_cap = result.steps_done >= result.settings.steps
        details: dict[str, Any] = {"steps_done": result.steps_done, "at_cap": at_cap}
        if result.settings.smoke_test:
            return False, f"{SMOKE_TEST_LABEL}: convergence is not assessed, never benchmarked", details
        cap = result.settings.steps
        prefix = f"not converged at the cap of {cap} steps" if at_cap else "not converged yet"
        b = result.barriers
        if b is None:
            return False, f"{prefix}: {result.barrier_error}", details
        value = reported_barrier(result.protocol, b)[0]
        if value is None:
            why = "no onward hop from the interstitial sampled"
            return False, f"{prefix}: the {result.protocol} barrier is undefined ({why})", details
        failing: list[str] = []
        passing: list[str] = []

        def check(ok: bool, text: str) -> None:
            (passing if ok else failing).append(text)

        n, extra = transitions_of(result)
        details.update(extra, transitions=n)
        check(n >= self.min_transitions, f"{n} transitions (need {self.min_transitions})")
        chunk_ps = (result.settings.chunk_steps or result.settings.steps) * result.settings.timestep_fs / 1000
        t_end = result.simulated_time_ps
        earlier = [
            _barrier_at(result, t_end - k * chunk_ps) if t_end - k * chunk_ps > 0 else None for k in (1, 2)
        ]
        details["barrier_ev"], details["barrier_previous_chunks_ev"] = value, earlier
        if any(e is None for e in earlier):
            check(False, "no barrier two chunks ago to compare with")
        else:
            change = max(abs(value - float(e)) for e in earlier if e is not None)
            details["barrier_change_ev"] = change
            tol = self.barrier_tolerance_ev
            check(change < tol, f"barrier changed {change:.3f} eV over two chunks (need < {tol:g})")
        heights = result.hills.heights_ev
        ratio = float(heights[-1] / heights[0]) if len(heights) and heights[0] > 0 else 1.0
        details["hill_ratio"] = ratio
        need = 100 * self.hill_fraction
        check(ratio < self.hill_fraction, f"last hill {100 * ratio:.1f} % of the first (need < {need:g} %)")
        by_method = result.analysis.details.get("barriers_by_method", {})
        if {"hills", "reweighting"} <= set(by_method):
            estimates = [
                reported_barrier(result.protocol, BarrierResult.from_dict(by_method[m]))[0]
                for m in ("hills", "reweighting")
            ]
            if None in estimates:
                check(False, "one estimator has no barrier")
            else:
                gap = abs(float(estimates[0]) - float(estimates[1]))  # type: ignore[arg-type]
                details["estimator_gap_ev"] = gap
                tol = self.estimator_tolerance_ev
                check(gap < tol, f"hills and reweighted estimates {gap:.3f} eV apart (need < {tol:g})")
        else:
            why = result.analysis.details.get("errors_by_method", {}).get("reweighting", "not computed")
            check(False, f"the reweighted estimate is missing ({why})")
        details["failing"], details["passing"] = failing, passing
        if not failing:
            return True, "converged: " + "; ".join(passing), details
        return False, f"{prefix}: " + "; ".join(failing), details
