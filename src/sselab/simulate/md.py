"""NVT molecular dynamics with ASE (Langevin, Bussi or Nosé–Hoover chain), trajectories and exact checkpoints.

A crystal's centre of mass can be held fixed (``fix_center_of_mass``: ASE's :class:`~ase.constraints.FixCom`
with ``Langevin(fixcm=False)``, as ASE recommends), so that neither the thermostat's noise nor a bias drags
the whole cell; Bussi's stochastic velocity rescaling (a global, momentum-conserving thermostat) is the weak
thermostat for dynamics whose transport is measured.

A checkpoint (``checkpoint.npz`` in the run folder) holds positions, momenta, cell, the step count, the
thermostat's random-generator state (Langevin) or chain variables (Nosé–Hoover) and any extra arrays of the
caller (the hills of a metadynamics run), so that a resumed run continues bit-for-bit as if it had never
stopped (given a calculator whose forces depend only on the positions).

Example
-------
>>> from ase.build import bulk
>>> from ase.calculators.emt import EMT
>>> atoms = bulk("Cu", cubic=True)
>>> result = run_md(atoms, EMT(), temperature_k=300, timestep_fs=2.0, steps=10, seed=1)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from ase.constraints import FixCom
from ase.io.trajectory import Trajectory
from ase.md.bussi import Bussi
from ase.md.langevin import Langevin
from ase.md.md import MolecularDynamics
from ase.md.nose_hoover_chain import NoseHooverChainNVT
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sselab.errors import SimulationError
from sselab.progress import report_progress

__all__ = [
    "CHECKPOINT_NAME",
    "MDResult",
    "load_checkpoint",
    "make_dynamics",
    "run_md",
    "save_checkpoint",
]

LOGGER = logging.getLogger(__name__)
CHECKPOINT_NAME = "checkpoint.npz"
THERMOSTATS = ("langevin", "bussi", "nose-hoover")


def make_dynamics(
    atoms: Atoms,
    temperature_k: float,
    timestep_fs: float,
    thermostat: str = "langevin",
    friction_per_fs: float = 0.01,
    tdamp_fs: float | None = None,
    rng: np.random.Generator | None = None,
    fix_center_of_mass: bool = False,
) -> MolecularDynamics:
    """An ASE NVT integrator.

    Parameters
    ----------
    temperature_k
        Target temperature (K).
    timestep_fs
        Time step (fs).
    thermostat
        ``"langevin"`` (ASE ``Langevin`` with ``fixcm=False``), ``"bussi"`` (ASE ``Bussi``, stochastic
        velocity rescaling, time constant ``tdamp_fs``, default 100 time steps) or ``"nose-hoover"`` (ASE
        ``NoseHooverChainNVT``; ``tdamp_fs`` default 100 time steps).
    friction_per_fs
        Langevin friction (1/fs).
    rng
        numpy Generator driving the Langevin or Bussi noise (its state is what a checkpoint saves).
    fix_center_of_mass
        Add ASE's ``FixCom`` constraint to ``atoms`` (once), so that the centre of mass never moves: what a
        crystal needs (the model systems of independent particles must leave it off).
    """
    if temperature_k <= 0 or timestep_fs <= 0:
        raise SimulationError(
            f"temperature_k and timestep_fs must be positive, got {temperature_k}, {timestep_fs}"
        )
    if thermostat not in THERMOSTATS:
        raise SimulationError(f"unknown thermostat {thermostat!r}; choose one of {THERMOSTATS}")
    if fix_center_of_mass and not any(isinstance(c, FixCom) for c in atoms.constraints):
        atoms.set_constraint([*atoms.constraints, FixCom()])
    damping_fs = tdamp_fs if tdamp_fs is not None else 100 * timestep_fs
    if thermostat == "bussi":
        if atoms.get_kinetic_energy() <= 0.0:
            initial_velocities(atoms, temperature_k, rng if rng is not None else np.random.default_rng())
        return Bussi(
            atoms,
            timestep=timestep_fs * units.fs,
            temperature_K=temperature_k,
            taut=damping_fs * units.fs,
            rng=rng if rng is not None else np.random.default_rng(),
        )
    if thermostat == "langevin":
        return Langevin(
            atoms,
            timestep=timestep_fs * units.fs,
            temperature_K=temperature_k,
            friction=friction_per_fs / units.fs,
            fixcm=False,
            rng=rng if rng is not None else np.random.default_rng(),
        )
    if any(isinstance(c, FixCom) for c in atoms.constraints):
        raise SimulationError("the Nosé–Hoover chain of ASE does not take constraints: use langevin or bussi")
    return NoseHooverChainNVT(
        atoms, timestep=timestep_fs * units.fs, temperature_K=temperature_k, tdamp=damping_fs * units.fs
    )


def save_checkpoint(
    path: Path, atoms: Atoms, dyn: MolecularDynamics, extra: dict[str, Any] | None = None
) -> None:
    """Write an exact checkpoint of ``atoms`` and ``dyn`` (atomically: temp file + rename).

    ``extra`` holds further arrays (numpy-convertible) or JSON-serialisable values stored under
    ``extra_<key>``.
    """
    arrays: dict[str, Any] = {
        "positions": atoms.get_positions(),
        "momenta": atoms.get_momenta(),
        "cell": np.asarray(atoms.cell),
        "numbers": atoms.numbers,
        "step": np.array(dyn.nsteps),
    }
    rng = getattr(dyn, "rng", None)
    if isinstance(rng, np.random.Generator):
        arrays["rng_state"] = np.array(json.dumps(rng.bit_generator.state))
    thermostat = getattr(dyn, "_thermostat", None)
    if thermostat is not None:
        arrays["nhc_eta"] = thermostat._eta
        arrays["nhc_p_eta"] = thermostat._p_eta
    for key, value in (extra or {}).items():
        arrays[f"extra_{key}"] = (
            np.asarray(value) if not isinstance(value, dict) else np.array(json.dumps(value))
        )
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load_checkpoint(path: Path, atoms: Atoms, dyn: MolecularDynamics) -> dict[str, np.ndarray]:
    """Restore ``atoms`` and ``dyn`` from a checkpoint; return the ``extra`` arrays (keys without prefix)."""
    with np.load(path, allow_pickle=False) as data:
        stored = {key: data[key] for key in data.files}
    if not np.array_equal(stored["numbers"], atoms.numbers):
        raise SimulationError(
            f"checkpoint {path} holds a different structure ({len(stored['numbers'])} atoms)"
        )
    atoms.set_cell(stored["cell"])
    atoms.set_positions(stored["positions"], apply_constraint=False)  # exact: no constraint rounding
    atoms.set_momenta(stored["momenta"], apply_constraint=False)
    dyn.nsteps = int(stored["step"])
    if "rng_state" in stored:
        rng = getattr(dyn, "rng", None)
        if not isinstance(rng, np.random.Generator):
            raise SimulationError(f"checkpoint {path} has a Langevin RNG state but the dynamics has none")
        rng.bit_generator.state = json.loads(str(stored["rng_state"]))
    thermostat = getattr(dyn, "_thermostat", None)
    if thermostat is not None and "nhc_eta" in stored:
        thermostat._eta = stored["nhc_eta"].copy()
        thermostat._p_eta = stored["nhc_p_eta"].copy()
    if isinstance(dyn, NoseHooverChainNVT):
        dyn._q = atoms.get_positions()
        dyn._p = atoms.get_momenta()
    return {key[len("extra_") :]: value for key, value in stored.items() if key.startswith("extra_")}


def initial_velocities(
    atoms: Atoms, temperature_k: float, rng: np.random.Generator, zero_momentum: bool = False
) -> None:
    """Maxwell–Boltzmann momenta at ``temperature_k`` drawn from ``rng`` (total momentum removed when
    ``zero_momentum``, as a crystal whose centre of mass is held needs)."""
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature_k, rng=rng)
    if zero_momentum and len(atoms) > 1:
        Stationary(atoms)


@dataclass(frozen=True)
class MDResult:
    """Outcome of :func:`run_md`: steps done (total, including earlier runs), wall time (s), files written."""

    steps_done: int
    wall_time_s: float
    trajectory: Path | None
    checkpoint: Path | None
    final_temperature_k: float


def run_md(
    atoms: Atoms,
    calculator: Calculator,
    temperature_k: float,
    timestep_fs: float,
    steps: int,
    thermostat: str = "langevin",
    friction_per_fs: float = 0.01,
    seed: int = 0,
    trajectory: str | Path | None = None,
    checkpoint_every: int = 0,
    loginterval: int = 10,
    run_dir: str | Path | None = None,
    restart: bool = True,
    progress: bool = False,
    observers: tuple[tuple[Callable[[], None], int], ...] = (),
    fix_center_of_mass: bool = False,
    tdamp_fs: float | None = None,
) -> MDResult:
    """Run NVT MD to a total of ``steps`` steps, resuming from ``run_dir/checkpoint.npz`` when present.

    Parameters
    ----------
    atoms
        Structure (modified in place).
    calculator
        Any ASE calculator (attached to ``atoms``).
    temperature_k, timestep_fs
        Temperature (K) and time step (fs).
    steps
        Total number of steps (a resumed run does only the remaining ones).
    thermostat, friction_per_fs
        See :func:`make_dynamics`.
    seed
        Seed of the initial velocities and Langevin noise.
    trajectory
        ASE ``.traj`` file written every ``loginterval`` steps (appended when resuming).
    checkpoint_every
        Steps between checkpoints (0: only at the end); needs ``run_dir``.
    run_dir
        Folder of checkpoints.
    restart
        Resume from an existing checkpoint in ``run_dir``.
    progress
        Show a rich progress bar with steps/s.
    observers
        Extra ``(callback, interval)`` pairs attached to the dynamics.
    fix_center_of_mass
        Hold the centre of mass (ASE ``FixCom``) and start with zero total momentum.
    tdamp_fs
        Time constant of the Bussi or Nosé–Hoover thermostat (fs; default 100 time steps).
    """
    rng = np.random.default_rng(seed)
    atoms.calc = calculator
    ckpt = Path(run_dir) / CHECKPOINT_NAME if run_dir is not None else None
    if ckpt is not None:
        ckpt.parent.mkdir(parents=True, exist_ok=True)
    resuming = ckpt is not None and restart and ckpt.is_file()
    if not resuming:
        initial_velocities(atoms, temperature_k, rng, zero_momentum=fix_center_of_mass)
    dyn = make_dynamics(
        atoms, temperature_k, timestep_fs, thermostat, friction_per_fs, tdamp_fs, rng=rng,
        fix_center_of_mass=fix_center_of_mass,
    )  # fmt: skip
    if resuming:
        assert ckpt is not None
        load_checkpoint(ckpt, atoms, dyn)
        LOGGER.info("resumed MD from %s at step %d", ckpt, dyn.nsteps)
    elif isinstance(dyn, NoseHooverChainNVT):
        dyn._p = atoms.get_momenta()
    traj_path = Path(trajectory) if trajectory is not None else None
    if traj_path is not None:
        traj = Trajectory(str(traj_path), "a" if dyn.nsteps > 0 and traj_path.exists() else "w", atoms)
        dyn.attach(traj.write, interval=loginterval)
    for callback, interval in observers:
        dyn.attach(callback, interval=interval)
    if ckpt is not None and checkpoint_every > 0:
        dyn.attach(lambda: save_checkpoint(ckpt, atoms, dyn), interval=checkpoint_every)
    start = time.perf_counter()
    remaining = max(steps - dyn.nsteps, 0)
    drive_dynamics(dyn, remaining, progress, f"MD {Path(run_dir).name}" if run_dir is not None else "MD")
    if ckpt is not None:
        save_checkpoint(ckpt, atoms, dyn)
    if traj_path is not None:
        traj.close()
    return MDResult(dyn.nsteps, time.perf_counter() - start, traj_path, ckpt, float(atoms.get_temperature()))


def drive_dynamics(dyn: MolecularDynamics, steps: int, progress: bool, label: str) -> None:
    """Run ``steps`` steps of ``dyn``, with a rich progress bar (steps/s) when ``progress``.

    Every step is also reported with :func:`sselab.progress.report_progress` (``done`` of ``steps`` steps of
    this call, labelled ``label``): a no-op unless a caller (the pipeline, on a Dask worker too) installed a
    sink. The steps are ASE's own ``dyn.irun(steps)``, as ``dyn.run(steps)`` runs them, so a run with or
    without a sink or a bar gives the same numbers.
    """
    if steps <= 0:
        return
    if not progress:
        for done, _ in enumerate(dyn.irun(steps)):  # irun yields once before the first step
            report_progress(done, steps, label=label, unit="steps")
        return

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} steps/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task(label, total=steps, rate="   -")
        start = time.perf_counter()
        done = -1  # irun yields once before the first step
        for _ in dyn.irun(steps):
            done += 1
            rate = done / max(time.perf_counter() - start, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:7.1f}")
            report_progress(done, steps, label=label, unit="steps")
