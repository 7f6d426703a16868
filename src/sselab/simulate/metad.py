"""Well-tempered metadynamics as an ASE calculator that wraps any calculator.

The bias ``V(s, t)`` is a sum of Gaussian hills in the space of collective variables ``s`` (see
:mod:`sselab.simulate.colvars`); every ``pace`` MD steps a hill of height ``w · exp(-V(s)/(k_B ΔT))`` with
``ΔT = (γ - 1) T`` is added at the current ``s`` (Barducci, Bussi & Parrinello, PRL 100, 020603 (2008)). The
calculator returns the wrapped calculator's energy and forces plus the bias's, and keeps the bias separately
in ``results["bias_energy"]`` (eV), ``results["bias_forces"]`` (eV/Å) and ``results["cv"]``.

The hill deposition is driven by the MD loop: attach :meth:`WellTemperedMetaD.attach_to` to an ASE dynamics
(done by :func:`sselab.simulate.run_metadynamics`). Hills go to ``hills_file``
(PLUMED ``HILLS`` format, see :mod:`sselab.simulate.hills`).

Example
-------
>>> from sselab.simulate.analytic import DoubleWell1D, particle_in_box
>>> from sselab.simulate.colvars import ProjectedDisplacement
>>> atoms = particle_in_box()
>>> cv = ProjectedDisplacement(0, tuple(atoms.positions[0]), (1.0, 0.0, 0.0), "x")
>>> metad = WellTemperedMetaD(DoubleWell1D(), [cv], height_ev=0.02, widths=[0.1], pace=100,
...                           bias_factor=10, temperature_k=300)
>>> atoms.calc = metad
>>> round(atoms.get_potential_energy(), 3)  # no hills yet: the wrapped energy
0.0
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes
from ase.io import write
from ase.md.md import MolecularDynamics

from sselab.errors import SimulationError
from sselab.simulate.analytic import fast_check_state
from sselab.simulate.barriers import BarrierResult
from sselab.simulate.colvars import CollectiveVariable
from sselab.simulate.fes import FES
from sselab.simulate.hills import (
    EV_TO_KJ_PER_MOL,
    BiasGrid,
    ColvarData,
    HillsData,
    HillSet,
    format_colvar_line,
    format_hills,
    read_colvar,
    read_hills,
    write_colvar_header,
    write_hills,
    write_hills_header,
)
from sselab.simulate.runs import jsonable

__all__ = ["MetaDResult", "WellTemperedMetaD", "run_metadynamics"]

LOGGER = logging.getLogger(__name__)


class WellTemperedMetaD(Calculator):
    """Well-tempered metadynamics bias on top of ``calculator``.

    Parameters
    ----------
    calculator
        The wrapped ASE calculator (any: MLIP, DFT, analytic).
    colvars
        Collective variables (objects with ``name`` and ``compute(atoms) -> (value, gradient)``), or a list of
        such lists: several walkers in one system sharing the hills (each group biased by ``V(s_group)``, one
        hill per group per deposition). Exact only when the groups do not interact (the independent particles
        of :mod:`sselab.simulate.analytic`, or ions far apart).
    height_ev
        Initial hill height ``w`` (eV).
    widths
        Gaussian widths σ, one per CV, in the CV's units (Å for displacements).
    pace
        Steps between hills.
    bias_factor
        γ = (T + ΔT) / T > 1; ``float("inf")`` gives plain (non-tempered) metadynamics.
    temperature_k
        Simulation temperature T (K).
    grid
        Optional :class:`~sselab.simulate.hills.BiasGrid` (PLUMED's ``GRID_MIN/GRID_MAX/GRID_BIN``): the bias
        is accumulated on it and interpolated (cubic Hermite), much faster than the exact sum for long runs.
    hills
        A :class:`~sselab.simulate.hills.HillSet` to use, e.g. shared by several in-process walkers.
    hills_file
        PLUMED ``HILLS`` file receiving this walker's hills (created with a header unless ``append``).
    walker_files
        ``HILLS`` files of other walkers (other processes) whose new hills are read at each deposition.
    timestep_fs
        MD time step (fs), for the time column of ``HILLS``.
    append
        Keep an existing ``hills_file`` (restart) instead of starting it anew.
    walker_id
        This walker's id (0, 1, ...) when several in-process walkers share ``hills``.
    """

    implemented_properties: ClassVar[list[str]] = ["energy", "free_energy", "forces"]  # type: ignore[misc]

    def __init__(
        self,
        calculator: Calculator,
        colvars: Sequence[CollectiveVariable] | Sequence[Sequence[CollectiveVariable]],
        height_ev: float,
        widths: Sequence[float],
        pace: int,
        bias_factor: float,
        temperature_k: float,
        grid: BiasGrid | None = None,
        hills: HillSet | None = None,
        hills_file: str | Path | None = None,
        walker_files: Sequence[str | Path] = (),
        timestep_fs: float = 1.0,
        append: bool = False,
        walker_id: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.calculator = calculator
        groups: list[list[CollectiveVariable]]
        if colvars and isinstance(colvars[0], Sequence):
            groups = [list(g) for g in colvars]  # type: ignore[arg-type]
        else:
            groups = [list(colvars)]  # type: ignore[arg-type]
        if not groups[0]:
            raise SimulationError("metadynamics needs at least one collective variable")
        names = [cv.name for cv in groups[0]]
        if any([cv.name for cv in g] != names for g in groups):
            raise SimulationError(f"every walker group needs the same CVs {names}")
        self.groups = groups
        self.colvars = groups[0]
        self.widths = np.asarray(widths, dtype=float).reshape(-1)
        if self.widths.size != len(self.colvars) or np.any(self.widths <= 0):
            raise SimulationError(
                f"widths {list(widths)} must be {len(self.colvars)} positive numbers (one per CV)"
            )
        if height_ev <= 0 or pace < 1 or temperature_k <= 0:
            raise SimulationError("height_ev, pace and temperature_k must be positive")
        if not bias_factor > 1.0:
            raise SimulationError(
                f"bias_factor must be > 1 (use inf for plain metadynamics), got {bias_factor}"
            )
        self.height_ev = float(height_ev)
        self.pace = int(pace)
        self.bias_factor = float(bias_factor)
        self.temperature_k = float(temperature_k)
        self.timestep_fs = float(timestep_fs)
        self.walker_id = int(walker_id)
        self.hills = hills if hills is not None else HillSet(len(self.colvars), grid)
        if self.hills.ndim != len(self.colvars):
            raise SimulationError(f"HillSet has {self.hills.ndim} CVs, metadynamics {len(self.colvars)}")
        self.hills_file = Path(hills_file) if hills_file is not None else None
        if self.hills_file is not None and not (append and self.hills_file.exists()):
            write_hills_header(self.hills_file, self.cv_names)
        self.walker_files = [Path(p) for p in walker_files]
        self._walker_offsets = {p: 0 for p in self.walker_files}
        self._hills_seen = -1

    @property
    def cv_names(self) -> list[str]:
        """Names of the CVs (the HILLS/COLVAR field names)."""
        return [cv.name for cv in self.colvars]

    @property
    def walker_ids(self) -> list[int]:
        """Walker ids of this calculator's CV groups (``walker_id``, ``walker_id + 1``, ...)."""
        return [self.walker_id + g for g in range(len(self.groups))]

    @property
    def delta_t_k(self) -> float:
        """ΔT = (γ - 1) T (K); infinite for plain metadynamics."""
        return (self.bias_factor - 1.0) * self.temperature_k

    def compute_colvars(self, atoms: Atoms, group: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """CV values ``(ncv,)`` and gradients ``(ncv, natoms, 3)`` of one walker group (default the first)."""
        cvs = self.groups[group]
        values = np.empty(len(cvs))
        gradients = np.empty((len(cvs), len(atoms), 3))
        for k, cv in enumerate(cvs):
            values[k], gradients[k] = cv.compute(atoms)
        return values, gradients

    def check_state(self, atoms: Atoms, tol: float = 1e-15) -> list[str]:
        """What changed since the last calculation (exact comparison), plus ``"hills"`` on new hills."""
        changes = fast_check_state(self.atoms, atoms)
        if self._hills_seen != len(self.hills):
            changes.append("hills")
        return changes

    def calculate(
        self, atoms: Atoms | None = None, properties: Sequence[str] = ("energy",), system_changes=all_changes
    ) -> None:
        """Wrapped energy/forces (cached by the wrapped calculator) plus the bias at the current CVs."""
        super().calculate(atoms, properties, system_changes)
        assert self.atoms is not None
        work = self.atoms
        energy, forces = self._wrapped(work)
        computed = [self.compute_colvars(work, g) for g in range(len(self.groups))]
        values = np.array([c[0] for c in computed])
        biases, dbias_ds = self.hills.bias_many(values)
        bias_forces = np.zeros((len(work), 3))
        for g, (_, gradients) in enumerate(computed):
            bias_forces -= (dbias_ds[g] @ gradients.reshape(len(gradients), -1)).reshape(-1, 3)
        self._hills_seen = len(self.hills)
        bias_ev = float(biases.sum())
        self.results = {
            "energy": energy + bias_ev,
            "free_energy": energy + bias_ev,
            "forces": forces + bias_forces,
            "unbiased_energy": energy,
            "bias_energy": bias_ev,
            "bias_forces": bias_forces,
            "cv": values[0] if len(self.groups) == 1 else values,
            "group_cv": values,
            "group_bias_energy": biases,
        }

    def _wrapped(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """Energy and forces of the wrapped calculator (its cached results when ``atoms`` did not change)."""
        calc = self.calculator
        cached = getattr(calc, "results", {})
        if (
            getattr(calc, "atoms", None) is None
            or "energy" not in cached
            or "forces" not in cached
            or calc.check_state(atoms)
        ):
            calc.get_forces(atoms)
            calc.get_potential_energy(atoms)
        return float(calc.results["energy"]), np.array(calc.results["forces"])

    def current(self, atoms: Atoms) -> tuple[np.ndarray, np.ndarray]:
        """CV values ``(ngroups, ncv)`` and biases ``(ngroups,)`` (eV) at ``atoms`` (cached)."""
        self.get_property("forces", atoms)
        return np.array(self.results["group_cv"]), np.array(self.results["group_bias_energy"])

    def hill_height(self, bias_ev: float) -> float:
        """Well-tempered height (eV) for a hill deposited where the bias is ``bias_ev``."""
        if np.isinf(self.bias_factor):
            return self.height_ev
        return self.height_ev * float(np.exp(-bias_ev / (units.kB * self.delta_t_k)))

    def deposit(self, atoms: Atoms, step: int) -> None:
        """Add a hill at the current CVs of every walker group (called every ``pace`` steps by
        :meth:`attach_to`).

        Heights of simultaneous hills are computed before any is added, as PLUMED's multiple walkers do.
        """
        self.read_walker_hills()
        values, biases = self.current(atoms)
        heights = np.array([self.hill_height(b) for b in biases])
        time_ps = step * self.timestep_fs / 1000.0
        for g, walker in enumerate(self.walker_ids):
            self.hills.add(
                values[g].tolist(), self.widths.tolist(), float(heights[g]), time_ps, walker=walker
            )
        if self.hills_file is not None:
            n = len(self.groups)
            text = format_hills(
                np.full(n, time_ps), values, np.tile(self.widths, (n, 1)), heights, self.bias_factor
            )
            with self.hills_file.open("a") as handle:
                handle.write(text)

    def attach_to(self, dyn: MolecularDynamics, atoms: Atoms) -> None:
        """Deposit hills on ``dyn`` every ``pace`` steps (not at step 0)."""

        def _maybe_deposit() -> None:
            if dyn.nsteps > 0 and dyn.nsteps % self.pace == 0:
                self.deposit(atoms, dyn.nsteps)

        dyn.attach(_maybe_deposit, interval=1)

    def read_walker_hills(self) -> int:
        """Read new hills of other walkers from their ``HILLS`` files; return how many were added."""
        added = 0
        n = len(self.colvars)
        for index, path in enumerate(self.walker_files):
            if not path.exists():
                continue
            with path.open() as handle:
                handle.seek(self._walker_offsets[path])
                chunk = handle.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            self._walker_offsets[path] += len(complete.encode())
            for line in complete.splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                cols = [float(x) for x in line.split()]
                biasf = cols[2 + 2 * n]
                factor = (biasf / (biasf - 1.0) if biasf > 1.0 else 1.0) * EV_TO_KJ_PER_MOL
                center, sigma = cols[1 : 1 + n], cols[1 + n : 1 + 2 * n]
                self.hills.add(center, sigma, cols[1 + 2 * n] / factor, cols[0], walker=-1 - index)
                added += 1
        return added


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
        minimum, see :func:`~sselab.simulate.barriers.find_barriers`); recorded and kept on restart.
    extra_parameters
        Recorded in ``summary.json`` with the run's parameters (e.g. potential name, structure file).
    hills, walker_id, walker_files
        Multiple walkers: a shared in-process :class:`HillSet`
        and this walker's id, or other walkers' ``HILLS`` files.
    """
    from sselab.simulate.md import (
        CHECKPOINT_NAME,
        drive_dynamics,
        initial_velocities,
        load_checkpoint,
        make_dynamics,
        save_checkpoint,
    )
    from sselab.simulate.runs import RunFolder, analyse_metadynamics, utc_now

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
        from ase.io.trajectory import Trajectory

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
