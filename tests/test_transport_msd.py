"""MSD and tracer diffusion coefficients on synthetic random walks (known D)."""

from __future__ import annotations

import numpy as np
import pytest

from sselab.errors import FitError
from sselab.transport.msd import A2_PER_FS_TO_CM2_PER_S, fit_msd, mean_square_displacement, unwrap_positions


def _random_walk(
    diffusion_a2_per_fs: float, n_steps: int, n_atoms: int, dt_fs: float, seed: int
) -> np.ndarray:
    """Gaussian random walk: each Cartesian step has variance 2 D dt (Å²)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, np.sqrt(2 * diffusion_a2_per_fs * dt_fs), size=(n_steps, n_atoms, 3))
    return np.concatenate([np.zeros((1, n_atoms, 3)), np.cumsum(steps, axis=0)])


def test_msd_of_random_walk_recovers_known_diffusion_coefficient() -> None:
    d_true = 0.01  # Å²/fs = 1e-3 cm²/s
    dt_fs = 2.0
    positions = _random_walk(d_true, n_steps=1000, n_atoms=64, dt_fs=dt_fs, seed=3)
    msd = mean_square_displacement(positions)
    lag_fs = np.arange(len(msd)) * dt_fs
    fit = fit_msd(lag_fs, msd)
    assert fit.diffusion_cm2_per_s == pytest.approx(d_true * A2_PER_FS_TO_CM2_PER_S, rel=0.1)
    assert fit.fit_start_fs == pytest.approx(0.2 * lag_fs[-1], abs=dt_fs)


def test_unwrap_restores_walk_wrapped_into_cell() -> None:
    cell = np.diag([5.0, 6.0, 7.0])
    walk = _random_walk(0.05, n_steps=500, n_atoms=4, dt_fs=1.0, seed=1) + 2.0
    wrapped = walk - np.floor(walk / np.diag(cell)) * np.diag(cell)
    assert not np.allclose(wrapped, walk)
    np.testing.assert_allclose(unwrap_positions(wrapped, cell), walk, atol=1e-9)


def test_fit_needs_enough_points() -> None:
    with pytest.raises(FitError, match="MSD points"):
        fit_msd(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))


def test_msd_rejects_bad_shape() -> None:
    with pytest.raises(FitError, match="shape"):
        mean_square_displacement(np.zeros((10, 3)))
