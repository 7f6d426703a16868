"""Mean square displacement of a trajectory and the tracer diffusion coefficient from its slope.

``MSD(τ)`` is averaged over atoms and all time origins of unwrapped positions; ``D = slope / 6`` from a
straight line fitted after a skipped ballistic/cage start (Einstein relation in 3D).

Example
-------
>>> import numpy as np
>>> lag_fs = np.arange(200.0)
>>> fit = fit_msd(lag_fs, 0.06 * lag_fs)  # MSD = 6 D t, D = 0.01 Å²/fs = 1e-3 cm²/s
>>> round(fit.slope_a2_per_fs, 3), round(fit.diffusion_cm2_per_s, 4)
(0.06, 0.001)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sselab.errors import FitError

__all__ = ["A2_PER_FS_TO_CM2_PER_S", "MSDFit", "fit_msd", "mean_square_displacement", "unwrap_positions"]

#: 1 Å²/fs in cm²/s.
A2_PER_FS_TO_CM2_PER_S = 1e-16 / 1e-15


@dataclass(frozen=True)
class MSDFit:
    """Mean square displacement of one run and its linear fit.

    Attributes
    ----------
    lag_fs
        Time lags (fs).
    msd_a2
        MSD at each lag (Å²), averaged over atoms and time origins.
    fit_start_fs, fit_end_fs
        Range of lags used in the fit (fs).
    slope_a2_per_fs, intercept_a2
        The fitted line.
    diffusion_cm2_per_s, diffusion_stderr_cm2_per_s
        Tracer diffusion coefficient ``slope/6`` and the regression's standard error (a lower bound:
        MSD points
        at neighbouring lags are correlated) (cm²/s).
    """

    lag_fs: np.ndarray
    msd_a2: np.ndarray
    fit_start_fs: float
    fit_end_fs: float
    slope_a2_per_fs: float
    intercept_a2: float
    diffusion_cm2_per_s: float
    diffusion_stderr_cm2_per_s: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (arrays as lists)."""
        return {
            "lag_fs": np.asarray(self.lag_fs, float).tolist(),
            "msd_a2": np.asarray(self.msd_a2, float).tolist(),
            "fit_start_fs": self.fit_start_fs,
            "fit_end_fs": self.fit_end_fs,
            "slope_a2_per_fs": self.slope_a2_per_fs,
            "intercept_a2": self.intercept_a2,
            "diffusion_cm2_per_s": self.diffusion_cm2_per_s,
            "diffusion_stderr_cm2_per_s": self.diffusion_stderr_cm2_per_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MSDFit:
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        values["lag_fs"] = np.asarray(values["lag_fs"], float)
        values["msd_a2"] = np.asarray(values["msd_a2"], float)
        return cls(**values)


def unwrap_positions(positions_a: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Undo periodic wrapping of a trajectory ``(n_frames, n_atoms, 3)`` (Å) by minimum-image steps.

    Frames must be close enough that no atom moves more than half a cell length between them.
    """
    positions = np.asarray(positions_a, dtype=float)
    steps = np.diff(positions, axis=0)
    inverse = np.linalg.inv(np.asarray(cell, dtype=float))
    fractional = steps @ inverse
    fractional -= np.round(fractional)
    steps = fractional @ np.asarray(cell, dtype=float)
    return np.concatenate([positions[:1], positions[:1] + np.cumsum(steps, axis=0)], axis=0)


def mean_square_displacement(positions_a: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """MSD (Å²) at lags ``0..max_lag`` frames, averaged over atoms and all time origins.

    Parameters
    ----------
    positions_a
        Unwrapped positions ``(n_frames, n_atoms, 3)`` (Å).
    max_lag
        Largest lag in frames (default half the frames).
    """
    positions = np.asarray(positions_a, dtype=float)
    if positions.ndim != 3 or positions.shape[2] != 3 or len(positions) < 2:
        raise FitError(f"positions must have shape (n_frames>=2, n_atoms, 3), got {positions.shape}")
    n_frames = len(positions)
    last = n_frames // 2 if max_lag is None else min(int(max_lag), n_frames - 1)
    msd = np.zeros(last + 1)
    for lag in range(1, last + 1):
        displacement = positions[lag:] - positions[:-lag]
        msd[lag] = float(np.mean(np.sum(displacement**2, axis=2)))
    return msd


def fit_msd(lag_fs: np.ndarray, msd_a2: np.ndarray, fit_start_fraction: float = 0.2) -> MSDFit:
    """Fit ``MSD = 6 D t + c`` on lags beyond ``fit_start_fraction`` of the longest (skips ballistic start).

    Returns
    -------
    MSDFit
        With ``D`` in cm²/s.
    """
    lag = np.asarray(lag_fs, dtype=float)
    msd = np.asarray(msd_a2, dtype=float)
    if not 0.0 <= fit_start_fraction < 1.0:
        raise FitError(f"fit_start_fraction must be in [0, 1), got {fit_start_fraction}")
    mask = lag >= fit_start_fraction * lag[-1]
    mask &= lag > 0
    if np.count_nonzero(mask) < 3:
        raise FitError(
            f"only {np.count_nonzero(mask)} MSD points in the fit range; run longer or sample more often"
        )
    line = stats.linregress(lag[mask], msd[mask])
    to_d = A2_PER_FS_TO_CM2_PER_S / 6.0
    return MSDFit(
        lag,
        msd,
        float(lag[mask][0]),
        float(lag[mask][-1]),
        float(line.slope),
        float(line.intercept),
        float(line.slope) * to_d,
        float(line.stderr) * to_d,
    )
