"""Composite defect barrier on an EMT Cu crystal, checked against direct ASE computations."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.filters import FrechetCellFilter
from ase.mep import NEB
from ase.optimize import BFGS, FIRE

from sselab.errors import ConfigError, SimulationError
from sselab.simulate.defects import (
    CompositeSettings,
    DefectBarrierResult,
    composite_barrier,
    molecular_units,
    vacancy_hop_barrier,
)
from sselab.simulate.defects.composite import _issues
from sselab.simulate.defects.pairs import _classify
from sselab.simulate.defects.sites import formula_unit_counts
from sselab.simulate.reference import libh4_pnma

SETTINGS = CompositeSettings(
    supercell=(2, 2, 2),
    n_interstitial_starts=2,
    defect_fmax_ev_per_a=0.01,
    neb_images=3,
    neb_fmax_ev_per_a=0.02,
)


@pytest.fixture(scope="module")
def cu_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[DefectBarrierResult, Path]:
    folder = tmp_path_factory.mktemp("cu")
    return composite_barrier(
        bulk("Cu", cubic=True), "Cu", potential="emt", settings=SETTINGS, run_dir=folder
    ), folder


def _relaxed_cu_supercell() -> tuple[Atoms, float]:
    """Independent: EMT Cu lattice from a cell relaxation, repeated 2×2×2, and its energy (eV)."""
    unit = bulk("Cu", cubic=True)
    unit.calc = EMT()
    BFGS(FrechetCellFilter(unit), logfile=None).run(fmax=1e-4, steps=200)
    big = unit.repeat((2, 2, 2))
    big.calc = EMT()
    return big, float(big.get_potential_energy())


def _relax(atoms: Atoms) -> float:
    atoms.calc = EMT()
    BFGS(atoms, logfile=None).run(fmax=0.005, steps=500)
    return float(atoms.get_potential_energy())


def test_schottky_pair_of_cu_is_the_vacancy_formation_energy_by_hand(cu_run) -> None:
    result, _ = cu_run
    big, e_bulk = _relaxed_cu_supercell()
    n = len(big)
    del big[0]
    expected = _relax(big) - (n - 1) / n * e_bulk
    assert result.schottky is not None
    assert result.schottky.removed_units == ("Cu",)
    assert result.schottky.formation_energy_ev == pytest.approx(expected, abs=0.01)
    assert 1.0 < expected < 1.5  # EMT Cu vacancy, a few % of the literature's ~1.2-1.3 eV


def test_frenkel_pair_matches_a_hand_built_octahedral_interstitial(cu_run) -> None:
    result, _ = cu_run
    big, e_bulk = _relaxed_cu_supercell()
    a = big.cell[0, 0] / 2
    big.positions[0] = (1.5 * a, a, a)  # the octahedral hole farthest from the vacated site (1.5 a away)
    expected = _relax(big) - e_bulk
    frenkel = result.frenkel
    assert frenkel is not None and frenkel.chosen is not None
    octahedral = frenkel.starts[0]  # the roomiest Voronoi site comes first
    assert octahedral.multiplicity == 4
    assert octahedral.initial_distance_a == pytest.approx(1.5 * a, abs=1e-3)
    assert octahedral.formation_energy_ev == pytest.approx(expected, abs=0.02)
    assert frenkel.formation_energy_ev == min(s.formation_energy_ev for s in frenkel.starts)
    assert frenkel.pair_distance_a is not None and frenkel.pair_distance_a > 4.0
    assert not any(s.recombined for s in frenkel.starts)


def test_vacancy_hop_matches_a_direct_ase_ci_neb(cu_run) -> None:
    result, _ = cu_run
    big, _ = _relaxed_cu_supercell()
    symbols = np.array(big.get_chemical_symbols())
    distances = big.get_distances(0, list(range(1, len(big))), mic=True)
    hopper = 1 + int(np.argmin(distances))
    vector = big.get_distances(hopper, [0], mic=True, vector=True)[0]
    initial = big.copy()
    del initial[0]
    final = initial.copy()
    final.positions[hopper - 1] = big.positions[hopper] + vector
    assert symbols[hopper] == "Cu"
    for image in (initial, final):
        _relax(image)
    images = [initial] + [initial.copy() for _ in range(3)] + [final]
    for image in images:
        image.calc = EMT()
    band = NEB(images, climb=True, method="improvedtangent")
    band.interpolate(method="idpp", mic=True)
    FIRE(band, logfile=None).run(fmax=0.02, steps=500)
    energies = [image.get_potential_energy() for image in images]
    expected = max(energies) - energies[0]
    assert result.migration.barrier_ev == pytest.approx(expected, abs=0.02)
    assert result.migration.max_is_interior and result.migration.converged
    assert 0.6 < expected < 0.9  # EMT Cu vacancy hop (issue 12: 0.76 eV on its cell)


def test_composite_is_migration_plus_half_the_cheaper_pair(cu_run) -> None:
    result, _ = cu_run
    assert result.frenkel is not None and result.schottky is not None
    cheaper = min(result.frenkel.formation_energy_ev or np.inf, result.schottky.formation_energy_ev)
    assert result.activation_energy_ev == pytest.approx(result.migration_energy_ev + 0.5 * cheaper, abs=1e-12)
    assert result.limiting_pair == "schottky"  # a Cu vacancy is far cheaper than a Cu interstitial
    assert result.protocol == "composite" and result.converged and result.issues == ()
    assert result.supercell.repetitions == (2, 2, 2) and result.supercell.n_atoms == 32
    assert min(result.supercell.widths_a) == pytest.approx(2 * result.supercell.lattice_abc_a[0])
    assert result.potential.name == "emt" and result.device == "cpu"
    assert set(result.part_wall_time_s) == {"bulk", "migration", "frenkel", "schottky"}


def test_result_round_trips_through_json(cu_run) -> None:
    result, folder = cu_run
    again = DefectBarrierResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again == result
    summary = json.loads((folder / "composite_summary.json").read_text())
    assert DefectBarrierResult.from_dict(summary) == result


def test_neb_summary_names_the_potential_that_computed_the_band(cu_run) -> None:
    # the band's own summary.json once showed the settings' default ("chgnet") for a band of another potential
    _, folder = cu_run
    summary = json.loads((folder / "neb" / "summary.json").read_text())
    assert summary["potential"] == "emt"
    assert summary["settings"]["potential"] == "emt"


def test_rerun_and_migration_only_recipe_reuse_the_cached_parts(cu_run) -> None:
    result, folder = cu_run
    again = composite_barrier(
        bulk("Cu", cubic=True), "Cu", potential="emt", settings=SETTINGS, run_dir=folder
    )
    assert set(again.reused_parts) == {"bulk", "migration", "frenkel", "schottky"}
    assert again.activation_energy_ev == result.activation_energy_ev
    hop = vacancy_hop_barrier(
        bulk("Cu", cubic=True), "Cu", potential="emt", settings=SETTINGS, run_dir=folder
    )
    assert hop.protocol == "vacancy" and hop.frenkel is None and hop.schottky is None
    assert hop.activation_energy_ev == result.migration_energy_ev
    assert set(hop.reused_parts) == {"bulk", "migration"}
    fewer = composite_barrier(
        bulk("Cu", cubic=True),
        "Cu",
        potential="emt",
        settings=SETTINGS,
        run_dir=folder,
        n_interstitial_starts=1,
    )
    assert set(fewer.reused_parts) == {"bulk", "migration", "schottky"}
    assert len(fewer.frenkel.starts) == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"defect_fmax_ev_per_a": -0.1}, "defect_fmax_ev_per_a must be a number > 0"),
        ({"neb_steps": 0}, "neb_steps must be >= 1"),
        ({"n_interstitial_starts": 9}, "n_interstitial_starts must be 1..8"),
        ({"supercell": (2, 0, 1)}, "supercell must be three integers"),
        ({"optimizer": "LBFGS-B"}, "optimizer must be one of"),
        ({"neb_image": 3}, "unknown composite setting"),
    ],
)
def test_settings_refuse_bad_values_by_name(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CompositeSettings().replace(**change)


def test_bad_structure_input_is_a_clean_error() -> None:
    with pytest.raises(SimulationError, match="no 'Li' atom"):
        composite_barrier(bulk("Cu", cubic=True), "Li", potential="emt")
    with pytest.raises(SimulationError, match="cation_index 23 is not"):
        composite_barrier(libh4_pnma(), "Li", potential="emt", cation_index=23)


def test_recombined_pair_and_end_point_maximum_are_reported(cu_run) -> None:
    result, _ = cu_run
    big = bulk("Cu", cubic=True).repeat(2)
    assert _classify(big, big, "Cu", 1.0) == (None, True)
    flat = replace(result.migration, max_image=0, max_is_interior=False)
    issues = _issues(result.bulk, flat, result.frenkel, result.schottky)
    assert any("maximum at end point" in issue for issue in issues)


def test_schottky_units_of_libh4_are_whole_bh4_molecules() -> None:
    units = molecular_units(libh4_pnma(), "Li")
    assert formula_unit_counts(units) == ({"BH4": 1, "Li": 1}, 4)
    assert all(len(u.indices) == 5 for u in units if u.formula == "BH4")


def test_interstitial_sites_survive_atoms_just_outside_the_cell() -> None:
    """pymatgen's TopographyAnalyzer drops sites at fractional -1e-16; the sites are found anyway."""
    from sselab.simulate.defects import interstitial_sites

    atoms = bulk("Al", "fcc", a=4.0, cubic=True)
    atoms.positions[0] -= 1e-12
    assert [s.multiplicity for s in interstitial_sites(atoms, "Al")] == [4, 8]


def test_max_atoms_picks_the_widest_supercell_within_budget() -> None:
    from sselab.simulate.defects.composite import _supercell

    big, reps = _supercell(libh4_pnma(), CompositeSettings(max_atoms=100))
    assert reps == (1, 2, 2) and len(big) == 96  # widths 7.2, 8.9, 13.6 Å beat 2×2×1 (14.4, 8.9, 6.8)
