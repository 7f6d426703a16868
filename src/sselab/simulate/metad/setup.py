"""Preparing a cation-migration metadynamics of a crystal: the migrating ion, its hop, the CVs and the bias
grid.

Example
-------
>>> setup = build_metad_setup("LiBH4.cif", "Li", potential="chgnet")  # doctest: +SKIP
>>> setup.description  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.geometry import find_mic

from sselab.errors import SimulationError
from sselab.simulate.metad.colvars import CoordinationNumber, ProjectedDisplacement, displacement_2d
from sselab.simulate.metad.hills import BiasGrid
from sselab.simulate.potentials import get_calculator
from sselab.simulate.prepare import make_supercell, make_vacancy, pick_cation, read_structure, relax

__all__ = ["MetaDSetup", "build_metad_setup"]


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
