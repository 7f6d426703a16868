"""Relaxations that say whether they converged: bulk (positions and cell) and fixed-cell defect cells.

Example
-------
>>> from ase.build import bulk
>>> from ase.calculators.emt import EMT
>>> relaxed, record = relax_structure(bulk("Cu", cubic=True), EMT(), fmax_ev_per_a=0.01, relax_cell=True)
>>> record.converged, round(float(relaxed.cell[0, 0]), 2)
(True, 3.59)
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.calculators.singlepoint import SinglePointCalculator
from ase.filters import FrechetCellFilter
from ase.optimize import BFGS, FIRE, LBFGS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelaxationRecord:
    """Outcome of one relaxation.

    Attributes
    ----------
    energy_ev
        Final potential energy (eV).
    converged
        Whether the largest force (and, with the cell filter, the stress) fell below ``fmax_ev_per_a``.
    steps
        Optimizer steps taken.
    max_force_ev_per_a
        Largest atomic force at the end (eV/Å).
    fmax_ev_per_a
        The criterion asked for (eV/Å).
    relax_cell
        Whether the lattice was relaxed too.
    """

    energy_ev: float
    converged: bool
    steps: int
    max_force_ev_per_a: float
    fmax_ev_per_a: float
    relax_cell: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelaxationRecord:
        """Inverse of :meth:`as_dict`."""
        return cls(**data)


def _optimizer(name: str) -> type:

    return {"BFGS": BFGS, "LBFGS": LBFGS, "FIRE": FIRE}[name]


def relax_structure(
    atoms: Atoms,
    calculator: Calculator,
    *,
    fmax_ev_per_a: float = 0.05,
    steps: int = 400,
    relax_cell: bool = False,
    optimizer: str = "BFGS",
) -> tuple[Atoms, RelaxationRecord]:
    """Relax ``atoms`` (a copy) with an ASE optimizer; return the relaxed copy and what happened.

    Parameters
    ----------
    atoms
        Structure (Å); not modified.
    calculator
        Any ASE calculator (it is attached to the working copy, never to ``atoms``).
    fmax_ev_per_a
        Force criterion (eV/Å).
    steps
        Optimizer steps at most.
    relax_cell
        Relax the lattice too (``FrechetCellFilter``, zero pressure).
    optimizer
        ``"BFGS"``, ``"LBFGS"`` or ``"FIRE"``.

    Returns
    -------
    tuple
        The relaxed structure (energy and forces kept as a single-point result) and its
        :class:`RelaxationRecord`.
    """

    work = atoms.copy()
    work.calc = calculator
    target: Any = FrechetCellFilter(work) if relax_cell else work
    opt = _optimizer(optimizer)(target, logfile=None)
    converged = bool(opt.run(fmax=fmax_ev_per_a, steps=steps))
    energy = float(work.get_potential_energy())
    forces = work.get_forces()
    max_force = float(np.sqrt((forces**2).sum(axis=1)).max()) if len(work) else 0.0
    if not converged:
        logger.warning(
            "%s: relaxation not converged (max force %.3f eV/Å after %d steps, asked %.3f)",
            work.get_chemical_formula(),
            max_force,
            opt.nsteps,
            fmax_ev_per_a,
        )
    result = work.copy()
    result.calc = SinglePointCalculator(result, energy=energy, forces=forces)
    record = RelaxationRecord(energy, converged, int(opt.nsteps), max_force, fmax_ev_per_a, relax_cell)
    return result, record


def single_point_energy(atoms: Atoms, calculator: Calculator) -> float:
    """Potential energy of a copy of ``atoms`` (eV), without moving anything."""
    work = atoms.copy()
    work.calc = calculator
    return float(work.get_potential_energy())
