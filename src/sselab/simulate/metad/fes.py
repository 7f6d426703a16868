"""Free-energy surfaces from well-tempered metadynamics: from the hills, and by reweighting the COLVAR.

From the hills, ``F(s) = -(γ/(γ-1)) V(s)`` (``-V`` for plain metadynamics); by reweighting, each COLVAR frame
gets the Tiwary–Parrinello weight ``exp(β (V(s(t), t) - c(t)))`` with ``c(t) = β⁻¹ ln[∫ exp(γ β V / (γ-1)) ds
/ ∫ exp(β V / (γ-1)) ds]`` (J. Phys. Chem. B 119, 736 (2015)) and ``F = -β⁻¹ ln(weighted histogram)``. Free
energies in eV, shifted so that the minimum is 0.

Example
-------
>>> from sselab.simulate.metad.hills import HillSet
>>> hills = HillSet(1)
>>> hills.add([0.0], [0.2], 0.1)
>>> fes = free_energy_surface(hills, bias_factor=10.0, grid_min=[-1.0], grid_max=[1.0], bins=[200])
>>> round(float(fes.free_energy_ev.max() - fes.free_energy_ev.min()), 3)  # 10/9 * 0.1
0.111
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ase import units

from sselab.errors import SimulationError
from sselab.simulate.metad.hills import HillSet
from sselab.simulate.metad.plumed import ColvarData, HillsData

__all__ = ["FES", "bias_on_grid", "free_energy_surface", "grid_from_hills", "reweight_fes"]


@dataclass(frozen=True)
class FES:
    """A free-energy surface on a grid.

    Attributes
    ----------
    cv_names
        Names of the CVs (axes).
    axes
        Grid coordinates along each CV (CV units, Å for displacements).
    free_energy_ev
        Free energy (eV), shape ``tuple(len(a) for a in axes)``,
        minimum 0; ``inf`` where never sampled (reweighting).
    method
        ``"hills"`` or ``"reweighting"``.
    """

    cv_names: tuple[str, ...]
    axes: tuple[np.ndarray, ...]
    free_energy_ev: np.ndarray
    method: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def ndim(self) -> int:
        """Number of CVs."""
        return len(self.axes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (``inf`` written as ``None``)."""
        f = np.where(np.isfinite(self.free_energy_ev), self.free_energy_ev, np.nan)
        return {
            "cv_names": list(self.cv_names),
            "axes": [a.tolist() for a in self.axes],
            "free_energy_ev": [None if np.isnan(v) else float(v) for v in f.ravel()],
            "shape": list(f.shape),
            "method": self.method,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FES:
        """Inverse of :meth:`as_dict` (unsampled cells back to ``inf``)."""
        values = np.array([np.inf if v is None else v for v in data["free_energy_ev"]], dtype=float)
        return cls(
            cv_names=tuple(data["cv_names"]),
            axes=tuple(np.asarray(a, dtype=float) for a in data["axes"]),
            free_energy_ev=values.reshape(tuple(data["shape"])),
            method=str(data["method"]),
            metadata=dict(data.get("metadata") or {}),
        )


def _hill_arrays(hills: HillSet | HillsData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return hills.times_ps, hills.centers, hills.sigmas, hills.heights_ev


def grid_from_hills(
    hills: HillSet | HillsData, bins: Sequence[int] | int = 200, margin_sigmas: float = 1.0
) -> tuple[list[float], list[float], list[int]]:
    """A grid spanning the explored region: the hill centres ± ``margin_sigmas`` widths."""
    _, centers, sigmas, _ = _hill_arrays(hills)
    if len(centers) == 0:
        raise SimulationError("no hills: the free-energy surface is undefined")
    lo = (centers - margin_sigmas * sigmas).min(axis=0)
    hi = (centers + margin_sigmas * sigmas).max(axis=0)
    nbins = [bins] * centers.shape[1] if isinstance(bins, int) else list(bins)
    return lo.tolist(), hi.tolist(), nbins


def _axes(
    grid_min: Sequence[float], grid_max: Sequence[float], bins: Sequence[int]
) -> tuple[np.ndarray, ...]:
    return tuple(np.linspace(lo, hi, n + 1) for lo, hi, n in zip(grid_min, grid_max, bins, strict=True))


def _difference(a: np.ndarray, c: np.ndarray, period: float | None) -> np.ndarray:
    delta = a[None, :] - c
    return delta if period is None else delta - period * np.round(delta / period)


def bias_on_grid(
    axes: Sequence[np.ndarray],
    centers: np.ndarray,
    sigmas: np.ndarray,
    heights_ev: np.ndarray,
    periods: Sequence[float | None] | None = None,
) -> np.ndarray:
    """Exact sum of hills on the grid spanned by ``axes`` (eV), as matrix products of 1D Gaussians; a CV with
    a period (``periods``) takes the minimum-image distance to each hill."""
    centers = np.asarray(centers, dtype=float).reshape(len(heights_ev), len(axes))
    sigmas = np.asarray(sigmas, dtype=float).reshape(centers.shape)
    periods = list(periods) if periods is not None else [None] * len(axes)
    factors = [
        np.exp(-0.5 * (_difference(a, centers[:, d : d + 1], periods[d]) / sigmas[:, d : d + 1]) ** 2)
        for d, a in enumerate(axes)
    ]
    weighted = factors[0] * np.asarray(heights_ev, dtype=float)[:, None]
    if len(axes) == 1:
        return weighted.sum(axis=0)
    if len(axes) == 2:
        return weighted.T @ factors[1]
    bias = np.zeros(tuple(len(a) for a in axes))
    for k in range(len(heights_ev)):
        term = weighted[k]
        for f in factors[1:]:
            term = np.multiply.outer(term, f[k])
        bias += term
    return bias


def _wt_scale(bias_factor: float) -> float:
    return bias_factor / (bias_factor - 1.0) if np.isfinite(bias_factor) else 1.0


def free_energy_surface(
    hills: HillSet | HillsData,
    bias_factor: float,
    grid_min: Sequence[float] | None = None,
    grid_max: Sequence[float] | None = None,
    bins: Sequence[int] | int = 200,
    until_time_ps: float | None = None,
    cv_names: Sequence[str] | None = None,
) -> FES:
    """FES from the hills, ``F = -(γ/(γ-1)) V`` (eV, minimum 0).

    Parameters
    ----------
    hills
        A :class:`~sselab.simulate.metad.hills.HillSet` or hills read by
        :func:`~sselab.simulate.metad.hills.read_hills`.
    bias_factor
        γ of the run (``inf`` for plain metadynamics).
    grid_min, grid_max, bins
        Grid (CV units); default the explored region (:func:`grid_from_hills`) with ``bins`` intervals per CV.
    until_time_ps
        Use only hills deposited up to this time (convergence analysis).
    """
    times, centers, sigmas, heights = _hill_arrays(hills)
    if until_time_ps is not None:
        keep = times <= until_time_ps + 1e-9
        centers, sigmas, heights = centers[keep], sigmas[keep], heights[keep]
    if len(heights) == 0:
        raise SimulationError("no hills: the free-energy surface is undefined")
    if grid_min is None or grid_max is None:
        lo, hi, nb = grid_from_hills(hills, bins)
        grid_min = lo if grid_min is None else grid_min
        grid_max = hi if grid_max is None else grid_max
        bins = nb
    names = tuple(cv_names) if cv_names is not None else tuple(getattr(hills, "cv_names", ()))
    bounds = dict(getattr(hills, "periodic", {}) or {})
    grid_min, grid_max = list(grid_min), list(grid_max)
    periods: list[float | None] = []
    for d, name in enumerate(names or [""] * centers.shape[1]):
        if name in bounds:  # a periodic CV: the grid spans its period
            grid_min[d], grid_max[d] = bounds[name]
            periods.append(bounds[name][1] - bounds[name][0])
        else:
            periods.append(None)
    nbins = [bins] * centers.shape[1] if isinstance(bins, int) else list(bins)
    axes = _axes(grid_min, grid_max, nbins)
    f = -_wt_scale(bias_factor) * bias_on_grid(axes, centers, sigmas, heights, periods)
    names = names or tuple(f"cv{i + 1}" for i in range(len(axes)))
    return FES(names, axes, f - f.min(), "hills", {"bias_factor": bias_factor, "n_hills": len(heights)})


def reweighting_weights(
    colvar: ColvarData,
    hills: HillSet | HillsData,
    temperature_k: float,
    bias_factor: float,
    axes: Sequence[np.ndarray],
) -> np.ndarray:
    """Tiwary–Parrinello log-weights ``β (V(s(t), t) - c(t))`` of every COLVAR frame."""
    beta = 1.0 / (units.kB * temperature_k)
    times, centers, sigmas, heights = _hill_arrays(hills)
    gamma = bias_factor
    order = np.argsort(times, kind="stable")
    a_num, a_den = (gamma / (gamma - 1.0), 1.0 / (gamma - 1.0)) if np.isfinite(gamma) else (1.0, 0.0)
    running = np.zeros(int(np.prod([len(a) for a in axes])))
    c_values = [np.zeros(1)]
    chunk = max(1, 2_000_000 // running.size)
    for first in range(0, len(order), chunk):
        ks = order[first : first + chunk]
        factors = [
            np.exp(-0.5 * ((a[None, :] - centers[ks, d : d + 1]) / sigmas[ks, d : d + 1]) ** 2)
            for d, a in enumerate(axes)
        ]
        per_hill = factors[0] * heights[ks, None]
        for f in factors[1:]:
            per_hill = (per_hill[:, :, None] * f[:, None, :]).reshape(len(ks), -1)
        cumulative = running + np.cumsum(per_hill, axis=0)  # bias after each hill of the chunk
        running = cumulative[-1]
        num = _logsumexp_rows(a_num * beta * cumulative)
        den = _logsumexp_rows(a_den * beta * cumulative) if a_den > 0 else np.zeros(len(ks))
        c_values.append((num - den) / beta)
    c_all = np.concatenate(c_values)
    sorted_times = times[order]
    # COLVAR at time t is written before the hill deposited at the same step
    n_before = np.searchsorted(sorted_times, colvar.times_ps - 1e-9, side="right")
    c_t = c_all[n_before]
    static = colvar.static_bias_ev if colvar.static_bias_ev is not None else 0.0  # walls: a fixed bias
    return beta * (colvar.bias_ev + static - c_t)


def _logsumexp_rows(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=1)
    return m + np.log(np.sum(np.exp(x - m[:, None]), axis=1))


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + float(np.log(np.sum(np.exp(x - m))))


def reweight_fes(
    colvar: ColvarData,
    hills: HillSet | HillsData,
    temperature_k: float,
    bias_factor: float,
    grid_min: Sequence[float] | None = None,
    grid_max: Sequence[float] | None = None,
    bins: Sequence[int] | int = 60,
    start_time_ps: float | None = None,
    end_time_ps: float | None = None,
) -> FES:
    """FES by reweighting the COLVAR frames between ``start_time_ps`` and ``end_time_ps`` (eV, minimum 0).

    Unsampled bins are ``inf``. The default start skips the first 20 % of the run (bias not yet quasi-static).
    """
    if len(colvar.times_ps) == 0:
        raise SimulationError("COLVAR is empty: nothing to reweight")
    if grid_min is None or grid_max is None:
        lo, hi, nb = grid_from_hills(hills, bins)
        grid_min = lo if grid_min is None else grid_min
        grid_max = hi if grid_max is None else grid_max
        bins = nb
    nbins = [bins] * colvar.values.shape[1] if isinstance(bins, int) else list(bins)
    edges = _axes(grid_min, grid_max, nbins)
    centres = tuple(0.5 * (e[1:] + e[:-1]) for e in edges)
    logw = reweighting_weights(colvar, hills, temperature_k, bias_factor, centres)
    t0 = (
        colvar.times_ps[0] + 0.2 * (colvar.times_ps[-1] - colvar.times_ps[0])
        if start_time_ps is None
        else start_time_ps
    )
    t1 = colvar.times_ps[-1] if end_time_ps is None else end_time_ps
    keep = (colvar.times_ps >= t0) & (colvar.times_ps <= t1)
    if not np.any(keep):
        raise SimulationError(f"no COLVAR frames between {t0} and {t1} ps")
    w = np.exp(logw[keep] - logw[keep].max())
    hist, _ = np.histogramdd(colvar.values[keep], bins=edges, weights=w)
    with np.errstate(divide="ignore"):
        f = -units.kB * temperature_k * np.log(hist)
    finite = np.isfinite(f)
    f = f - f[finite].min()
    meta = {
        "bias_factor": bias_factor,
        "frames": int(keep.sum()),
        "start_time_ps": float(t0),
        "end_time_ps": float(t1),
    }
    return FES(colvar.cv_names, centres, f, "reweighting", meta)
