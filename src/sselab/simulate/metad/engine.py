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
>>> result = run_metadynamics(atoms, DoubleWell1D(), [cv], widths=[0.1], temperature_k=400, steps=2000,
...                           run_dir="/tmp/dw")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
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
from sselab.simulate.metad.bias import WellTemperedMetaD
from sselab.simulate.metad.colvars import CollectiveVariable
from sselab.simulate.metad.hills import BiasGrid, HillSet
from sselab.simulate.metad.plumed import (
    format_colvar_line,
    plumed_input,
    read_colvar,
    read_hills,
    write_colvar_header,
    write_hills,
)
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.metad.tracking import (
    DriftTracker,
    coordinate,
    cv_states,
    host_indices,
    restore_cv_states,
)
from sselab.simulate.metad.walls import Wall
from sselab.simulate.potentials import device_of
from sselab.simulate.results import StructureInfo
from sselab.simulate.runfolder import RunFolder, jsonable, utc_now
from sselab.simulate.settings import MetaDSettings

__all__ = ["MetaDResult", "run_metadynamics"]

LOGGER = logging.getLogger(__name__)


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
    *,
    widths: Sequence[float],
    settings: MetaDSettings | None = None,
    run_dir: str | Path = "metad-run",
    grid: BiasGrid | None = None,
    start: Sequence[float] | None = None,
    end: Sequence[float] | None = None,
    restart: bool = True,
    progress: bool = False,
    figures: bool = True,
    hills: HillSet | None = None,
    walker_id: int = 0,
    walker_files: Sequence[str | Path] = (),
    potential: str | None = None,
    structure: StructureInfo | None = None,
    parameters: Mapping[str, Any] | None = None,
    walls: Sequence[Wall] = (),
    target_tolerance: float | None = None,
    onward: bool = False,
    quantity: str = "effective",
    **changes: Any,
) -> MetaDResult:
    """Well-tempered metadynamics of ``atoms`` with ``calculator``, to a total of ``settings.steps`` MD steps.

    Writes ``run_dir/outputs/HILLS`` and ``COLVAR`` (PLUMED format), a checkpoint every ``checkpoint_every``
    steps and at the end, the FES and barriers, figures and ``summary.json``. With ``restart`` and an existing
    checkpoint the run continues exactly where it stopped (same seed, hills, RNG state): ``steps`` is the
    total, so calling with ``steps=N/2`` then ``steps=N`` gives the same ``HILLS`` as one call with ``N``.

    Parameters
    ----------
    widths
        Hill widths, one per CV (CV units; the CVs of :func:`~sselab.simulate.metad.setup.build_metad_setup`
        come with theirs).
    settings
        Temperature, steps, hills, thermostat, FES analysis (:class:`~sselab.simulate.settings.MetaDSettings`;
        the fields about the structure and the potential are not used here). Its fields may also be given as
        keywords (``changes``), validated on top of ``settings``.
    grid
        Bias grid (recommended for long runs); ``None``: exact sum of hills.
    start
        CV coordinates of the starting site for the barrier analysis (default: the CVs at step 0).
    end
        CV coordinates of the target site for the barrier analysis (default: the nearest equivalent
        minimum, see :func:`~sselab.simulate.metad.barriers.find_barriers`); recorded and kept on restart.
    hills, walker_id, walker_files
        Multiple walkers: a shared in-process :class:`HillSet` and this walker's id, or other walkers'
        ``HILLS`` files.
    potential, structure, parameters
        Recorded with the result: the potential's registry name, the structure, and further details.
    walls
        Static walls on the CVs (:class:`~sselab.simulate.metad.walls.Wall`), in ``COLVAR`` as ``walls.bias``.
    target_tolerance, onward, quantity
        Barrier analysis (:func:`~sselab.simulate.metad.analysis.analyse_metadynamics`): how close the end
        minimum must lie to ``end`` along the first CV, whether to follow the path beyond it, and which
        barrier the walkers' uncertainty is of.

    With ``settings.fix_center_of_mass`` (default) the cell's centre of mass is held (ASE ``FixCom``) and the
    run starts with zero total momentum; the drift of the centroid of the atoms no CV acts on (the host) is
    tracked and reported (``host_drift_a``, ``max_host_drift_a``).
    """
    settings = MetaDSettings.build(settings, **changes) if changes or settings is None else settings
    if settings.height_ev is None or settings.pace is None:
        raise SimulationError("run_metadynamics needs height_ev and pace (the recipe measures them)")
    started = utc_now()
    clock = time.perf_counter()
    folder = RunFolder.create(run_dir)
    hills_path, colvar_path = folder.outputs / "HILLS", folder.outputs / "COLVAR"
    ckpt = folder.root / CHECKPOINT_NAME
    resuming = restart and ckpt.is_file()
    rng = np.random.default_rng(settings.seed)
    metad = WellTemperedMetaD(
        calculator,
        colvars,
        settings.height_ev,
        widths,
        settings.pace,
        settings.bias_factor,
        settings.temperature_k,
        grid=grid,
        hills=hills,
        hills_file=hills_path,
        timestep_fs=settings.timestep_fs,
        append=resuming,
        walker_id=walker_id,
        walker_files=walker_files,
        walls=walls,
    )
    record: dict[str, Any] = {
        **settings.as_dict(),
        "cv_names": metad.cv_names,
        "colvars": [[_describe(cv) for cv in group] for group in metad.groups],
        "widths": [float(w) for w in widths],
        "grid": None if grid is None else {"min": grid.minimum, "max": grid.maximum, "bins": grid.bins},
        "hills_units": "time ps; CVs in CV units (Å); height kJ/mol (PLUMED well-tempered scaling)",
        "calculator": type(calculator).__name__,
        "natoms": len(atoms),
        "walker_id": walker_id,
        "walls": [w.as_dict() for w in walls],
        "analysis": {"target_tolerance": target_tolerance, "onward": onward, "quantity": quantity},
        "fix_center_of_mass": settings.fix_center_of_mass,
        **dict(parameters or {}),
    }
    atoms.calc = metad
    dyn = make_dynamics(
        atoms, settings.temperature_k, settings.timestep_fs, settings.thermostat, settings.friction_per_fs,
        rng=rng, fix_center_of_mass=settings.fix_center_of_mass,
    )  # fmt: skip
    host = host_indices(metad, len(atoms))
    drift = DriftTracker(host)
    if resuming:
        extra = load_checkpoint(ckpt, atoms, dyn)
        saved = json.loads(str(extra["parameters"]))
        if _restart_parameters(saved) != _restart_parameters(jsonable(record)):
            raise SimulationError(f"{ckpt} was written with other parameters: {_restart_parameters(saved)}")
        if len(metad.hills) == 0:
            for c, w, h, t, k in zip(
                *(extra[n] for n in ("centers", "sigmas", "heights", "times", "walkers")), strict=True
            ):
                if k >= 0 or not walker_files:  # other processes' hills are read again from their files
                    metad.hills.add(c, w, float(h), float(t), walker=int(k))
        restore_cv_states(metad, extra)
        drift.restore(extra, atoms)
        own = np.isin(metad.hills.walkers, metad.walker_ids)
        write_hills(hills_path, metad.hills, metad.cv_names, settings.bias_factor, mask=own)
        _truncate_colvar(colvar_path, dyn.nsteps * settings.timestep_fs / 1000.0)
        start = start if start is not None else saved.get("start")
        end = end if end is not None else saved.get("end")
        LOGGER.info("resumed metadynamics from %s at step %d (%d hills)", ckpt, dyn.nsteps, len(metad.hills))
    else:
        restore_cv_states(metad, None)  # a fresh run: no track left from an earlier use of the CVs
        initial_velocities(atoms, settings.temperature_k, rng, zero_momentum=settings.fix_center_of_mass)
        write_colvar_header(colvar_path, metad.cv_names, walls=bool(walls))
        write(folder.inputs / "start.extxyz", atoms)
        drift.start(atoms)
    if start is None:
        start = metad.compute_colvars(atoms)[0].tolist()
    record["start"] = [float(x) for x in start]
    if end is not None and len(end) != len(start):
        raise SimulationError(
            f"end has {len(end)} CV coordinates, the CVs are {len(start)}: {metad.cv_names}"
        )
    record["end"] = None if end is None else [coordinate(x) for x in end]
    (folder.inputs / "parameters.json").write_text(json.dumps(jsonable(record), indent=2) + "\n")
    (folder.outputs / "plumed.dat").write_text(
        plumed_input(
            metad.cv_names, settings.height_ev, widths, settings.pace, settings.bias_factor,
            settings.temperature_k, [w.plumed(metad.cv_names[w.cv]) for w in walls], record["grid"],
        )
    )  # fmt: skip

    def _write_colvar() -> None:
        values, biases = metad.current(atoms)
        wall_biases = metad.current_walls(atoms) if walls else [None] * len(biases)
        t_ps = dyn.nsteps * settings.timestep_fs / 1000.0
        lines = [
            format_colvar_line(t_ps, v, b, w) for v, b, w in zip(values, biases, wall_biases, strict=True)
        ]
        with colvar_path.open("a") as handle:
            handle.write("".join(lines))
        drift.update(atoms)

    def _checkpoint() -> None:
        if dyn.nsteps == 0:
            return
        h = metad.hills
        arrays = {"centers": h.centers, "sigmas": h.sigmas, "heights": h.heights_ev, "times": h.times_ps}
        state = {"walkers": h.walkers, "parameters": jsonable(record), **cv_states(metad), **drift.state()}
        save_checkpoint(ckpt, atoms, dyn, {**arrays, **state})

    dyn.attach(_write_colvar, interval=settings.colvar_stride)
    metad.attach_to(dyn, atoms)
    dyn.attach(_checkpoint, interval=settings.checkpoint_every)
    if settings.trajectory_every > 0:
        traj_path = folder.outputs / "metad.traj"
        traj = Trajectory(str(traj_path), "a" if resuming and traj_path.exists() else "w", atoms)
        dyn.attach(traj.write, interval=settings.trajectory_every)
    drive_dynamics(dyn, max(settings.steps - dyn.nsteps, 0), progress, f"MetaD {folder.root.name}")
    drift.update(atoms)
    _checkpoint()
    hills_data, colvar = read_hills(hills_path), read_colvar(colvar_path)
    analysis = analyse_metadynamics(
        metad.hills if len(metad.hills) else hills_data,
        colvar,
        settings.temperature_k,
        settings.bias_factor,
        settings.fes_bins,
        record["start"],
        record["end"],
        cv_names=metad.cv_names,
        folder=folder if figures else None,
        fes_method=settings.fes_method,
        target_tolerance=target_tolerance,
        onward=onward,
        quantity=quantity,
    )
    result = MetaDResult(
        settings=settings,
        run_dir=folder.root,
        analysis=analysis,
        steps_done=int(dyn.nsteps),
        n_hills=len(hills_data.heights_ev),
        wall_time_s=time.perf_counter() - clock,
        cv_names=tuple(metad.cv_names),
        widths=tuple(float(w) for w in widths),
        start=tuple(record["start"]),
        end=None if record["end"] is None else tuple(record["end"]),  # type: ignore[arg-type]
        potential=potential,
        device=device_of(calculator),
        structure=structure,
        parameters={
            k: record[k]
            for k in ("colvars", "grid", "calculator", "natoms", "walker_id", "walls", "analysis")
        }
        | dict(parameters or {}),
        host_drift_a=drift.final_a,
        max_host_drift_a=drift.max_a,
    )
    folder.write_summary(result, started=started)
    return result


def _describe(cv: CollectiveVariable) -> dict[str, Any]:
    """A JSON-ready description of a CV (its own ``describe()``, or its dataclass fields)."""
    if hasattr(cv, "describe"):
        return dict(cv.describe())
    if is_dataclass(cv):
        return {"type": type(cv).__name__, **{f.name: getattr(cv, f.name) for f in fields(cv) if f.init}}
    return {"type": type(cv).__name__, "name": cv.name}
