"""Structure preparation: reading, supercells, the migrating ion, vacancies, relaxation, MetaD setups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import write

from sselab.errors import DataImportError, SettingsError, SimulationError
from sselab.simulate.inputs import prepare_cell
from sselab.simulate.metad.preparation import equilibration_warnings
from sselab.simulate.metad.setup import build_metad_setup
from sselab.simulate.prepare import make_supercell, make_vacancy, pick_cation, read_structure, relax
from sselab.simulate.recipes import metad_of_structure
from sselab.simulate.settings import MetaDSettings


def test_read_structure_cif_and_poscar(tmp_path: Path) -> None:
    atoms = bulk("Cu", cubic=True)
    for name, fmt in (("Cu.cif", "cif"), ("POSCAR", "vasp"), ("Cu.extxyz", "extxyz")):
        write(tmp_path / name, atoms, format=fmt)
        assert len(read_structure(tmp_path / name)) == 4


def test_read_structure_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataImportError, match=r"missing\.cif"):
        read_structure(tmp_path / "missing.cif")
    bad = tmp_path / "bad.cif"
    bad.write_text("this is not a cif\n")
    with pytest.raises(DataImportError, match=r"bad\.cif"):
        read_structure(bad)


def test_supercell_reaches_minimum_width() -> None:
    atoms = make_supercell(bulk("Cu"), min_length_a=8.0)  # primitive fcc: face widths 2.08 Å
    cell = atoms.cell
    widths = [cell.volume / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)]
    assert min(widths) >= 8.0


def test_vacancy_removes_nearest_same_element_neighbour() -> None:
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(2)
    mover = pick_cation(atoms, "Na")
    result = make_vacancy(atoms, "Na", near_index=mover)
    assert len(result.atoms) == len(atoms) - 1
    assert atoms.get_distance(mover, result.removed_index, mic=True) == pytest.approx(5.64 / np.sqrt(2))
    assert result.atoms.get_chemical_symbols()[result.migrating_index] == "Na"
    assert result.index_map[result.migrating_index] == mover
    with pytest.raises(SimulationError, match="no Mg"):
        pick_cation(atoms, "Mg")
    with pytest.raises(SimulationError, match="not a Na"):
        pick_cation(atoms, "Na", index=1)


def test_relax_lowers_the_energy() -> None:
    from threadpoolctl import threadpool_limits

    atoms = bulk("Cu", cubic=True, a=3.7)
    atoms.rattle(0.05, seed=0)
    atoms.calc = EMT()
    before = atoms.get_potential_energy()
    with threadpool_limits(1):  # tiny 3x3 LAPACK calls of the cell filter: threads only add overhead
        relaxed = relax(atoms, EMT(), fmax=0.05, steps=60, optimizer="BFGS")
    relaxed.calc = EMT()
    assert relaxed.get_potential_energy() < before
    assert relaxed.cell.volume != pytest.approx(atoms.cell.volume)  # the cell relaxed too


def test_metad_setup_points_the_cv_at_the_vacancy(tmp_path: Path) -> None:
    write(tmp_path / "Cu.cif", bulk("Cu", cubic=True))
    settings = MetaDSettings(
        potential="emt", protocol="vacancy", cv="displacement2d", supercell_min_length_a=7.0, width_a=0.2
    )
    cell = prepare_cell(tmp_path / "Cu.cif", settings, "Cu")
    setup = build_metad_setup(cell.atoms, "Cu", settings)
    assert len(setup.atoms) == 31 and len(setup.colvars) == 2 and setup.widths == [0.2, 0.2]
    assert [w.kind for w in setup.walls] == ["upper", "lower"] and setup.grid is not None
    assert setup.parameters()["hop_distance_a"] == pytest.approx(3.61 / np.sqrt(2), abs=0.01)
    assert setup.colvars[0].compute(setup.atoms)[0] == pytest.approx(0.0)
    target = np.asarray(setup.parameters()["target_site_a"])
    assert np.min(np.linalg.norm(setup.atoms.positions - target, axis=1)) > 1.0  # the site is empty


def test_frenkel_protocol_keeps_every_atom_and_aims_at_the_nearest_interstitial_void(tmp_path: Path) -> None:
    settings = MetaDSettings(potential="emt", protocol="frenkel", supercell_min_length_a=7.0, width_a=0.1)
    cell = prepare_cell(bulk("Cu", cubic=True), settings, "Cu")
    setup = build_metad_setup(cell.atoms, "Cu", settings)
    assert len(setup.atoms) == 32 and "frenkel protocol" in setup.description
    assert [cv.name for cv in setup.colvars] == ["r1"] and setup.cv_kind == "site-distance"
    target = np.asarray(setup.parameters()["target_site_a"])
    # fcc: the nearest large void is the tetrahedral hole, a·√3/4 from the ion and its three neighbours
    assert setup.migration.hop_distance_a == pytest.approx(3.61 * np.sqrt(3) / 4, abs=0.01)
    distances = np.sort(np.linalg.norm(setup.atoms.positions - target, axis=1))
    assert distances[:4] == pytest.approx([3.61 * np.sqrt(3) / 4] * 4, abs=0.01)
    assert [w.kind for w in setup.walls] == ["upper"]  # a radial CV needs no lower wall


def test_interstitial_protocol_adds_one_ion_and_aims_at_an_equivalent_void() -> None:
    settings = MetaDSettings(
        potential="emt", protocol="interstitial", supercell_min_length_a=7.0, width_a=0.1
    )
    setup = build_metad_setup(bulk("Cu", cubic=True).repeat(2), "Cu", settings)
    assert len(setup.atoms) == 33 and setup.migration.mover == 32 and setup.migration.defect == "interstitial"
    # octahedral hole to octahedral hole in fcc: a/sqrt(2)
    assert setup.migration.hop_distance_a == pytest.approx(3.61 / np.sqrt(2), abs=0.05)


def test_prepare_cell_bounds_the_supercell_before_building_it() -> None:
    settings = MetaDSettings(potential="emt", supercell_min_length_a=60.0, max_atoms=5000)
    with pytest.raises(SettingsError, match="supercell_min_length_a: 60 Å makes a cell of 19652 atoms"):
        prepare_cell(bulk("Cu", cubic=True), settings, "Cu")


def test_equilibration_warnings_flag_an_unsettled_cell_and_an_ion_off_its_site() -> None:
    # the numbers of the first LiBH4 frenkel preparation (100 NPT steps): a +7.7 % a-axis, the Li 0.82 Å off
    relaxed, npt = [14.28, 13.26, 13.55], [15.38, 13.31, 13.30]
    found = equilibration_warnings(relaxed, npt, np.full(50, 0.82), 0.0, 0.094)
    assert len(found) == 2 and "+7.7 % along axis a" in found[0] and "0.82 Å from its site" in found[1]
    # 4 % of thermal expansion and an ion vibrating about its site are no warning
    assert equilibration_warnings(relaxed, [14.85, 13.26, 13.55], np.full(50, 0.2), 0.0, 0.094) == []
    # the offset is measured against 3 spreads when they are wider than 0.3 Å
    assert equilibration_warnings(None, None, np.full(50, 0.5), 0.0, 0.2) == []
    assert len(equilibration_warnings(None, None, np.full(50, 0.7), 0.0, 0.2)) == 1


def test_a_real_preparation_of_copper_raises_no_equilibration_warning(tmp_path: Path) -> None:
    settings = MetaDSettings(
        potential="emt", protocol="vacancy", temperature_k=700.0, steps=200, timestep_fs=2.0,
        supercell_min_length_a=7.0, npt_steps=200, equilibration_steps=200, bias_factor=8.0, seed=1,
    )  # fmt: skip
    result = metad_of_structure(bulk("Cu", cubic=True), "Cu", settings=settings, run_dir=tmp_path / "cu")
    preparation = result.parameters["preparation"]
    assert preparation["npt_mean_cell_a"] is not None and preparation["cv_spread"]
    assert preparation["warnings"] == []
