"""Preparing a structure for migration simulations: read, supercell, migrating ion, vacancy, relaxation.

Example
-------
>>> from ase.build import bulk
>>> atoms = make_supercell(bulk("Cu", cubic=True), min_length_a=7.0)
>>> len(atoms)
32
>>> index = pick_cation(atoms, "Cu")
>>> vacancy = make_vacancy(atoms, "Cu", near_index=index)
>>> len(vacancy.atoms), vacancy.migrating_index
(31, 0)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.filters import FrechetCellFilter
from ase.io import read
from ase.optimize import BFGS, FIRE
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.errors import DataImportError, SimulationError
from sselab.simulate.settings import RelaxSettings

__all__ = [
    "Relaxed",
    "VacancyResult",
    "make_supercell",
    "make_vacancy",
    "pick_cation",
    "read_structure",
    "relax",
    "relax_atoms",
    "supercell_repeats",
]

LOGGER = logging.getLogger(__name__)


def read_structure(path: str | Path) -> Atoms:
    """Read a CIF, POSCAR/CONTCAR, extxyz, ... file with ASE; fall back to pymatgen for CIFs ASE cannot read.

    Raises :class:`~sselab.errors.DataImportError` naming the file when neither can read it.
    """
    path = Path(path)
    if not path.is_file():
        raise DataImportError("structure file not found", file=str(path))
    try:
        atoms = read(str(path))
    except Exception as ase_error:
        try:
            atoms = AseAtomsAdaptor.get_atoms(Structure.from_file(str(path)))
        except Exception as pmg_error:
            raise DataImportError(
                f"cannot read structure (ASE: {ase_error}; pymatgen: {pmg_error})", file=str(path)
            ) from pmg_error
    if isinstance(atoms, list):
        atoms = atoms[-1]
    if len(atoms) == 0:
        raise DataImportError("structure has no atoms", file=str(path))
    return atoms


def supercell_repeats(atoms: Atoms, min_length_a: float) -> list[int]:
    """Repetitions along each cell vector that make every face-to-face width at least ``min_length_a`` (Å)."""
    if min_length_a <= 0:
        return [1, 1, 1]
    cell = atoms.cell
    if cell.rank < 3:
        raise SimulationError("make_supercell needs a 3D periodic cell")
    volume = abs(cell.volume)
    widths = [volume / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)]
    return [max(1, int(np.ceil(min_length_a / w - 1e-9))) for w in widths]


def make_supercell(atoms: Atoms, min_length_a: float) -> Atoms:
    """Repeat ``atoms`` so that every perpendicular cell width is at least ``min_length_a`` (Å).

    Uses the distance between opposite cell faces (what limits periodic images), not the cell vector lengths.
    """
    reps = supercell_repeats(atoms, min_length_a)
    LOGGER.info("supercell %s", reps)
    return atoms.repeat(reps) if reps != [1, 1, 1] else atoms.copy()


def pick_cation(atoms: Atoms, element: str, index: int | None = None) -> int:
    """Index of the migrating ion: ``index`` when given (checked to be ``element``), else the first one."""
    symbols = atoms.get_chemical_symbols()
    if index is not None:
        if not 0 <= index < len(atoms) or symbols[index] != element:
            raise SimulationError(
                f"atom {index} is not a {element} (structure {atoms.get_chemical_formula()})"
            )
        return index
    for i, symbol in enumerate(symbols):
        if symbol == element:
            return i
    raise SimulationError(f"no {element} atom in the structure {atoms.get_chemical_formula()}")


@dataclass(frozen=True)
class VacancyResult:
    """A structure with one vacancy.

    Attributes
    ----------
    atoms
        The structure without the removed atom.
    removed_index
        Index (in the original structure) of the removed atom.
    vacancy_position
        Its position (Å): the site the migrating ion can hop into.
    migrating_index
        Index of the migrating ion in the new structure.
    index_map
        ``index_map[new] = old`` for every atom of the new structure.
    """

    atoms: Atoms
    removed_index: int
    vacancy_position: tuple[float, float, float]
    migrating_index: int
    index_map: tuple[int, ...]


def make_vacancy(atoms: Atoms, element: str, near_index: int | None = None) -> VacancyResult:
    """Remove the ``element`` atom nearest (minimum image) to the migrating ion ``near_index``.

    ``near_index`` defaults to :func:`pick_cation`'s choice. The hop of the migrating ion into the vacancy is
    the migration studied by NEB and metadynamics.
    """
    mover = pick_cation(atoms, element, near_index)
    same = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == element and i != mover]
    if not same:
        raise SimulationError(f"only one {element} atom: no neighbour to remove for a vacancy")
    distances = atoms.get_distances(mover, same, mic=True)
    removed = same[int(np.argmin(distances))]
    index_map = tuple(i for i in range(len(atoms)) if i != removed)
    new = atoms.copy()
    position = tuple(float(x) for x in atoms.positions[removed])
    del new[removed]
    return VacancyResult(new, removed, position, index_map.index(mover), index_map)  # type: ignore[arg-type]


def relax(
    atoms: Atoms,
    calculator: Calculator,
    *,
    settings: RelaxSettings | None = None,
    trajectory: str | Path | None = None,
    **changes: Any,
) -> Atoms:
    """Relax positions (and the cell, with ASE's ``FrechetCellFilter``) to ``fmax`` (eV/Å); return a copy.

    ``settings`` (or its fields as keywords: ``fmax``, ``steps``, ``cell_filter``, ``optimizer``) as in
    :class:`~sselab.simulate.settings.RelaxSettings`. A relaxation that has not converged after ``steps`` is
    logged, not raised: MD and metadynamics only need a reasonable start (:func:`relax_atoms` tells whether it
    converged).
    """
    return relax_atoms(atoms, calculator, RelaxSettings.build(settings, **changes), trajectory).atoms


@dataclass(frozen=True)
class Relaxed:
    """A relaxed copy of a structure: energy (eV), largest remaining force (eV/Å), steps, converged."""

    atoms: Atoms
    energy_ev: float
    max_force_ev_per_a: float
    steps: int
    converged: bool


def relax_atoms(
    atoms: Atoms, calculator: Calculator, settings: RelaxSettings, trajectory: str | Path | None = None
) -> Relaxed:
    """Relax a copy of ``atoms`` with ``calculator`` as ``settings`` say (the engine of :func:`relax`)."""
    work = atoms.copy()
    work.calc = calculator
    target = FrechetCellFilter(work) if settings.cell_filter else work
    optimizers = {"FIRE": FIRE, "BFGS": BFGS}
    opt = optimizers[settings.optimizer](
        target, logfile=None, trajectory=str(trajectory) if trajectory else None
    )
    converged = bool(opt.run(fmax=settings.fmax, steps=settings.steps))
    if not converged:
        LOGGER.warning("relaxation not converged to fmax=%s eV/Å in %d steps", settings.fmax, settings.steps)
    energy = float(work.get_potential_energy())
    forces = work.get_forces()
    result = work.copy()
    result.calc = None
    max_force = float(np.sqrt((forces**2).sum(axis=1)).max()) if len(forces) else 0.0
    return Relaxed(result, energy, max_force, int(opt.nsteps), converged)
