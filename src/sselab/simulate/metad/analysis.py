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

from sselab.errors import SimulationError
from sselab.simulate.metad.barriers import BarrierResult, find_barriers
from sselab.simulate.metad.fes import FES, free_energy_surface, reweight_fes
from sselab.simulate.metad.figures import plot_barrier_convergence, plot_fes, plot_track
from sselab.simulate.metad.uncertainty import estimate_uncertainty
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
        step = axis[1] - axis[0] if len(axis) > 1 else 0.0
        if not axis[0] - step <= x <= axis[-1] + step:
            return False
        idx.append(int(np.argmin(np.abs(axis - x))))
    return bool(np.isfinite(fes.free_energy_ev[tuple(idx)]))


def _same_sites(fes: Any, result: Any, anchor: Any, bins_tolerance: float = 3.0) -> bool:
    """Whether ``result``'s start and end minima lie within a few bins of ``fes`` of ``anchor``'s."""
    spacing = np.array([a[1] - a[0] for a in fes.axes])
    for mine, ref in ((result.minima[0], anchor.minima[0]), (result.minima[-1], anchor.minima[-1])):
        offset = np.abs(np.asarray(mine.position) - np.asarray(ref.position)) / spacing
        if np.any(offset > bins_tolerance):
            return False
    return True


def analyse_metadynamics(
    hills: Any,
    colvar: Any,
    temperature_k: float,
    bias_factor: float,
    bins: int = 200,
    start: Any = None,
    end: Any = None,
    min_depth_ev: float = 0.05,
    cv_names: Any = None,
    folder: RunFolder | None = None,
    fes_method: str = "reweighting",
    reweight_bins: int | None = None,
) -> MetaDAnalysis:
    """FES, barriers between ``start`` and ``end`` and their uncertainty; tables and figures in ``folder``.

    Both FES estimators are computed: from the hills (``F = -γ/(γ-1) V``, ``bins`` intervals per CV) and by
    Tiwary–Parrinello reweighting of the COLVAR (``reweight_bins`` per CV, default 80 in 1D, 40 in 2D). The
    barriers of ``fes_method`` are the result: ``"reweighting"`` (default; free of the Gaussian-width
    smoothing that lowers sharp barriers in the hills estimate) or ``"hills"``. The hills FES locates the
    start and end sites; the reweighted one is used only if its minima fall within 3 of its bins of those
    sites and it samples the start site. When the chosen estimator gives no barrier, the other is used. Both
    results are kept in ``details``.

    Writes ``outputs/fes.dat`` (CVs and free energy in eV) and ``figures/fes.png``, ``track.png`` and
    ``barrier_convergence.png`` when ``folder`` is given.
    """
    if fes_method not in ("reweighting", "hills"):
        raise SimulationError(f"fes_method must be 'reweighting' or 'hills', got {fes_method!r}")
    surfaces = {"hills": free_energy_surface(hills, bias_factor, bins=bins, cv_names=cv_names)}
    ndim = surfaces["hills"].ndim
    errors: dict[str, str] = {}
    try:
        nb = reweight_bins if reweight_bins is not None else (80 if ndim == 1 else 40)
        reweighted = reweight_fes(colvar, hills, temperature_k, bias_factor, bins=nb)
        if start is not None and not _samples(reweighted, start):
            raise SimulationError(
                "the reweighted FES does not sample the start site (the ion left it before the analysed part "
                "of the run and did not come back)"
            )
        surfaces["reweighting"] = reweighted
    except SimulationError as exc:
        errors["reweighting"] = str(exc)
    found = {}
    try:
        found["hills"] = find_barriers(surfaces["hills"], start=start, end=end, min_depth_ev=min_depth_ev)
    except SimulationError as exc:
        errors["hills"] = str(exc)
    if "reweighting" in surfaces:
        # the smooth hills FES locates the sites; the reweighted FES must find the same ones
        anchor = found.get("hills")
        r_start = anchor.minima[0].position if anchor is not None else start
        r_end = anchor.minima[-1].position if anchor is not None else end
        try:
            candidate = find_barriers(surfaces["reweighting"], r_start, r_end, min_depth_ev=min_depth_ev)
            if anchor is not None and not _same_sites(surfaces["reweighting"], candidate, anchor):
                raise SimulationError(
                    "the reweighted FES puts the start or end minimum elsewhere than the hills FES "
                    f"({candidate.minima[0].position}, {candidate.minima[-1].position} vs "
                    f"{anchor.minima[0].position}, {anchor.minima[-1].position}): too little sampling"
                )
            found["reweighting"] = candidate
        except SimulationError as exc:
            errors["reweighting"] = str(exc)
    order = [fes_method, "hills" if fes_method == "reweighting" else "reweighting"]
    chosen = next((m for m in order if m in found), order[0] if order[0] in surfaces else "hills")
    fes = surfaces[chosen]
    barriers = found.get(chosen)
    error = None if barriers is not None else errors.get(chosen, "no barrier")
    details: dict[str, Any] = {
        "fes_method": chosen,
        "barriers_by_method": {m: b.as_dict() for m, b in found.items()},
        "errors_by_method": errors,
    }
    if barriers is not None:
        try:
            uncertainty, extra = estimate_uncertainty(
                hills, colvar, temperature_k, bias_factor, barriers, min(bins, 100), min_depth_ev=min_depth_ev
            )
            details.update(extra)
            barriers = barriers.with_uncertainty(uncertainty)
        except SimulationError as exc:
            details["uncertainty_error"] = str(exc)
    if barriers is None:
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
