"""CP2K metadynamics: input generation, hills-log parsing, and (slow, with cp2k installed) a real xTB run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase import units
from ase.build import molecule

from sselab.errors import DataImportError, SimulationError
from sselab.simulate.cp2k import cp2k_metad_input, find_cp2k, read_cp2k_hills, run_cp2k_metadynamics
from sselab.simulate.metad.colvars import CoordinationNumber, Distance, ProjectedDisplacement
from sselab.simulate.metad.plumed import read_hills

# Three lines of a PROJECT-HILLS.metadynLog written by CP2K 2023.1 (Debian) for H2O with GFN1-xTB, two CVs
# (O-H distance, O coordination), SCALE 0.2 bohr / 0.1, WW 0.02 eV, WELL_TEMPERED with DELTA_T 2700 K at 300
# K.
CP2K_HILLS_LOG = """\
         1.5      1.81904      1.56658      0.20000      0.10000      0.00082
         3.0      1.81286      1.57153      0.20000      0.10000      0.00075
         4.5      1.80386      1.59158      0.20000      0.10000      0.00070
"""


def _water():
    atoms = molecule("H2O", vacuum=3.0)
    atoms.pbc = True
    return atoms


def _colvars():
    return [Distance(0, 1, "d_oh"), CoordinationNumber(0, (1, 2), r0_a=1.2, name="cn_oh")]


def test_input_contains_metadynamics_and_colvar_sections() -> None:
    text = cp2k_metad_input(
        _water(),
        _colvars(),
        height_ev=0.02,
        widths=[0.1, 0.05],
        pace=7,
        bias_factor=10.0,
        temperature_k=300.0,
        steps=40,
        timestep_fs=0.5,
        method="xtb",
        seed=3,
    )
    for fragment in (
        "&FREE_ENERGY",
        "METHOD METADYN",
        "&METADYN",
        "DO_HILLS T",
        "NT_HILLS 7",
        "WW [eV] 0.02000000",
        "WELL_TEMPERED T",
        "DELTA_T 2700.000000",
        "&METAVAR",
        "&COLVAR",
        "&DISTANCE",
        "ATOMS 1 2",
        "&COORDINATION",
        "ATOMS_FROM 1",
        "ATOMS_TO 2 3",
        "R0 [angstrom] 1.200000",
        "NN 6",
        "ND 12",
        "METHOD xTB",
        "STEPS 40",
        "TIMESTEP 0.5",
        "SEED 3",
        "PERIODIC XYZ",
        "COMMON_ITERATION_LEVELS 3",
    ):
        assert fragment in text, fragment
    # distance widths go to CP2K in bohr, coordination widths unchanged
    assert f"SCALE {0.1 / units.Bohr:.8f}" in text
    assert "SCALE 0.05000000" in text
    # every section that opens also closes
    opened = [
        line.split()[0][1:]
        for line in text.splitlines()
        if line.strip().startswith("&") and not line.strip().startswith("&END")
    ]
    closed = [line.split()[1] for line in text.splitlines() if line.strip().startswith("&END")]
    assert sorted(opened) == sorted(closed)


def test_dft_input_names_basis_and_pseudopotentials() -> None:
    text = cp2k_metad_input(_water(), _colvars(), 0.02, [0.1, 0.1], 5, 10.0, 300.0, 10, method="dft")
    assert "&XC_FUNCTIONAL PBE" in text and "CUTOFF 400" in text
    assert "POTENTIAL GTH-PBE-q6" in text and "POTENTIAL GTH-PBE-q1" in text
    assert "BASIS_SET DZVP-MOLOPT-SR-GTH" in text


def test_plain_metadynamics_is_not_well_tempered() -> None:
    text = cp2k_metad_input(_water(), _colvars(), 0.02, [0.1, 0.1], 5, float("inf"), 300.0, 10)
    assert "WELL_TEMPERED F" in text and "DELTA_T" not in text


def test_unsupported_colvar_and_settings_are_rejected() -> None:
    displacement = ProjectedDisplacement(0, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0), "x")
    with pytest.raises(SimulationError, match="no CP2K equivalent"):
        cp2k_metad_input(_water(), [displacement], 0.02, [0.1], 5, 10.0, 300.0, 10)
    with pytest.raises(SimulationError, match="D_0"):
        cp2k_metad_input(_water(), [CoordinationNumber(0, (1, 2), d0_a=0.5)], 0.02, [0.1], 5, 10.0, 300.0, 10)
    with pytest.raises(SimulationError, match="one width per CV"):
        cp2k_metad_input(_water(), _colvars(), 0.02, [0.1], 5, 10.0, 300.0, 10)
    with pytest.raises(SimulationError, match="unknown CP2K method"):
        cp2k_metad_input(_water(), _colvars(), 0.02, [0.1, 0.1], 5, 10.0, 300.0, 10, method="hf")


def test_hills_log_is_read_into_sselab_units(tmp_path: Path) -> None:
    path = tmp_path / "w-HILLS.metadynLog"
    path.write_text(CP2K_HILLS_LOG)
    hills = read_cp2k_hills(path, ["d_oh", "cn_oh"], ["length", "dimensionless"], bias_factor=10.0)
    np.testing.assert_allclose(hills.times_ps, [0.0015, 0.003, 0.0045])
    np.testing.assert_allclose(hills.centers[:, 0], np.array([1.81904, 1.81286, 1.80386]) * units.Bohr)
    np.testing.assert_allclose(hills.centers[:, 1], [1.56658, 1.57153, 1.59158])
    np.testing.assert_allclose(hills.sigmas[0], [0.2 * units.Bohr, 0.1])
    # the first hill is deposited where the bias is zero: its height is WW = 0.02 eV (log has 5 decimals
    # in Ha)
    assert hills.heights_ev[0] == pytest.approx(0.02, abs=2e-4)
    assert np.all(np.diff(hills.heights_ev) < 0)  # well-tempered: later hills on the bias are lower


def test_hills_log_with_wrong_columns_names_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "bad-HILLS.metadynLog"
    path.write_text(CP2K_HILLS_LOG + "   6.0  1.0  0.2  0.0007\n")
    with pytest.raises(DataImportError, match=r"bad-HILLS.metadynLog.*row 4"):
        read_cp2k_hills(path, ["d_oh", "cn_oh"], ["length", "dimensionless"], 10.0)
    with pytest.raises(DataImportError, match="not found"):
        read_cp2k_hills(tmp_path / "missing.metadynLog", ["d"], ["length"], 10.0)


@pytest.mark.slow
@pytest.mark.skipif(find_cp2k() is None, reason="cp2k not installed")
def test_cp2k_xtb_metadynamics_runs_and_hills_match_sselab_colvars(tmp_path: Path) -> None:
    from ase.io import read

    atoms = _water()
    colvars = _colvars()
    result = run_cp2k_metadynamics(
        atoms,
        colvars,
        tmp_path / "run",
        height_ev=0.02,
        widths=[0.1, 0.1],
        pace=3,
        bias_factor=10.0,
        temperature_k=300.0,
        steps=9,
        timestep_fs=0.5,
        method="xtb",
        seed=7,
    )
    assert len(result.hills.heights_ev) == 3
    assert result.hills.heights_ev[0] == pytest.approx(0.02, abs=2e-4)
    # CP2K's CV values at the hill steps agree with sselab's own CVs on CP2K's positions (steps 3, 6, 9)
    frames = read(result.run_dir / "outputs" / "sselab-pos-1.xyz", index=":")
    for k, step in enumerate((3, 6, 9)):
        frame = frames[step]
        frame.cell, frame.pbc = atoms.cell, atoms.pbc
        ours = [cv.compute(frame)[0] for cv in colvars]
        np.testing.assert_allclose(result.hills.centers[k], ours, atol=2e-4)
    # the PLUMED copy reads back into the same hills for the FES analysis
    again = read_hills(result.plumed_hills)
    np.testing.assert_allclose(again.heights_ev, result.hills.heights_ev, rtol=1e-6)
    assert (result.run_dir / "summary.json").is_file()


@pytest.mark.slow
@pytest.mark.skipif(find_cp2k() is None, reason="cp2k not installed")
def test_cp2k_logs_deposited_heights_times_the_well_tempered_factor(tmp_path: Path) -> None:
    """A real CP2K run (water, GFN1-xTB, 40 steps, 20 overlapping hills, γ = 5): the heights that the reader
    returns obey the well-tempered law ``h_k = w exp(-V(s_k)/(kB ΔT))`` hill by hill, with V summed from the
    earlier returned heights; reading the logged heights as deposited ones breaks the law by 0.025 eV."""
    result = run_cp2k_metadynamics(
        _water(), [Distance(0, 1, "d_oh")], tmp_path / "run", height_ev=0.1, widths=[0.3], pace=2,
        bias_factor=5.0, temperature_k=300.0, steps=40, timestep_fs=0.5, method="xtb", seed=7,
    )  # fmt: skip
    hills = result.hills
    kdt = units.kB * 300.0 * 4.0

    def law(heights: np.ndarray) -> np.ndarray:
        c, s = hills.centers[:, 0], hills.sigmas[:, 0]
        bias = [
            float(np.sum(heights[:k] * np.exp(-0.5 * ((c[k] - c[:k]) / s[:k]) ** 2))) for k in range(len(c))
        ]
        return 0.1 * np.exp(-np.asarray(bias) / kdt)

    assert len(hills.heights_ev) == 20
    assert np.abs(law(hills.heights_ev) - hills.heights_ev).max() < 5e-4  # log precision: 1e-5 hartree
    logged = hills.heights_ev * 5.0 / 4.0
    assert np.abs(law(logged) - logged).max() > 0.01
