"""Local relaxation of search candidates: positions and cell (Fréchet cell filter) under a step budget,
optionally in the candidate's own space group first (ASE ``FixSymmetry``), then released."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

import numpy as np
import spglib
from ase import Atoms, optimize
from ase.calculators.calculator import Calculator
from ase.constraints import FixSymmetry
from ase.filters import FrechetCellFilter
from ase.units import GPa

from sselab.errors import SearchInputError

logger = logging.getLogger(__name__)

#: Optimizers a search may use (names of :mod:`ase.optimize` classes).
OPTIMIZERS = ("BFGS", "LBFGS", "FIRE")
#: Tolerance (Å) with which spglib finds the symmetry kept by a symmetric relaxation.
SYMPREC_A = 1.0e-3


@dataclass(frozen=True)
class RelaxResult:
    """Outcome of one local relaxation.

    Attributes
    ----------
    atoms
        Relaxed structure (tags kept, no calculator attached).
    energy_ev_per_atom
        Potential energy per atom (eV/atom).
    enthalpy_ev_per_atom
        ``(E + pV) / N`` at the relaxation pressure (eV/atom); equals the energy at zero pressure.
    steps
        Optimizer steps taken (both stages).
    converged
        Whether the largest force (and stress) fell below ``fmax`` within the step budget (last stage).
    symmetric_steps
        Steps taken under ``FixSymmetry`` (0 when the relaxation was not symmetric).
    space_group
        International number of the space group kept in the symmetric stage (``None`` if there was none).
    """

    atoms: Atoms
    energy_ev_per_atom: float
    enthalpy_ev_per_atom: float
    steps: int
    converged: bool
    symmetric_steps: int = 0
    space_group: int | None = None


def check_optimizer(name: str) -> str:
    """``name`` if it is one of :data:`OPTIMIZERS`; otherwise a :class:`SearchInputError`."""
    if name not in OPTIMIZERS:
        raise SearchInputError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    return name


def _optimizer(name: str):
    return getattr(optimize, check_optimizer(name))


def _stage(
    work: Atoms,
    optimizer_name: str,
    *,
    steps: int,
    fmax_ev_per_a: float,
    pressure_ev_a3: float,
    relax_cell: bool,
    max_volume_per_atom_a3: float,
) -> tuple[int, bool, bool]:
    """One optimizer run on ``work`` (in place). Returns (steps, converged, blew_up)."""
    target = FrechetCellFilter(work, scalar_pressure=pressure_ev_a3) if relax_cell else work
    optimizer = _optimizer(optimizer_name)(target, logfile=None)  # type: ignore[arg-type]
    converged = False
    for step_converged in optimizer.irun(fmax=fmax_ev_per_a, steps=steps):
        converged = bool(step_converged)
        if work.get_volume() / len(work) > max_volume_per_atom_a3:
            logger.info("relaxation stopped: volume %.1f Å3/atom", work.get_volume() / len(work))
            return int(optimizer.nsteps), False, True
    return int(optimizer.nsteps), converged, False


def space_group_number(atoms: Atoms, symprec_a: float = SYMPREC_A) -> int:
    """International space-group number of ``atoms`` found by spglib (1 if none is found)."""
    cell = (
        np.array(atoms.get_cell()).tolist(),
        atoms.get_scaled_positions().tolist(),
        atoms.numbers.tolist(),
    )
    data = spglib.get_symmetry_dataset(cell, symprec=symprec_a)
    return int(data.number) if data is not None else 1


def relax_candidate(
    atoms: Atoms,
    calculator: Calculator,
    *,
    max_steps: int = 60,
    fmax_ev_per_a: float = 0.05,
    pressure_gpa: float = 0.0,
    relax_cell: bool = True,
    max_volume_per_atom_a3: float = 80.0,
    optimizer: str = "BFGS",
    symmetric: bool = False,
    release_steps: int = 0,
) -> RelaxResult:
    """Relax positions (and the cell), at most ``max_steps`` optimizer steps (plus ``release_steps``).

    Parameters
    ----------
    atoms
        Candidate structure (not modified).
    calculator
        ASE calculator of the potential.
    max_steps
        Step budget (of the symmetric stage when ``symmetric``).
    fmax_ev_per_a
        Force criterion (eV/Å; stress criterion the same in eV/Å³ scaled by the filter).
    pressure_gpa
        External pressure (GPa) for the cell relaxation and the enthalpy.
    relax_cell
        Relax the cell with :class:`ase.filters.FrechetCellFilter`.
    max_volume_per_atom_a3
        Stop early when the cell blows up beyond this volume per atom (Å³): such a candidate is discarded
        upstream.
    optimizer
        ``"BFGS"`` (default: fewest force calls on these small cells), ``"LBFGS"`` or ``"FIRE"``.
    symmetric
        Keep the candidate's space group (spglib, tolerance :data:`SYMPREC_A`) with ASE's ``FixSymmetry`` in a
        first stage, as random-search codes do for symmetric random structures: fewer degrees of freedom,
        faster convergence. A P1 candidate is relaxed without the constraint.
    release_steps
        After the symmetric stage, relax this many more steps without the constraint, so that a structure
        held on a symmetric saddle can fall to a lower-symmetry minimum (0: no release stage).
    """
    check_optimizer(optimizer)
    work = atoms.copy()
    work.calc = calculator
    pressure_ev_a3 = pressure_gpa * GPa
    run_stage = partial(
        _stage,
        work,
        optimizer,
        fmax_ev_per_a=fmax_ev_per_a,
        pressure_ev_a3=pressure_ev_a3,
        relax_cell=relax_cell,
        max_volume_per_atom_a3=max_volume_per_atom_a3,
    )
    group = space_group_number(work) if symmetric else 1
    symmetric_steps = 0
    if group > 1:
        work.set_constraint(FixSymmetry(work, symprec=SYMPREC_A))
        symmetric_steps, converged, blew_up = run_stage(steps=max_steps)
        work.set_constraint()
        steps = symmetric_steps
        if release_steps > 0 and not blew_up:
            more, converged, _ = run_stage(steps=release_steps)
            steps += more
    else:
        steps, converged, _ = run_stage(steps=max_steps + release_steps)
    energy = float(work.get_potential_energy())
    n = len(work)
    enthalpy = (energy + pressure_ev_a3 * work.get_volume()) / n
    out = work.copy()
    out.calc = None
    out.set_constraint()
    out.set_tags(atoms.get_tags())
    if not np.isfinite(energy):
        energy = float("inf")
    return RelaxResult(
        atoms=out,
        energy_ev_per_atom=energy / n,
        enthalpy_ev_per_atom=float(enthalpy),
        steps=steps,
        converged=bool(converged),
        symmetric_steps=symmetric_steps,
        space_group=group if group > 1 else None,
    )
