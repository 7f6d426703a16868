"""The metadynamics engine: well-tempered MetaD of any ``Atoms`` with any calculator and CVs, with exact
restart.

:func:`run_metadynamics` runs (or continues) a run folder to a total number of steps: its checkpoint holds the
hills, the RNG state and the CVs' unwrapped positions, so that calling it with ``steps=N/2`` then ``steps=N``
gives the same ``HILLS`` as one call with ``N`` (a run in chunks).

Example
-------
>>> from sselab.simulate.analytic import DoubleWell1D, particle_in_box
>>> from sselab.simulate.metad.colvars import ProjectedDisplacement
>>> atoms = particle_in_box()
>>> cv = ProjectedDisplacement(0, tuple(atoms.positions[0]), (1.0, 0.0, 0.0), "x")
>>> result = run_metadynamics(atoms, DoubleWell1D(), [cv], temperature_k=400, steps=2000,
...                           run_dir="/tmp/dw")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.io import write
from ase.io.trajectory import Trajectory

from sselab.errors import SimulationError
from sselab.simulate.md import (
    CHECKPOINT_NAME,
    drive_dynamics,
    initial_velocities,
    load_checkpoint,
    make_dynamics,
    save_checkpoint,
)
from sselab.simulate.metad.analysis import analyse_metadynamics
from sselab.simulate.metad.barriers import BarrierResult
from sselab.simulate.metad.bias import WellTemperedMetaD
from sselab.simulate.metad.colvars import CollectiveVariable
from sselab.simulate.metad.fes import FES
from sselab.simulate.metad.hills import BiasGrid, HillSet
from sselab.simulate.metad.plumed import (
    ColvarData,
    HillsData,
    format_colvar_line,
    read_colvar,
    read_hills,
    write_colvar_header,
    write_hills,
)
from sselab.simulate.runfolder import RunFolder, jsonable, utc_now

__all__ = ["MetaDResult", "run_metadynamics"]

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetaDResult:
    """Outcome of :func:`run_metadynamics`.

    Attributes
    ----------
    hills, colvar
        This walker's hills and CV trace as read back from ``HILLS``/``COLVAR`` (eV, ps).
    fes
        The FES the barriers were read from (reweighted COLVAR by default, else from the hills; see
        :func:`~sselab.simulate.runs.analyse_metadynamics`).
    barriers
        Activation energies with uncertainty, or ``None`` when the ion never left its site (see
        ``barrier_error``).
    run_dir
        The run folder.
    steps_done
        MD steps done in total (including earlier runs that this one resumed).
    wall_time_s
        Wall time of this call (s).
    """

    hills: HillsData
    colvar: ColvarData
    fes: FES
    barriers: BarrierResult | None
    run_dir: Path
    steps_done: int
    wall_time_s: float
    parameters: dict[str, Any]
    barrier_error: str | None = None


def _restart_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "cv_names",
        "height_ev",
        "widths",
        "pace",
        "bias_factor",
        "temperature_k",
        "timestep_fs",
        "thermostat",
    )
    return {k: parameters[k] for k in keys}


def _truncate_colvar(path: Path, until_time_ps: float) -> None:
    lines = path.read_text().splitlines(keepends=True)
    kept = [
        ln
        for ln in lines
        if ln.startswith("#") or not ln.strip() or float(ln.split()[0]) <= until_time_ps + 1e-7
    ]
    path.write_text("".join(kept))


def run_metadynamics(
    atoms: Atoms,
    calculator: Calculator,
    colvars: Sequence[CollectiveVariable] | Sequence[Sequence[CollectiveVariable]],
    temperature_k: float,
    steps: int,
    timestep_fs: float = 1.0,
    height_ev: float = 0.02,
    widths: Sequence[float] = (0.1,),
    pace: int = 50,
    bias_factor: float = 10.0,
    seed: int = 0,
    run_dir: str | Path = "metad-run",
    restart: bool = True,
    progress: bool = False,
    grid: BiasGrid | None = None,
    thermostat: str = "langevin",
    friction_per_fs: float = 0.01,
    colvar_stride: int = 5,
    checkpoint_every: int = 1000,
    trajectory_every: int = 0,
    fes_bins: int = 200,
    fes_method: str = "reweighting",
    start: Sequence[float] | None = None,
    end: Sequence[float] | None = None,
    figures: bool = True,
    hills: HillSet | None = None,
    walker_id: int = 0,
    walker_files: Sequence[str | Path] = (),
    extra_parameters: dict[str, Any] | None = None,
) -> MetaDResult:
    """Well-tempered metadynamics of ``atoms`` with ``calculator``, to a total of ``steps`` MD steps.

    Writes ``run_dir/outputs/HILLS`` and ``COLVAR`` (PLUMED format), a checkpoint every ``checkpoint_every``
    steps and at the end, the FES and barriers, figures and ``summary.json``. With ``restart`` and an existing
    checkpoint the run continues exactly where it stopped (same seed, hills, RNG state): ``steps`` is the
    total, so calling with ``steps=N/2`` then ``steps=N`` gives the same ``HILLS`` as one call with ``N``.

    Parameters
    ----------
    temperature_k, timestep_fs
        Temperature (K) and time step (fs).
    height_ev, widths, pace, bias_factor
        Hill height (eV), widths (CV units), deposition stride (steps), well-tempered γ.
    seed
        Seed of the initial velocities and thermostat noise.
    grid
        Bias grid (recommended for long runs); ``None``: exact sum of hills.
    colvar_stride
        Steps between COLVAR lines (and, for reweighting, samples).
    fes_bins, fes_method
        Grid intervals per CV of the hills FES; estimator whose barriers are reported (``"reweighting"`` or
        ``"hills"``, see :func:`~sselab.simulate.runs.analyse_metadynamics`).
    trajectory_every
        Write ``outputs/metad.traj`` every this many steps (0: no trajectory).
    start
        CV coordinates of the starting site for the barrier analysis (default: the CVs at step 0).
    end
        CV coordinates of the target site for the barrier analysis (default: the nearest equivalent
        minimum, see :func:`~sselab.simulate.metad.barriers.find_barriers`); recorded and kept on restart.
    extra_parameters
        Recorded in ``summary.json`` with the run's parameters (e.g. potential name, structure file).
    hills, walker_id, walker_files
        Multiple walkers: a shared in-process :class:`HillSet`
        and this walker's id, or other walkers' ``HILLS`` files.
    """
    started = utc_now()
    clock = time.perf_counter()
    folder = RunFolder.create(run_dir)
    hills_path, colvar_path = folder.outputs / "HILLS", folder.outputs / "COLVAR"
    ckpt = folder.root / CHECKPOINT_NAME
    resuming = restart and ckpt.is_file()
    rng = np.random.default_rng(seed)
    metad = WellTemperedMetaD(
        calculator,
        colvars,
        height_ev,
        widths,
        pace,
        bias_factor,
        temperature_k,
        grid=grid,
        hills=hills,
        hills_file=hills_path,
        timestep_fs=timestep_fs,
        append=resuming,
        walker_id=walker_id,
        walker_files=walker_files,
    )
    parameters: dict[str, Any] = {
        "cv_names": metad.cv_names,
        "colvars": [[_describe(cv) for cv in group] for group in metad.groups],
        "height_ev": height_ev,
        "widths": [float(w) for w in widths],
        "pace": pace,
        "bias_factor": bias_factor,
        "temperature_k": temperature_k,
        "timestep_fs": timestep_fs,
        "thermostat": thermostat,
        "friction_per_fs": friction_per_fs,
        "steps": steps,
        "seed": seed,
        "grid": None if grid is None else {"min": grid.minimum, "max": grid.maximum, "bins": grid.bins},
        "hills_units": "time ps; CVs in CV units (Å); height kJ/mol (PLUMED well-tempered scaling)",
        "calculator": type(calculator).__name__,
        "natoms": len(atoms),
        "walker_id": walker_id,
        **(extra_parameters or {}),
    }
    atoms.calc = metad
    dyn = make_dynamics(atoms, temperature_k, timestep_fs, thermostat, friction_per_fs, rng=rng)
    if resuming:
        extra = load_checkpoint(ckpt, atoms, dyn)
        saved = json.loads(str(extra["parameters"]))
        if _restart_parameters(saved) != _restart_parameters(jsonable(parameters)):
            raise SimulationError(f"{ckpt} was written with other parameters: {_restart_parameters(saved)}")
        if len(metad.hills) == 0:
            for c, w, h, t, k in zip(
                *(extra[n] for n in ("centers", "sigmas", "heights", "times", "walkers")), strict=True
            ):
                if k >= 0 or not walker_files:  # other processes' hills are read again from their files
                    metad.hills.add(c, w, float(h), float(t), walker=int(k))
        _restore_cv_states(metad, extra.get("cv_unwrapped"))
        own = np.isin(metad.hills.walkers, metad.walker_ids)
        write_hills(hills_path, metad.hills, metad.cv_names, bias_factor, mask=own)
        _truncate_colvar(colvar_path, dyn.nsteps * timestep_fs / 1000.0)
        start = start if start is not None else saved.get("start")
        end = end if end is not None else saved.get("end")
        LOGGER.info("resumed metadynamics from %s at step %d (%d hills)", ckpt, dyn.nsteps, len(metad.hills))
    else:
        _restore_cv_states(metad, None)  # a fresh run: no track left from an earlier use of the CVs
        initial_velocities(atoms, temperature_k, rng)
        write_colvar_header(colvar_path, metad.cv_names)
        write(folder.inputs / "start.extxyz", atoms)
    if start is None:
        start = metad.compute_colvars(atoms)[0].tolist()
    parameters["start"] = [float(x) for x in start]
    if end is not None and len(end) != len(start):
        raise SimulationError(
            f"end has {len(end)} CV coordinates, the CVs are {len(start)}: {metad.cv_names}"
        )
    parameters["end"] = None if end is None else [float(x) for x in end]
    (folder.inputs / "parameters.json").write_text(json.dumps(jsonable(parameters), indent=2) + "\n")

    def _write_colvar() -> None:
        values, biases = metad.current(atoms)
        t_ps = dyn.nsteps * timestep_fs / 1000.0
        with colvar_path.open("a") as handle:
            handle.write("".join(format_colvar_line(t_ps, v, b) for v, b in zip(values, biases, strict=True)))

    def _checkpoint() -> None:
        if dyn.nsteps == 0:
            return
        h = metad.hills
        arrays = {"centers": h.centers, "sigmas": h.sigmas, "heights": h.heights_ev, "times": h.times_ps}
        state = {"walkers": h.walkers, "parameters": jsonable(parameters), "cv_unwrapped": _cv_states(metad)}
        save_checkpoint(ckpt, atoms, dyn, {**arrays, **state})

    dyn.attach(_write_colvar, interval=colvar_stride)
    metad.attach_to(dyn, atoms)
    dyn.attach(_checkpoint, interval=checkpoint_every)
    if trajectory_every > 0:
        traj_path = folder.outputs / "metad.traj"
        traj = Trajectory(str(traj_path), "a" if resuming and traj_path.exists() else "w", atoms)
        dyn.attach(traj.write, interval=trajectory_every)
    drive_dynamics(dyn, max(steps - dyn.nsteps, 0), progress, "MetaD")
    _checkpoint()
    hills_data, colvar = read_hills(hills_path), read_colvar(colvar_path)
    source = metad.hills if len(metad.hills) else hills_data
    analysis = analyse_metadynamics(
        source,
        colvar,
        temperature_k,
        bias_factor,
        fes_bins,
        start,
        end,
        cv_names=metad.cv_names,
        folder=folder if figures else None,
        fes_method=fes_method,
    )
    fes, barriers, barrier_error = analysis.fes, analysis.barriers, analysis.barrier_error
    result = MetaDResult(
        hills_data,
        colvar,
        fes,
        barriers,
        folder.root,
        dyn.nsteps,
        time.perf_counter() - clock,
        parameters,
        barrier_error,
    )
    results = {
        "steps_done": dyn.nsteps,
        "n_hills": len(hills_data.heights_ev),
        "simulated_time_ps": dyn.nsteps * timestep_fs / 1000.0,
        "wall_time_s": result.wall_time_s,
        **analysis.as_dict(),
    }
    folder.write_summary("metad", parameters, results, seed=seed, started=started)
    return result


def _cv_states(metad: WellTemperedMetaD) -> np.ndarray:
    """Unwrapped positions ``(ngroups, ncv, 3)`` (Å) of the CVs that keep one (NaN for the others)."""
    states = np.full((len(metad.groups), len(metad.colvars), 3), np.nan)
    for g, group in enumerate(metad.groups):
        for k, cv in enumerate(group):
            position = cv.unwrapped_position() if hasattr(cv, "unwrapped_position") else None
            if position is not None:
                states[g, k] = position
    return states


def _restore_cv_states(metad: WellTemperedMetaD, states: np.ndarray | None) -> None:
    """Give the CVs back the unwrapped positions of :func:`_cv_states` (exact restart); with ``None`` (or NaN)
    reset them, so that their next evaluation starts from the minimum image of their reference."""
    shape = (len(metad.groups), len(metad.colvars), 3)
    if states is not None and np.shape(states) != shape:
        raise SimulationError(
            f"the checkpoint holds CV states of shape {np.shape(states)}, the CVs need {shape}"
        )
    for g, group in enumerate(metad.groups):
        for k, cv in enumerate(group):
            if states is not None and np.all(np.isfinite(states[g, k])):
                cv.restore_unwrapped(states[g, k])  # type: ignore[attr-defined]
            elif hasattr(cv, "reset"):
                cv.reset()


def _describe(cv: CollectiveVariable) -> dict[str, Any]:
    """A JSON-ready description of a CV (its dataclass fields)."""
    if is_dataclass(cv):
        return {"type": type(cv).__name__, **{f.name: getattr(cv, f.name) for f in fields(cv) if f.init}}
    return {"type": type(cv).__name__, "name": cv.name}
