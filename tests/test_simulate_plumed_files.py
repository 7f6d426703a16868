"""HILLS and COLVAR as other tools read them: PLUMED's own Python reader (``plumed.read_as_pandas``), the
``#! SET`` header lines (kerneltype, periodic bounds) and the equivalent ``plumed.dat``
(``UNITS LENGTH=A``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sselab.simulate.analytic import DoubleWell1D, particle_in_box
from sselab.simulate.metad.colvars import ProjectedDisplacement
from sselab.simulate.metad.engine import run_metadynamics
from sselab.simulate.metad.fes import free_energy_surface
from sselab.simulate.metad.hills import HillSet
from sselab.simulate.metad.plumed import EV_TO_KJ_PER_MOL, read_colvar, read_hills, write_hills
from sselab.simulate.metad.walls import Wall

plumed = pytest.importorskip("plumed")
# the reader works without PLUMED's kernel (not installable here); it only says that unit conversion is off
pytestmark = pytest.mark.filterwarnings("ignore:cannot load PLUMED instance")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plumed")
    atoms = particle_in_box()
    cv = ProjectedDisplacement(0, tuple(atoms.positions[0]), (1.0, 0.0, 0.0), "x")
    run_metadynamics(
        atoms, DoubleWell1D(), [cv], widths=[0.1], steps=400, temperature_k=400.0, timestep_fs=2.0,
        height_ev=0.02, pace=10, bias_factor=15.0, seed=1, run_dir=folder, figures=False,
        fix_center_of_mass=False, walls=[Wall(0, 2.5, 5.0, "upper")],
    )  # fmt: skip
    return folder / "outputs"


def test_plumed_reads_our_hills(run_folder: Path) -> None:
    frame = plumed.read_as_pandas(str(run_folder / "HILLS"))
    assert list(frame.columns) == ["time", "x", "sigma_x", "height", "biasf"]
    ours = read_hills(run_folder / "HILLS")
    np.testing.assert_allclose(frame["x"], ours.centers[:, 0])
    gamma = float(frame["biasf"].iloc[0])
    # PLUMED's convention: kJ/mol, deposited height times γ/(γ-1)
    np.testing.assert_allclose(frame["height"] / EV_TO_KJ_PER_MOL * (gamma - 1) / gamma, ours.heights_ev)
    assert frame.plumed_constants[0][0] == "multivariate"
    assert ("kerneltype", "gaussian") in [tuple(c[:2]) for c in frame.plumed_constants]


def test_plumed_reads_our_colvar_with_the_wall_bias(run_folder: Path) -> None:
    frame = plumed.read_as_pandas(str(run_folder / "COLVAR"))
    assert list(frame.columns) == ["time", "x", "metad.bias", "walls.bias"]
    ours = read_colvar(run_folder / "COLVAR")
    assert ours.cv_names == ("x",)
    np.testing.assert_allclose(frame["metad.bias"] / EV_TO_KJ_PER_MOL, ours.bias_ev)
    assert ours.static_bias_ev is not None
    np.testing.assert_allclose(frame["walls.bias"] / EV_TO_KJ_PER_MOL, ours.static_bias_ev)


def test_plumed_input_states_the_units(run_folder: Path) -> None:
    text = (run_folder / "plumed.dat").read_text()
    assert "UNITS LENGTH=A ENERGY=kj/mol TIME=ps" in text
    assert "METAD ARG=x SIGMA=0.1 HEIGHT=1.9297" in text and "BIASFACTOR=15" in text
    assert "UPPER_WALLS ARG=x AT=2.5" in text


def test_periodic_cv_bounds_are_written_and_read_back(tmp_path: Path) -> None:
    hills = HillSet(1)
    hills.add([3.0], [0.2], 0.01, time_ps=0.1)
    path = tmp_path / "HILLS"
    write_hills(path, hills, ["phi"], 10.0, periodic={"phi": (-np.pi, np.pi)})
    back = read_hills(path)
    assert back.periodic["phi"] == pytest.approx((-np.pi, np.pi))
    frame = plumed.read_as_pandas(str(path))
    constants = {c[0]: c[1] for c in frame.plumed_constants}
    assert float(constants["min_phi"]) == pytest.approx(-np.pi)
    # the hills FES of a periodic CV wraps: a hill at 3.0 raises the bias at -3.0 (0.28 rad away)
    fes = free_energy_surface(back, 10.0, bins=200)
    f = fes.free_energy_ev
    assert fes.axes[0][0] == pytest.approx(-np.pi) and f[np.argmin(abs(fes.axes[0] + 3.0))] < f[100] - 1e-3
    # PLUMED's own spelling of the bounds ("-pi", "pi") reads too
    path.write_text(path.read_text().replace(f"{-np.pi:.12g}", "-pi").replace(f"{np.pi:.12g}", "pi"))
    assert read_hills(path).periodic["phi"] == pytest.approx((-np.pi, np.pi))
