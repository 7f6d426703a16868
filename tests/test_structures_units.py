"""Building blocks of the structure search: unit geometries, charges, aliases, the relaxed-unit cache."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.lj import LennardJones

from sselab.errors import SearchInputError
from sselab.structures.units import (
    B_H_BOND_A,
    ICOSAHEDRON_EDGE_A,
    canonical_unit_name,
    get_unit,
    known_units,
    relaxed_unit,
)


def _distances(name: str) -> np.ndarray:
    atoms = get_unit(name).to_atoms()
    d = atoms.get_all_distances()
    np.fill_diagonal(d, np.inf)
    return d


@pytest.mark.parametrize(
    ("name", "formula", "charge"),
    [
        ("BH4", "BH4", -1),
        ("B10H10", "B10H10", -2),
        ("B12H12", "B12H12", -2),
        ("CB9H10", "CB9H10", -1),
        ("CB11H12", "CB11H12", -1),
        ("NH3", "NH3", 0),
        ("H2O", "OH2", 0),
        ("NH3BH3", "NBH6", 0),
        ("(CH3)2CHNH2", "C3H9N", 0),
        ("CH3NH2", "CNH5", 0),
        ("Mg", "Mg", 2),
        ("Li", "Li", 1),
    ],
)
def test_units_have_their_composition_and_charge(name: str, formula: str, charge: int) -> None:
    unit = get_unit(name)
    assert unit.formula == formula
    assert unit.charge == charge
    positions = np.array(unit.positions_a)
    assert np.allclose(positions.mean(axis=0), 0.0, atol=1e-9)


def test_bh4_is_a_regular_tetrahedron() -> None:
    d = _distances("BH4")
    assert np.allclose(d[0, 1:], B_H_BOND_A)
    hh = d[1:, 1:][np.isfinite(d[1:, 1:])]
    assert np.allclose(hh, B_H_BOND_A * np.sqrt(8.0 / 3.0))  # tetrahedral H–H distance


def test_b12_cage_is_an_icosahedron_with_radial_hydrogens() -> None:
    atoms = get_unit("B12H12").to_atoms()
    boron = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "B"]
    d = atoms.get_all_distances()[np.ix_(boron, boron)]
    neighbours = (np.abs(d - ICOSAHEDRON_EDGE_A) < 1e-6).sum(axis=1)
    assert (neighbours == 5).all()  # every vertex of an icosahedron has five neighbours
    assert _distances("B12H12").min() == pytest.approx(B_H_BOND_A)


def test_no_unit_has_atoms_closer_than_a_bond() -> None:
    for name in known_units():
        assert _distances(name).min() > 0.9, name


def test_aliases_and_compositions_find_the_library_name() -> None:
    assert canonical_unit_name("C3H9N") == "(CH3)2CHNH2"
    assert canonical_unit_name("H3NBH3") == "NH3BH3"
    assert canonical_unit_name("H12B12") == "B12H12"


def test_unknown_unit_is_a_search_input_error() -> None:
    with pytest.raises(SearchInputError, match="unknown structure-search unit 'AlH4'"):
        get_unit("AlH4")


def test_relaxed_unit_is_cached_per_potential(tmp_path) -> None:
    calc = LennardJones(sigma=1.0, epsilon=0.05, rc=4.0, smooth=True)
    first = relaxed_unit("NH3", calc, "lj-test", cache_dir=tmp_path, max_steps=20)
    cached = list((tmp_path / "structure_units" / "lj-test").glob("*.json"))
    assert [p.name for p in cached] == ["NH3.json"]
    # type: ignore[arg-type]  # no calculator needed
    second = relaxed_unit("NH3", None, "lj-test", cache_dir=tmp_path)
    assert second.relaxed_with == "lj-test"
    assert np.allclose(first.positions_a, second.positions_a)
    assert first.positions_a != get_unit("NH3").positions_a
