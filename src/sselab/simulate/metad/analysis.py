"""Analysis of a metadynamics run: both FES estimators, the barriers between two sites, their uncertainty.

Example
-------
>>> analysis = analyse_metadynamics(read_hills("HILLS"), read_colvar("COLVAR"), 600.0, 10.0)  # doctest: +SKIP
>>> analysis.barriers.rate_determining_ev  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import units

from sselab.errors import SimulationError
from sselab.simulate.metad.barriers import BarrierResult, find_barriers
from sselab.simulate.metad.fes import FES, free_energy_surface, grid_from_hills, reweight_fes
from sselab.simulate.metad.figures import plot_barrier_convergence, plot_fes, plot_track
from sselab.simulate.metad.uncertainty import barrier_history, target_site, walker_uncertainty
from sselab.simulate.runfolder import RunFolder, jsonable

__all__ = ["MetaDAnalysis", "analyse_metadynamics"]

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetaDAnalysis:
    """FES, barriers (with uncertainty) and the details of both estimators of a metadynamics run.

    Attributes
    ----------
    fes
        The FES the barriers were read from.
    barriers
        The barriers (eV), ``None`` when none was found (``barrier_error`` says why).
    barrier_error
        Why there is no barrier.
    details
        Barriers of both estimators, their errors, and the uncertainty's ingredients.
    """

    fes: FES
    barriers: BarrierResult | None
    barrier_error: str | None
    details: dict[str, Any]

    @property
    def uncertainty_reason(self) -> str | None:
        """Why the barrier has no uncertainty (``None`` when it has one or did not say)."""
        reason = self.details.get("uncertainty_reason") or self.details.get("uncertainty_error")
        return None if reason is None else str(reason)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``summary.json``); :meth:`from_dict` rebuilds the analysis."""
        return {
            "fes_method": self.fes.method,
            "barriers": self.barriers.as_dict() if self.barriers is not None else None,
            "barrier_error": self.barrier_error,
            "uncertainty_reason": self.uncertainty_reason,
            "details": jsonable(self.details),
            "fes": self.fes.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetaDAnalysis:
        """Inverse of :meth:`as_dict`."""
        barriers = data.get("barriers")
        return cls(
            fes=FES.from_dict(data["fes"]),
            barriers=None if barriers is None else BarrierResult.from_dict(barriers),
            barrier_error=data.get("barrier_error"),
            details=dict(data.get("details") or {}),
        )


def _samples(fes: Any, position: Any) -> bool:
    """Whether ``fes`` has a finite free energy in the bin nearest ``position`` (inside its axes)."""
    idx = []
    for axis, x in zip(fes.axes, position, strict=True):
        if x is None or (isinstance(x, float) and np.isnan(x)):
            continue
        step = axis[1] - axis[0] if len(axis) > 1 else 0.0
        if not axis[0] - step <= x <= axis[-1] + step:
            return False
        idx.append(int(np.argmin(np.abs(axis - x))))
    if len(idx) != fes.ndim:
        return True
    return bool(np.isfinite(fes.free_energy_ev[tuple(idx)]))


def _same_sites(fes: Any, result: BarrierResult, anchor: BarrierResult, bins_tolerance: float = 3.0) -> bool:
    """Whether ``result``'s start and target minima lie within a few bins of ``fes`` of ``anchor``'s."""
    spacing = np.array([a[1] - a[0] for a in fes.axes])
    pairs = (
        (result.minima[0].position, anchor.minima[0].position),
        (target_site(result), target_site(anchor)),
    )
    for mine, ref in pairs:
        offset = np.abs(np.asarray(mine) - np.asarray(ref)) / spacing
        if np.any(offset > bins_tolerance):
            return False
    return True


def fes_noise_ev(hills: Any, bias_factor: float, bins: int, cv_names: Any = None) -> float:
    """How much the hills FES still changes: the RMS difference (eV) between the FES from all hills and from
    the first 75 %, on the explored region below the highest free energy of the latter, both set to 0 at
    their minimum. A minimum shallower than this is not a site."""
    times = np.asarray(hills.times_ps)
    if len(times) < 8:
        return float("inf")
    lo, hi, nb = grid_from_hills(hills, bins)
    full = free_energy_surface(hills, bias_factor, lo, hi, nb, cv_names=cv_names)
    cut = times.min() + 0.75 * (times.max() - times.min())
    early = free_energy_surface(hills, bias_factor, lo, hi, nb, until_time_ps=cut, cv_names=cv_names)
    inside = early.free_energy_ev < 0.9 * early.free_energy_ev.max()
    if not np.any(inside):
        return float("inf")
    diff = full.free_energy_ev[inside] - early.free_energy_ev[inside]
    return float(np.sqrt(np.mean((diff - diff.mean()) ** 2)))


def analyse_metadynamics(
    hills: Any,
    colvar: Any,
    temperature_k: float,
    bias_factor: float,
    bins: int = 200,
    start: Any = None,
    end: Any = None,
    min_depth_ev: float | None = None,
    cv_names: Any = None,
    folder: RunFolder | None = None,
    fes_method: str = "reweighting",
    reweight_bins: int | None = None,
    target_tolerance: float | None = None,
    onward: bool = False,
    quantity: str = "effective",
) -> MetaDAnalysis:
    """FES, barriers between ``start`` and ``end`` and their uncertainty; tables and figures in ``folder``.

    The sites come from the hills FES (``F = -γ/(γ-1) V``, ``bins`` intervals per CV): a site is a minimum
    at least ``min_depth_ev`` deep (default ``max(3 kT, the FES's noise)``, :func:`fes_noise_ev`), not on the
    edge of the explored region, the target within ``target_tolerance`` of ``end`` along the first CV.
    Without two such sites there is no barrier, whatever the reweighted FES shows. The reweighted FES
    (Tiwary–Parrinello, ``reweight_bins`` per CV, default 80 in 1D and 40 in 2D) gives the barrier between
    the same sites when it finds them within 3 of its bins; ``fes_method`` says which estimate is reported
    (``"reweighting"``, default: free of the Gaussian smoothing that lowers sharp barriers; ``"hills"``).
    Both estimates are kept in ``details``. The uncertainty is the spread over walkers sharing the bias
    (three or more) of the reported ``quantity`` (``"effective"``: the span; ``"intrinsic"``: ½ plateau +
    onward), else unknown (``None``, reason in ``uncertainty_reason``).

    Writes ``outputs/fes.dat`` (CVs and free energy in eV) and ``figures/fes.png``, ``track.png`` and
    ``barrier_convergence.png`` when ``folder`` is given.
    """
    if fes_method not in ("reweighting", "hills"):
        raise SimulationError(f"fes_method must be 'reweighting' or 'hills', got {fes_method!r}")
    hills_fes = free_energy_surface(hills, bias_factor, bins=bins, cv_names=cv_names)
    surfaces = {"hills": hills_fes}
    noise = fes_noise_ev(hills, bias_factor, bins, cv_names)
    kt3 = 3.0 * float(units.kB) * temperature_k
    depth = (
        float(min_depth_ev) if min_depth_ev is not None else max(kt3, noise if np.isfinite(noise) else kt3)
    )
    errors: dict[str, str] = {}
    found: dict[str, BarrierResult] = {}
    try:
        found["hills"] = find_barriers(
            hills_fes, start=start, end=end, min_depth_ev=depth, target_tolerance=target_tolerance,
            onward=onward,
        )  # fmt: skip
    except SimulationError as exc:
        errors["hills"] = str(exc)
    ndim = hills_fes.ndim
    anchor = found.get("hills")
    if anchor is not None:
        try:
            nb = reweight_bins if reweight_bins is not None else (80 if ndim == 1 else 40)
            reweighted = reweight_fes(colvar, hills, temperature_k, bias_factor, bins=nb)
            surfaces["reweighting"] = reweighted
            if not _samples(reweighted, anchor.minima[0].position):
                raise SimulationError(
                    "the reweighted FES does not sample the start site (the ion left it before the analysed "
                    "part of the run and did not come back)"
                )
            spacing = float(reweighted.axes[0][1] - reweighted.axes[0][0])
            tol = max(3.0 * spacing, target_tolerance or 0.0)
            candidate = find_barriers(
                reweighted, anchor.minima[0].position, target_site(anchor), depth, target_tolerance=tol,
                onward=onward,
            )  # fmt: skip
            if not _same_sites(reweighted, candidate, anchor):
                raise SimulationError(
                    "the reweighted FES puts the start or target minimum elsewhere than the hills FES "
                    f"({candidate.minima[0].position}, {target_site(candidate)} vs "
                    f"{anchor.minima[0].position}, {target_site(anchor)}): too little sampling"
                )
            found["reweighting"] = candidate
        except SimulationError as exc:
            errors["reweighting"] = str(exc)
    chosen = fes_method if fes_method in found else "hills"
    fes = surfaces.get(chosen, hills_fes)
    barriers = found.get(chosen)
    error = None if barriers is not None else errors.get("hills", "no barrier")
    details: dict[str, Any] = {
        "fes_method": chosen,
        "barriers_by_method": {m: b.as_dict() for m, b in found.items()},
        "errors_by_method": errors,
        "noise_ev": noise if np.isfinite(noise) else None,
        "min_depth_ev": depth,
        "three_kt_ev": kt3,
        "target_tolerance": target_tolerance,
    }
    if barriers is not None:
        times, history = barrier_history(
            hills, bias_factor, barriers, min(bins, 100), depth, target_tolerance
        )
        details["times_ps"], details["barrier_vs_time_ev"] = times, history
        uncertainty, extra = walker_uncertainty(
            colvar, hills, temperature_k, bias_factor, barriers, depth, target_tolerance, quantity=quantity
        )
        details.update(extra)
        barriers = barriers.with_uncertainty(uncertainty)
    else:
        LOGGER.warning("no barrier: %s", error)
    if folder is not None:
        grids = np.meshgrid(*fes.axes, indexing="ij")
        table = np.column_stack([g.ravel() for g in grids] + [fes.free_energy_ev.ravel()])
        header = "FIELDS " + " ".join(fes.cv_names) + f" free_energy_ev ({chosen})"
        np.savetxt(folder.outputs / "fes.dat", table, fmt="%.6f", header=header, comments="#! ")
        plot_fes(fes, barriers, folder.figures / "fes.png")
        plot_track(colvar, folder.figures / "track.png")
        if details.get("times_ps"):
            plot_barrier_convergence(
                details["times_ps"], details["barrier_vs_time_ev"], folder.figures / "barrier_convergence.png"
            )
    return MetaDAnalysis(fes, barriers, error, details)
