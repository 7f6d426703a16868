"""Local relaxation of search candidates: FIRE on positions and cell (Fréchet cell filter) under a step
budget."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.units import GPa

logger = logging.getLogger(__name__)


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
        FIRE steps taken.
    converged
        Whether the largest force (and stress) fell below ``fmax`` within the step budget.
    """

    atoms: Atoms
    energy_ev_per_atom: float
    enthalpy_ev_per_atom: float
    steps: int
    converged: bool


def relax_candidate(
    atoms: Atoms,
    calculator: Calculator,
    *,
    max_steps: int = 60,
    fmax_ev_per_a: float = 0.05,
    pressure_gpa: float = 0.0,
    relax_cell: bool = True,
    max_volume_per_atom_a3: float = 80.0,
) -> RelaxResult:
    """Relax positions (and the cell) with FIRE, at most ``max_steps`` steps.

    Parameters
    ----------
    atoms
        Candidate structure (not modified).
    calculator
        ASE calculator of the potential.
    max_steps
        Step budget (the quick profile uses few steps: a rough local minimum is enough to rank candidates).
    fmax_ev_per_a
        Force criterion (eV/Å; stress criterion the same in eV/Å³ scaled by the filter).
    pressure_gpa
        External pressure (GPa) for the cell relaxation and the enthalpy.
    relax_cell
        Relax the cell with :class:`ase.filters.FrechetCellFilter`.
    max_volume_per_atom_a3
        Stop early when the cell blows up beyond this volume per atom (Å³): such a candidate is discarded
        upstream.
    """
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    work = atoms.copy()
    work.calc = calculator
    pressure_ev_a3 = pressure_gpa * GPa
    target = FrechetCellFilter(work, scalar_pressure=pressure_ev_a3) if relax_cell else work
    optimizer = FIRE(target, logfile=None)  # type: ignore[arg-type]
    steps = 0
    converged = False
    for step_converged in optimizer.irun(fmax=fmax_ev_per_a, steps=max_steps):
        converged = step_converged
        steps = optimizer.nsteps
        if work.get_volume() / len(work) > max_volume_per_atom_a3:
            logger.info("relaxation stopped: volume %.1f Å3/atom", work.get_volume() / len(work))
            break
    energy = float(work.get_potential_energy())
    n = len(work)
    enthalpy = (energy + pressure_ev_a3 * work.get_volume()) / n
    out = work.copy()
    out.calc = None
    out.set_tags(atoms.get_tags())
    if not np.isfinite(energy):
        energy = float("inf")
    return RelaxResult(
        atoms=out,
        energy_ev_per_atom=energy / n,
        enthalpy_ev_per_atom=float(enthalpy),
        steps=steps,
        converged=bool(converged),
    )
