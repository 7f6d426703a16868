"""The MD of MD-Arrhenius at one temperature: momentum-conserving, real masses, and a cache keyed by every
parameter that changes the trajectory.

The trajectory is sampled every ``sample_every`` steps after ``equilibration_steps`` (positions of every atom:
kinisi needs them to remove the drift of the cell). It is cached in the run folder as
``traj_<T>K_<key>.npz`` where ``key`` hashes the structure (numbers, positions, cell, masses), the
potential, the temperature, time step, steps, equilibration, sampling, thermostat, friction or time constant,
and the seed: a rerun with other parameters in the same folder computes anew, one with the same parameters
reads the cache.

Example
-------
>>> key = trajectory_key(atoms, settings, "emt", 600.0, 1)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.data import atomic_masses

from sselab.errors import SettingsError, SimulationError
from sselab.simulate.md import run_md
from sselab.simulate.potentials import CalculatorFactory, device_of
from sselab.simulate.settings import MDArrheniusSettings

__all__ = ["check_real_masses", "sample_trajectory", "trajectory_key"]


def check_real_masses(atoms: Atoms) -> None:
    """Refuse a structure whose masses differ from the elements' (a heavier H for a longer time step changes
    the dynamics, so the diffusion coefficient): a :class:`~sselab.errors.SettingsError`."""
    changed = sorted(
        {s for s, z, m in zip(atoms.get_chemical_symbols(), atoms.numbers, atoms.get_masses(), strict=True)
         if abs(m - atomic_masses[z]) > 1e-6}
    )  # fmt: skip
    if changed:
        raise SettingsError(
            f"masses of {', '.join(changed)} differ from the standard ones: MD used for diffusion must use "
            "real masses (reset them, e.g. atoms.set_masses())",
            field="structure",
        )


def trajectory_key(
    atoms: Atoms, settings: MDArrheniusSettings, potential: str, temperature_k: float, seed: int
) -> str:
    """A hash (16 hex digits) of everything that changes the trajectory at ``temperature_k``."""
    digest = hashlib.sha256()
    for array in (atoms.numbers, atoms.positions, atoms.cell.array, atoms.get_masses()):
        digest.update(np.ascontiguousarray(np.round(np.asarray(array, float), 10)).tobytes())
    bussi = settings.thermostat == "bussi"
    parameters = {
        "potential": potential,
        "temperature_k": float(temperature_k),
        "seed": int(seed),
        **{k: getattr(settings, k) for k in ("steps", "timestep_fs", "equilibration_steps", "sample_every",
                                              "thermostat")},
        "damping": settings.thermostat_time_fs if bussi else settings.friction_per_fs,
    }  # fmt: skip
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def sample_trajectory(
    atoms: Atoms,
    calculator_factory: CalculatorFactory,
    temperature_k: float,
    settings: MDArrheniusSettings,
    seed: int,
    folder: Path | None,
    potential: str,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Production frames ``(n_frames, n_atoms, 3)`` (Å, as integrated: unwrapped), their times (fs) and the
    device, from the cache in ``folder`` when its key matches, else from a new NVT run (Bussi, or Langevin
    with the centre of mass held; zero total momentum at the start)."""
    check_real_masses(atoms)
    key = trajectory_key(atoms, settings, potential, temperature_k, seed)
    cached = folder / f"traj_{temperature_k:g}K_{key}.npz" if folder is not None else None
    if cached is not None and cached.is_file():
        with np.load(cached) as data:
            return data["positions_a"], data["time_fs"], str(data["device"])
    work = atoms.copy()
    frames: list[np.ndarray] = []
    every = settings.sample_every

    def record() -> None:
        frames.append(work.get_positions().copy())

    calculator = calculator_factory()
    run_md(
        work, calculator, temperature_k, settings.timestep_fs, settings.equilibration_steps + settings.steps,
        thermostat=settings.thermostat, friction_per_fs=settings.friction_per_fs, seed=seed,
        run_dir=None, restart=False, progress=progress, observers=((record, every),),
        fix_center_of_mass=settings.thermostat == "langevin", tdamp_fs=settings.thermostat_time_fs,
    )  # fmt: skip
    first = int(np.ceil(settings.equilibration_steps / every))
    positions = np.asarray(frames[first:])
    if len(positions) < 2:
        raise SimulationError(f"{len(positions)} production frames at {temperature_k:g} K: run longer")
    time_fs = np.arange(len(positions)) * every * settings.timestep_fs
    device = device_of(calculator)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cached, positions_a=positions, time_fs=time_fs, device=np.array(device), key=np.array(key))
    return positions, time_fs, device
