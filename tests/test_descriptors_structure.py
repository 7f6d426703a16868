"""Structure descriptors: V per formula unit, anion-centre distance d, binding energy b_m (ASE EMT)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.emt import EMT
from pymatgen.core import Lattice, Structure

from sselab.chem import parse_formula
from sselab.descriptors import (
    DescriptorError,
    anion_centre_distance,
    moving_cation_binding_energy,
    structure_descriptors,
    volume_per_formula_unit,
)
from sselab.simulate.reference import LIBH4_PNMA_LATTICE_A, libh4_pnma


def test_volume_per_formula_unit_of_libh4() -> None:
    a, b, c = LIBH4_PNMA_LATTICE_A
    assert volume_per_formula_unit(libh4_pnma(), {"Li": 1, "B": 1, "H": 4}) == pytest.approx(a * b * c / 4)


def test_volume_refuses_a_foreign_formula_unit() -> None:
    with pytest.raises(DescriptorError, match="differ"):
        volume_per_formula_unit(libh4_pnma(), {"Na": 1, "B": 1, "H": 4})


def test_anion_centre_distance_equals_brute_force_over_images() -> None:
    atoms = libh4_pnma()
    boron = atoms.positions[[s == "B" for s in atoms.get_chemical_symbols()]]
    cell = atoms.cell.array
    nearest = []
    for i, p in enumerate(boron):
        best = np.inf
        for shift in itertools.product((-1, 0, 1), repeat=3):
            for j, q in enumerate(boron):
                if i == j and shift == (0, 0, 0):
                    continue
                best = min(best, float(np.linalg.norm(q + np.array(shift) @ cell - p)))
        nearest.append(best)
    assert anion_centre_distance(atoms, ("B",)) == pytest.approx(np.mean(nearest))


def _icosahedron(radius_a: float) -> np.ndarray:
    phi = (1 + 5**0.5) / 2
    corners: list[tuple[float, ...]] = [(0.0, s1, s2 * phi) for s1 in (-1.0, 1.0) for s2 in (-1.0, 1.0)]
    vertices = [v for base in corners for v in (base, base[1:] + base[:1], base[2:] + base[:2])]
    points = np.array(vertices, dtype=float)
    return points / np.linalg.norm(points[0]) * radius_a


def test_a_boron_cage_counts_as_one_centre() -> None:
    edge = 9.0
    cage = _icosahedron(1.7) + edge / 2  # B–B ≈ 1.79 Å, under the 2.0 Å cluster cut-off
    structure = Structure(Lattice.cubic(edge), ["B"] * 12, cage, coords_are_cartesian=True)
    assert anion_centre_distance(structure, ("B",)) == pytest.approx(edge)  # one cage, its own periodic image


def test_binding_energy_of_a_metal_atom_with_emt() -> None:
    """b_m = E(N) − E(N−1) − E(atom) = −(cohesive energy + unrelaxed vacancy formation energy)."""
    calc = EMT()
    crystal = bulk("Cu", "fcc", a=3.61, cubic=True) * (2, 2, 2)
    primitive = bulk("Cu", "fcc", a=3.61)
    primitive.calc = calc
    e_bulk_per_atom = primitive.get_potential_energy()
    atom = Atoms("Cu", positions=[(10, 10, 10)], cell=[20] * 3, pbc=True)
    atom.calc = calc
    e_atom = atom.get_potential_energy()
    vacancy = crystal.copy()
    del vacancy[0]
    vacancy.calc = calc
    e_vacancy_formation = vacancy.get_potential_energy() - (len(crystal) - 1) * e_bulk_per_atom
    cohesive = e_atom - e_bulk_per_atom
    b_m = moving_cation_binding_energy(crystal, "Cu", calc)
    assert b_m == pytest.approx(-(cohesive + e_vacancy_formation), abs=1e-6)
    assert b_m < 0
    with pytest.raises(DescriptorError, match="no Li atom"):
        moving_cation_binding_energy(crystal, "Li", calc)


def test_structure_descriptors_of_libh4_from_cif() -> None:
    from pymatgen.io.ase import AseAtomsAdaptor

    cif = AseAtomsAdaptor.get_structure(libh4_pnma()).to(fmt="cif")
    out = structure_descriptors(cif, parse_formula("LiBH4"))
    assert out["V"] == pytest.approx(np.prod(LIBH4_PNMA_LATTICE_A) / 4, rel=1e-4)
    assert 3.0 < out["d"] < 5.0
    assert np.isnan(out["b_m"])


def test_binding_energy_through_the_potential_registry() -> None:
    from sselab.simulate.potentials import get_calculator

    crystal = bulk("Cu", "fcc", a=3.61, cubic=True) * (2, 2, 2)
    assert moving_cation_binding_energy(crystal, "Cu", get_calculator("emt")) == pytest.approx(
        moving_cation_binding_energy(crystal, "Cu", EMT())
    )


@pytest.mark.slow
def test_binding_energy_of_li_in_libh4_with_chgnet() -> None:
    """The real path: a universal potential from the registry on a real hydride (about 15 s on one CPU)."""
    from sselab.errors import PotentialUnavailableError
    from sselab.simulate.potentials import get_calculator

    try:
        calc = get_calculator("chgnet", threads=1)
    except PotentialUnavailableError as exc:
        pytest.skip(str(exc))
    out = structure_descriptors(libh4_pnma(), parse_formula("LiBH4"), calculator=calc)
    assert np.isfinite(out["b_m"]) and -10.0 < out["b_m"] < 0.0  # bound, of the order of a cohesive energy
