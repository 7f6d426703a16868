"""Tracer diffusion coefficients with an honest uncertainty, from kinisi.

An ordinary least-squares line through an MSD curve treats its points as independent, which they are not
(every time origin is shared): its standard error is far too small. kinisi (McCluskey et al., J. Chem. Theory
Comput. 20, 2024; https://kinisi.readthedocs.io) models the covariance of the MSD points and samples the
posterior of ``D`` (MCMC); :func:`kinisi_diffusion` returns its median, standard deviation, 95 % interval and
the samples, in cm²/s. kinisi corrects for the drift of the whole cell's centre of mass itself.

Example
-------
>>> result = kinisi_diffusion(frames, "Li", 1.0, 5, start_dt_fs=200.0)  # doctest: +SKIP
>>> result.diffusion_cm2_per_s, result.diffusion_std_cm2_per_s  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipp as sc
from ase import Atoms
from kinisi.analyze import DiffusionAnalyzer

from sselab.errors import FitError

__all__ = ["KinisiDiffusion", "kinisi_diffusion"]

#: Posterior samples kept in a result (a thinned copy: enough for propagating the uncertainty).
KEPT_SAMPLES = 400


@dataclass(frozen=True)
class KinisiDiffusion:
    """kinisi's posterior of the tracer diffusion coefficient (cm²/s)."""

    diffusion_cm2_per_s: float
    diffusion_std_cm2_per_s: float
    ci95_cm2_per_s: tuple[float, float]
    samples_cm2_per_s: np.ndarray
    start_dt_fs: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "diffusion_cm2_per_s": self.diffusion_cm2_per_s,
            "diffusion_std_cm2_per_s": self.diffusion_std_cm2_per_s,
            "ci95_cm2_per_s": list(self.ci95_cm2_per_s),
            "samples_cm2_per_s": np.asarray(self.samples_cm2_per_s, float).tolist(),
            "start_dt_fs": self.start_dt_fs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KinisiDiffusion:
        """Inverse of :meth:`as_dict`."""
        low, high = data["ci95_cm2_per_s"]
        return cls(float(data["diffusion_cm2_per_s"]), float(data["diffusion_std_cm2_per_s"]),
                   (float(low), float(high)), np.asarray(data["samples_cm2_per_s"], float),
                   float(data["start_dt_fs"]))  # fmt: skip


def kinisi_diffusion(
    frames: Sequence[Atoms],
    specie: str,
    timestep_fs: float,
    sample_every: int,
    start_dt_fs: float,
    n_samples: int = 1000,
    seed: int = 0,
) -> KinisiDiffusion:
    """The tracer ``D`` of ``specie`` in ``frames`` (consecutive MD frames ``sample_every`` steps of
    ``timestep_fs`` apart), the diffusive regime starting at ``start_dt_fs``.

    Raises
    ------
    FitError
        Too few frames for the chosen start, or kinisi could not fit.
    """
    if len(frames) < 8:
        raise FitError(f"kinisi needs at least 8 frames, got {len(frames)}")
    span_fs = (len(frames) - 1) * sample_every * timestep_fs
    if not 0 < start_dt_fs < span_fs:
        raise FitError(f"the diffusive regime must start within the run (0 < {start_dt_fs} < {span_fs} fs)")
    try:
        analyzer = DiffusionAnalyzer.from_ase(
            list(frames), specie=specie, time_step=sc.scalar(float(timestep_fs), unit="fs"),
            step_skip=sc.scalar(int(sample_every)), progress=False,
        )  # fmt: skip
        analyzer.diffusion(sc.scalar(float(start_dt_fs), unit="fs"), n_samples=n_samples, progress=False,
                           random_state=np.random.RandomState(seed))  # fmt: skip
        samples = np.asarray(sc.to_unit(analyzer.D, "cm^2/s").values, dtype=float)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"kinisi could not estimate D of {specie}: {exc}") from exc
    if samples.size == 0 or not np.all(np.isfinite(samples)):
        raise FitError(f"kinisi gave no finite samples of D for {specie}")
    low, high = np.percentile(samples, [2.5, 97.5])
    step = max(1, samples.size // KEPT_SAMPLES)
    return KinisiDiffusion(float(np.median(samples)), float(samples.std(ddof=1)), (float(low), float(high)),
                           samples[::step][:KEPT_SAMPLES], float(start_dt_fs))  # fmt: skip
