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

from sselab.errors import DataImportError, SimulationError

__all__ = ["VacancyResult", "make_supercell", "make_vacancy", "pick_cation", "read_structure", "relax"]

LOGGER = logging.getLogger(__name__)


def read_structure(path: str | Path) -> Atoms:
    """Read a CIF, POSCAR/CONTCAR, extxyz, ... file with ASE; fall back to pymatgen for CIFs ASE cannot read.

    Raises :class:`~sselab.errors.DataImportError` naming the file when neither can read it.
    """
    path = Path(path)
    if not path.is_file():
        raise DataImportError("structure file not found", file=str(path))
    from ase.io import read

    try:
        atoms = read(str(path))
    except Exception as ase_error:
        try:
            from pymatgen.core import Structure
            from pymatgen.io.ase import AseAtomsAdaptor

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


def make_supercell(atoms: Atoms, min_length_a: float) -> Atoms:
    """Repeat ``atoms`` so that every perpendicular cell width is at least ``min_length_a`` (Å).

    Uses the distance between opposite cell faces (what limits periodic images), not the cell vector lengths.
    """
    if min_length_a <= 0:
        return atoms.copy()
    cell = atoms.cell
    if cell.rank < 3:
        raise SimulationError("make_supercell needs a 3D periodic cell")
    volume = abs(cell.volume)
    widths = [volume / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)]
    reps = [max(1, int(np.ceil(min_length_a / w - 1e-9))) for w in widths]
    LOGGER.info("supercell %s (face widths %s Å)", reps, [round(w, 2) for w in widths])
    return atoms.repeat(reps)


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
    fmax: float = 0.05,
    steps: int = 200,
    cell_filter: bool = True,
    optimizer: str = "FIRE",
    trajectory: str | Path | None = None,
) -> Atoms:
    """Relax positions (and the cell, with ASE's ``FrechetCellFilter``) to ``fmax`` (eV/Å); return a copy.

    ``optimizer``: ``"FIRE"`` or ``"BFGS"``. A relaxation that has not converged after ``steps`` is logged,
    not raised: MD and metadynamics only need a reasonable start.
    """
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS, FIRE

    work = atoms.copy()
    work.calc = calculator
    target = FrechetCellFilter(work) if cell_filter else work
    optimizers = {"FIRE": FIRE, "BFGS": BFGS}
    if optimizer not in optimizers:
        raise SimulationError(f"unknown optimizer {optimizer!r}; choose FIRE or BFGS")
    opt = optimizers[optimizer](target, logfile=None, trajectory=str(trajectory) if trajectory else None)
    converged = opt.run(fmax=fmax, steps=steps)
    if not converged:
        LOGGER.warning("relaxation not converged to fmax=%s eV/Å in %d steps", fmax, steps)
    result = work.copy()
    result.calc = None
    return result


@dataclass(frozen=True)
class MetaDSetup:
    """Everything ``sselab metad`` needs: prepared atoms, calculator, CVs with widths and bias grid."""

    atoms: Atoms
    calculator: Calculator
    colvars: list
    widths: list[float]
    grid: Any
    description: str
    formula: str
    parameters: dict


def _perpendicular(direction: np.ndarray) -> np.ndarray:
    axis = np.eye(3)[int(np.argmin(np.abs(direction)))]
    perp = np.cross(direction, axis)
    return perp / np.linalg.norm(perp)


def build_metad_setup(
    structure: str | Path,
    cation: str,
    potential: str = "chgnet",
    cv: str = "displacement",
    width: float = 0.2,
    supercell_min_length_a: float = 0.0,
    vacancy: bool = True,
    cation_index: int | None = None,
    direction: tuple[float, float, float] | None = None,
    relax_steps: int = 0,
    coordination_r0_a: float = 3.0,
    coordination_elements: tuple[str, ...] = ("B", "N", "O"),
) -> MetaDSetup:
    """Prepare a cation-migration metadynamics: read, supercell, vacancy, relax, CVs and a bias grid.

    CVs (``cv``): ``displacement`` (projection of the ion's displacement on the hop direction, Å),
    ``displacement2d`` (plus the perpendicular component, Å), ``coordination`` (displacement and the ion's
    coordination number to B, N and O atoms, i.e. anion centres and neutral-molecule donors, with PLUMED's
    rational switching ``R_0 = coordination_r0_a``). The hop direction is towards the vacancy (or
    ``direction``).
    """
    from sselab.simulate.colvars import CoordinationNumber, ProjectedDisplacement, displacement_2d
    from sselab.simulate.hills import BiasGrid
    from sselab.simulate.potentials import get_calculator

    atoms = make_supercell(read_structure(structure), supercell_min_length_a)
    mover = pick_cation(atoms, cation, cation_index)
    hop_a = 3.0
    target = None
    if vacancy:
        vac = make_vacancy(atoms, cation, mover)
        atoms, mover = vac.atoms, vac.migrating_index
        target = np.asarray(vac.vacancy_position)
    elif direction is None:
        others = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == cation and i != mover]
        if others:
            nearest = others[int(np.argmin(atoms.get_distances(mover, others, mic=True)))]
            target = atoms.positions[nearest]
    if direction is not None:
        vec = np.asarray(direction, dtype=float)
    elif target is not None:
        from ase.geometry import find_mic

        mic, _ = find_mic((target - atoms.positions[mover])[None, :], atoms.cell, atoms.pbc)
        vec = np.asarray(mic)[0]
        hop_a = float(np.linalg.norm(vec))
    else:
        vec = np.array([1.0, 0.0, 0.0])
    vec = vec / np.linalg.norm(vec)
    calculator = get_calculator(potential)
    if relax_steps > 0:
        atoms = relax(atoms, calculator, steps=relax_steps, cell_filter=False)
    p0 = atoms.positions[mover]
    ref = (float(p0[0]), float(p0[1]), float(p0[2]))
    d1 = ProjectedDisplacement(mover, ref, tuple(vec.tolist()), "d1")  # type: ignore[arg-type]
    lo, hi = -1.5, hop_a + 1.5
    nbin = max(50, int((hi - lo) / (width / 5)))
    if cv == "displacement":
        colvars: list = [d1]
        widths = [width]
        grid = BiasGrid((lo,), (hi,), (nbin,))
    elif cv == "displacement2d":
        perp = _perpendicular(vec)
        colvars = list(displacement_2d(mover, ref, (vec[0], vec[1], vec[2]), (perp[0], perp[1], perp[2])))
        widths = [width, width]
        grid = BiasGrid((lo, -2.5), (hi, 2.5), (nbin, max(25, int(5.0 / (width / 5)))))
    elif cv == "coordination":
        group = tuple(i for i, s in enumerate(atoms.get_chemical_symbols()) if s in coordination_elements)
        if not group:
            raise SimulationError(f"no {coordination_elements} atoms for the coordination CV")
        cn = CoordinationNumber(mover, group, r0_a=coordination_r0_a, name="cn")
        cn0 = cn.compute(atoms)[0]
        colvars = [d1, cn]
        widths = [width, 0.1]
        grid = BiasGrid((lo, 0.0), (hi, cn0 + 4.0), (nbin, 100))
    else:
        raise SimulationError(f"unknown CV {cv!r}; choose displacement, displacement2d or coordination")
    formula = atoms.get_chemical_formula(mode="reduce")
    description = (
        f"{atoms.get_chemical_formula()} ({len(atoms)} atoms), migrating {cation} #{mover}, "
        f"hop {hop_a:.2f} Å "
        f"along {np.round(vec, 3).tolist()}, CV {cv}, potential {potential}"
    )
    parameters = {
        "structure": str(structure),
        "cation": cation,
        "cation_index": mover,
        "potential": potential,
        "cv": cv,
        "vacancy": vacancy,
        "supercell_min_length_a": supercell_min_length_a,
        "hop_distance_a": hop_a,
        "relax_steps": relax_steps,
    }
    return MetaDSetup(atoms, calculator, colvars, widths, grid, description, formula, parameters)
