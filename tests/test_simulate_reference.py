"""LT-LiBH4 reference structure (Soulié et al., J. Alloys Compd. 346 (2002) 200)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from sselab.simulate.reference import libh4_pnma, write_libh4_pnma_cif


def _pair_minima(atoms, first: str, second: str) -> np.ndarray:
    """Shortest distance from every atom of ``second`` to any atom of ``first`` (minimum image, Å)."""
    symbols = np.array(atoms.get_chemical_symbols())
    i = np.where(symbols == first)[0]
    j = np.where(symbols == second)[0]
    distances = atoms.get_all_distances(mic=True)[np.ix_(i, j)]
    return distances.min(axis=0)


def test_libh4_cell_has_published_composition_and_symmetry() -> None:
    atoms = libh4_pnma()
    assert len(atoms) == 24
    assert atoms.get_chemical_formula(mode="metal") == "Li4B4H16"
    structure = AseAtomsAdaptor.get_structure(atoms)
    analyzer = SpacegroupAnalyzer(structure, symprec=0.01)
    assert analyzer.get_space_group_symbol() == "Pnma"
    assert analyzer.get_space_group_number() == 62
    np.testing.assert_allclose(atoms.cell.lengths(), [7.179, 4.437, 6.803], atol=2e-3)


def test_libh4_bond_lengths_are_those_of_the_refinement() -> None:
    atoms = libh4_pnma()
    b_h = _pair_minima(atoms, "B", "H")
    # Soulié et al. report distorted tetrahedra, B-H 1.04-1.28 Å (X-ray H positions).
    assert b_h.min() > 1.0 and b_h.max() < 1.3
    li_b = _pair_minima(atoms, "B", "Li")
    assert 2.4 < li_b.min() < 2.6


def test_libh4_cif_round_trips(tmp_path: Path) -> None:
    from ase.io import read

    path = write_libh4_pnma_cif(tmp_path / "sub" / "LiBH4_Pnma.cif")
    text = path.read_text()
    assert "Pnma" in text
    atoms = read(path)
    assert len(atoms) == 24


def test_package_exports_the_method_helpers() -> None:
    import sselab.simulate as simulate
    from sselab.simulate import cp2k, diffusion, neb, recording, reference

    assert simulate.cation_hop_endpoints is neb.cation_hop_endpoints
    assert simulate.md_arrhenius is diffusion.md_arrhenius
    assert simulate.record_activation_energy is recording.record_activation_energy
    assert simulate.cp2k_metad_input is cp2k.cp2k_metad_input
    assert simulate.run_cp2k_metadynamics is cp2k.run_cp2k_metadynamics
    assert simulate.read_cp2k_hills is cp2k.read_cp2k_hills
    assert simulate.libh4_pnma is reference.libh4_pnma
    assert {"libh4_pnma", "read_cp2k_hills", "cation_hop_endpoints"} <= set(dir(simulate))
