"""Well-tempered metadynamics as an ASE calculator that wraps any calculator.

The bias ``V(s, t)`` is a sum of Gaussian hills in the space of collective variables ``s`` (see
:mod:`sselab.simulate.metad.colvars`); every ``pace`` MD steps a hill of height ``w · exp(-V(s)/(k_B ΔT))``
with
``ΔT = (γ - 1) T`` is added at the current ``s`` (Barducci, Bussi & Parrinello, PRL 100, 020603 (2008)). The
calculator returns the wrapped calculator's energy and forces plus the bias's, and keeps the bias separately
in ``results["bias_energy"]`` (eV), ``results["bias_forces"]`` (eV/Å) and ``results["cv"]``.

The hill deposition is driven by the MD loop: attach :meth:`WellTemperedMetaD.attach_to` to an ASE dynamics
(done by :func:`sselab.simulate.metad.engine.run_metadynamics`). Hills go to ``hills_file``
(PLUMED ``HILLS`` format, see :mod:`sselab.simulate.metad.plumed`).

Example
-------
>>> from sselab.simulate.analytic import DoubleWell1D, particle_in_box
>>> from sselab.simulate.metad.colvars import ProjectedDisplacement
>>> atoms = particle_in_box()
>>> cv = ProjectedDisplacement(0, tuple(atoms.positions[0]), (1.0, 0.0, 0.0), "x")
>>> metad = WellTemperedMetaD(DoubleWell1D(), [cv], height_ev=0.02, widths=[0.1], pace=100,
...                           bias_factor=10, temperature_k=300)
>>> atoms.calc = metad
>>> round(atoms.get_potential_energy(), 3)  # no hills yet: the wrapped energy
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes
from ase.md.md import MolecularDynamics

from sselab.errors import SimulationError
from sselab.simulate.analytic import fast_check_state
from sselab.simulate.metad.colvars import CollectiveVariable
from sselab.simulate.metad.hills import BiasGrid, HillSet
from sselab.simulate.metad.plumed import HillsFollower, format_hills, write_hills_header
from sselab.simulate.metad.walls import Wall, walls_energy

__all__ = ["WellTemperedMetaD"]


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
        Optional :class:`~sselab.simulate.metad.hills.BiasGrid` (PLUMED's ``GRID_MIN/GRID_MAX/GRID_BIN``):
        the bias
        is accumulated on it and interpolated (cubic Hermite), much faster than the exact sum for long runs.
    hills
        A :class:`~sselab.simulate.metad.hills.HillSet` to use, e.g. shared by several in-process walkers.
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
    walls
        Static walls on the CVs (:class:`~sselab.simulate.metad.walls.Wall`), applied to every walker group;
        their energy is ``results["wall_energy"]`` and part of ``bias_forces``, not of ``bias_energy`` (the
        hills' bias, which sets the well-tempered heights).
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
        walls: Sequence[Wall] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.walls = tuple(walls)
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
        self._followers = [HillsFollower(p, self.cv_names) for p in self.walker_files]
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
        wall_ev = np.zeros(len(values))
        bias_forces = np.zeros((len(work), 3))
        for g, (_, gradients) in enumerate(computed):
            slope = dbias_ds[g]
            if self.walls:
                wall_ev[g], wall_slope = walls_energy(self.walls, values[g])
                slope = slope + wall_slope
            bias_forces -= (slope @ gradients.reshape(len(gradients), -1)).reshape(-1, 3)
        self._hills_seen = len(self.hills)
        bias_ev = float(biases.sum())
        total_bias = bias_ev + float(wall_ev.sum())
        self.results = {
            "energy": energy + total_bias,
            "free_energy": energy + total_bias,
            "forces": forces + bias_forces,
            "unbiased_energy": energy,
            "bias_energy": bias_ev,
            "bias_forces": bias_forces,
            "cv": values[0] if len(self.groups) == 1 else values,
            "group_cv": values,
            "group_bias_energy": biases,
            "wall_energy": float(wall_ev.sum()),
            "group_wall_energy": wall_ev,
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

    def current_walls(self, atoms: Atoms) -> np.ndarray:
        """Wall energies ``(ngroups,)`` (eV) at ``atoms`` (cached)."""
        self.get_property("forces", atoms)
        return np.array(self.results["group_wall_energy"])

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
        for index, follower in enumerate(self._followers):
            new = follower.new_hills()
            if new is None:
                continue
            for c, w, h, t in zip(new.centers, new.sigmas, new.heights_ev, new.times_ps, strict=True):
                self.hills.add(c, w, float(h), float(t), walker=-1 - index)
                added += 1
        return added
