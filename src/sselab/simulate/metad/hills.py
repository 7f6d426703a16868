"""Gaussian hills: the metadynamics bias ``V(s)`` as a growing sum of hills, optionally on a PLUMED-style
grid.

Heights are *deposited* heights in eV, centres and widths in the CV's units (Å for displacements). Files in
PLUMED's format (``HILLS``, ``COLVAR``) are read and written by :mod:`sselab.simulate.metad.plumed`.

Example
-------
>>> hills = HillSet(ndim=1)
>>> hills.add(center=[0.0], sigma=[0.1], height_ev=0.01)
>>> round(float(hills.bias([0.0])[0]), 4)
0.01
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sselab.errors import SimulationError

__all__ = ["BiasGrid", "HillSet"]

LOGGER = logging.getLogger(__name__)
_CUTOFF_SIGMAS = 6.0


@dataclass(frozen=True)
class BiasGrid:
    """A PLUMED-style grid: ``bins[i]`` intervals from ``minimum[i]`` to ``maximum[i]`` (CV units)."""

    minimum: tuple[float, ...]
    maximum: tuple[float, ...]
    bins: tuple[int, ...]

    def axes(self) -> list[np.ndarray]:
        """Node coordinates along each CV."""
        return [
            np.linspace(lo, hi, n + 1)
            for lo, hi, n in zip(self.minimum, self.maximum, self.bins, strict=True)
        ]

    def spacing(self) -> np.ndarray:
        """Node spacing along each CV."""
        return (np.asarray(self.maximum) - np.asarray(self.minimum)) / np.asarray(self.bins)


class HillSet:
    """A growing set of Gaussian hills with a bias ``V(s) = sum_k h_k exp(-sum_i (s_i - c_ki)^2 / (2
    σ_ki^2))``.

    Parameters
    ----------
    ndim
        Number of CVs (1 or more; the grid supports 1 and 2).
    grid
        Optional :class:`BiasGrid`. When given, every added hill is also accumulated on the grid nodes (value,
        first and mixed derivatives, analytically) and the bias inside the grid is a cubic-Hermite
        interpolation, whose gradient is exact for the interpolant (so forces
        stay conservative); outside the grid the exact sum is used.

    Several walkers may share one ``HillSet`` (in-process multiple walkers).
    """

    def __init__(self, ndim: int, grid: BiasGrid | None = None) -> None:
        if ndim < 1:
            raise SimulationError(f"HillSet needs at least one CV, got ndim={ndim}")
        if grid is not None and (len(grid.bins) != ndim or ndim > 2):
            raise SimulationError(
                f"grid with {len(grid.bins)} dimensions does not fit {ndim} CVs (grid: 1D or 2D)"
            )
        self.ndim = ndim
        self.grid = grid
        self._centers: list[np.ndarray] = []
        self._sigmas: list[np.ndarray] = []
        self._heights: list[float] = []
        self._times: list[float] = []
        self._walkers: list[int] = []
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._warned_outside = False
        if grid is not None:
            shape = tuple(n + 1 for n in grid.bins)
            self._axes = grid.axes()
            self._spacing = grid.spacing()
            self._gv = np.zeros(shape)
            self._gd = np.zeros((ndim, *shape))
            self._gxy = np.zeros(shape)

    def __len__(self) -> int:
        return len(self._heights)

    @property
    def centers(self) -> np.ndarray:
        """Hill centres, shape ``(n, ndim)``."""
        return np.array(self._centers).reshape(-1, self.ndim)

    @property
    def sigmas(self) -> np.ndarray:
        """Hill widths, shape ``(n, ndim)``."""
        return np.array(self._sigmas).reshape(-1, self.ndim)

    @property
    def heights_ev(self) -> np.ndarray:
        """Deposited heights (eV), shape ``(n,)``."""
        return np.array(self._heights, dtype=float)

    @property
    def times_ps(self) -> np.ndarray:
        """Deposition times (ps), shape ``(n,)``."""
        return np.array(self._times, dtype=float)

    @property
    def walkers(self) -> np.ndarray:
        """Id of the walker that deposited each hill, shape ``(n,)``."""
        return np.array(self._walkers, dtype=int)

    def add(
        self,
        center: Sequence[float],
        sigma: Sequence[float],
        height_ev: float,
        time_ps: float = 0.0,
        walker: int = 0,
    ) -> None:
        """Add one hill (centre and width in CV units, height in eV, time in ps, depositing walker id)."""
        c = np.asarray(center, dtype=float).reshape(self.ndim)
        w = np.asarray(sigma, dtype=float).reshape(self.ndim)
        if np.any(w <= 0):
            raise SimulationError(f"hill widths must be positive, got {w.tolist()}")
        self._centers.append(c)
        self._sigmas.append(w)
        self._heights.append(float(height_ev))
        self._times.append(float(time_ps))
        self._walkers.append(int(walker))
        self._cache = None
        if self.grid is not None:
            self._add_to_grid(c, w, float(height_ev))

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._cache is None:
            self._cache = (self.centers, 1.0 / self.sigmas, self.heights_ev)
        return self._cache

    def exact_bias(self, s: Sequence[float]) -> tuple[float, np.ndarray]:
        """Exact sum of all hills at ``s``: ``(V in eV, dV/ds)``."""
        values, gradients = self._exact_many(np.asarray(s, dtype=float).reshape(1, self.ndim))
        return float(values[0]), gradients[0]

    def _exact_many(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self._heights:
            return np.zeros(len(x)), np.zeros_like(x)
        centers, inv_sigmas, heights = self._arrays()
        z = (x[:, None, :] - centers[None, :, :]) * inv_sigmas[None, :, :]
        g = heights[None, :] * np.exp(-0.5 * np.sum(z * z, axis=2))
        return g.sum(axis=1), -np.einsum("mn,mnd->md", g, z * inv_sigmas[None, :, :])

    def bias(self, s: Sequence[float]) -> tuple[float, np.ndarray]:
        """Bias at ``s``: ``(V in eV, dV/ds)``, from the grid when inside it, else the exact sum."""
        values, gradients = self.bias_many(np.asarray(s, dtype=float).reshape(1, self.ndim))
        return float(values[0]), gradients[0]

    def bias_many(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bias at several points ``(m, ndim)``: values ``(m,)`` (eV) and gradients ``(m, ndim)``."""
        x = np.asarray(points, dtype=float).reshape(-1, self.ndim)
        if self.grid is None or not self._heights:
            return self._exact_many(x)
        lo = np.asarray(self.grid.minimum)
        hi = np.asarray(self.grid.maximum)
        outside = np.any((x < lo) | (x > hi), axis=1)
        if not np.any(outside):
            return self._interpolate(x)
        if not self._warned_outside:
            LOGGER.warning("CVs %s left the bias grid [%s, %s]: exact sum of hills there", x[outside], lo, hi)
            self._warned_outside = True
        values, gradients = self._exact_many(x)
        if not np.all(outside):
            values[~outside], gradients[~outside] = self._interpolate(x[~outside])
        return values, gradients

    # -- grid
    # ---------------------------------------------------------------------------------------------------
    def _add_to_grid(self, c: np.ndarray, w: np.ndarray, h: float) -> None:
        slices = []
        local_axes = []
        for axis, ci, wi in zip(self._axes, c, w, strict=True):
            i0 = int(np.searchsorted(axis, ci - _CUTOFF_SIGMAS * wi))
            i1 = int(np.searchsorted(axis, ci + _CUTOFF_SIGMAS * wi, side="right"))
            slices.append(slice(i0, i1))
            local_axes.append(axis[i0:i1])
        if any(len(a) == 0 for a in local_axes):
            return
        z = [(a - ci) / wi for a, ci, wi in zip(local_axes, c, w, strict=True)]
        g1 = [np.exp(-0.5 * zi * zi) for zi in z]
        d1 = [-zi / wi * gi for zi, wi, gi in zip(z, w, g1, strict=True)]
        region = tuple(slices)
        if self.ndim == 1:
            self._gv[region] += h * g1[0]
            self._gd[0][region] += h * d1[0]
        else:
            self._gv[region] += h * np.outer(g1[0], g1[1])
            self._gd[0][region] += h * np.outer(d1[0], g1[1])
            self._gd[1][region] += h * np.outer(g1[0], d1[1])
            self._gxy[region] += h * np.outer(d1[0], d1[1])

    def _interpolate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cubic-Hermite interpolation of the grid at points ``x`` ``(m, ndim)`` inside it."""
        idx, basis = [], []
        for d, (axis, h) in enumerate(zip(self._axes, self._spacing, strict=True)):
            i = np.clip(((x[:, d] - axis[0]) / h).astype(int), 0, len(axis) - 2)
            idx.append(i)
            basis.append(_hermite((x[:, d] - axis[i]) / h, h))
        if self.ndim == 1:
            i = idx[0]
            (p0, p1, m0, m1), (dp0, dp1, dm0, dm1) = basis[0]
            v0, v1, d0, d1 = self._gv[i], self._gv[i + 1], self._gd[0][i], self._gd[0][i + 1]
            value = p0 * v0 + p1 * v1 + m0 * d0 + m1 * d1
            deriv = dp0 * v0 + dp1 * v1 + dm0 * d0 + dm1 * d1
            return value, deriv[:, None]
        i, j = idx
        fx, dfx = basis[0]
        fy, dfy = basis[1]
        value = np.zeros(len(x))
        gx = np.zeros(len(x))
        gy = np.zeros(len(x))
        for a in range(2):
            for b in range(2):
                terms = (
                    (self._gv[i + a, j + b], fx[a], fy[b], dfx[a], dfy[b]),
                    (self._gd[0][i + a, j + b], fx[2 + a], fy[b], dfx[2 + a], dfy[b]),
                    (self._gd[1][i + a, j + b], fx[a], fy[2 + b], dfx[a], dfy[2 + b]),
                    (self._gxy[i + a, j + b], fx[2 + a], fy[2 + b], dfx[2 + a], dfy[2 + b]),
                )
                for coeff, bx, by, dbx, dby in terms:
                    value += coeff * bx * by
                    gx += coeff * dbx * by
                    gy += coeff * bx * dby
        return value, np.stack([gx, gy], axis=1)


def _hermite(t: Any, h: float) -> tuple[tuple[Any, Any, Any, Any], tuple[Any, Any, Any, Any]]:
    """Cubic-Hermite basis on an interval of length ``h`` at fraction ``t``: values and d/dx.

    Order: (value at node 0, value at node 1, slope at node
    0, slope at node 1); the slope bases include ``h``.
    """
    t2 = t * t
    t3 = t2 * t
    h00 = 2 * t3 - 3 * t2 + 1
    h01 = -2 * t3 + 3 * t2
    h10 = (t3 - 2 * t2 + t) * h
    h11 = (t3 - t2) * h
    d00 = (6 * t2 - 6 * t) / h
    d01 = (-6 * t2 + 6 * t) / h
    d10 = 3 * t2 - 4 * t + 1
    d11 = 3 * t2 - 2 * t
    return (h00, h01, h10, h11), (d00, d01, d10, d11)
