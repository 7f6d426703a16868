"""MSD → D → Nernst–Einstein → Arrhenius, on a synthetic random walk and a short EMT MD run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from sselab.errors import FitError, SimulationError
from sselab.simulate.diffusion import (
    A2_PER_FS_TO_CM2_PER_S,
    fit_msd,
    md_arrhenius,
    mean_square_displacement,
    unwrap_positions,
)


def _random_walk(
    diffusion_a2_per_fs: float, n_steps: int, n_atoms: int, dt_fs: float, seed: int
) -> np.ndarray:
    """Gaussian random walk: each Cartesian step has variance 2 D dt (Å²)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, np.sqrt(2 * diffusion_a2_per_fs * dt_fs), size=(n_steps, n_atoms, 3))
    return np.concatenate([np.zeros((1, n_atoms, 3)), np.cumsum(steps, axis=0)])


def test_msd_of_random_walk_recovers_known_diffusion_coefficient() -> None:
    d_true = 0.01  # Å²/fs = 1e-3 cm²/s
    dt_fs = 2.0
    positions = _random_walk(d_true, n_steps=1000, n_atoms=64, dt_fs=dt_fs, seed=3)
    msd = mean_square_displacement(positions)
    lag_fs = np.arange(len(msd)) * dt_fs
    fit = fit_msd(lag_fs, msd)
    assert fit.diffusion_cm2_per_s == pytest.approx(d_true * A2_PER_FS_TO_CM2_PER_S, rel=0.1)
    assert fit.fit_start_fs == pytest.approx(0.2 * lag_fs[-1], abs=dt_fs)


def test_unwrap_restores_walk_wrapped_into_cell() -> None:
    cell = np.diag([5.0, 6.0, 7.0])
    walk = _random_walk(0.05, n_steps=500, n_atoms=4, dt_fs=1.0, seed=1) + 2.0
    wrapped = walk - np.floor(walk / np.diag(cell)) * np.diag(cell)
    assert not np.allclose(wrapped, walk)
    np.testing.assert_allclose(unwrap_positions(wrapped, cell), walk, atol=1e-9)


def test_fit_needs_enough_points() -> None:
    with pytest.raises(FitError, match="MSD points"):
        fit_msd(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))


def test_msd_rejects_bad_shape() -> None:
    with pytest.raises(SimulationError, match="shape"):
        mean_square_displacement(np.zeros((10, 3)))


def _run(run_dir: Path):
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 2, 2))
    del atoms[0]
    # far above EMT copper's melting point: a liquid within a few hundred fs, so D > 0 at every temperature
    return atoms, md_arrhenius(
        atoms,
        EMT,
        "Cu",
        (2500.0, 3000.0, 3500.0),
        steps=300,
        timestep_fs=2.0,
        seed=4,
        run_dir=run_dir,
        equilibration_steps=100,
        sample_every=2,
    )


def test_md_arrhenius_runs_end_to_end_with_emt(tmp_path: Path) -> None:
    atoms, result = _run(tmp_path / "md")
    assert result.temperatures_k == (2500.0, 3000.0, 3500.0)
    assert result.carrier_density_per_cm3 == pytest.approx(31 / (atoms.get_volume() * 1e-24))
    d = np.array(result.diffusion_cm2_per_s)
    # liquid metal self-diffusion is of order 1e-5 to 1e-3 cm²/s
    assert np.all((d > 1e-6) & (d < 1e-2))
    assert result.fit is not None and result.fit.n_points == 3
    assert 0.0 < result.fit.activation_energy_ev < 2.0
    summary = json.loads((tmp_path / "md" / "summary.json").read_text())
    assert summary["results"]["temperatures_k"] == [2500.0, 3000.0, 3500.0]
    assert summary["parameters"]["seed"] == 4
    for name in ("msd.png", "arrhenius.png"):
        assert (tmp_path / "md" / "figures" / name).stat().st_size > 1000
    assert (tmp_path / "md" / "outputs" / "T_2500K" / "msd_2500K.csv").exists()
    # a second call reads the stored trajectories back instead of rerunning
    _, again = _run(tmp_path / "md")
    assert again.diffusion_cm2_per_s == result.diffusion_cm2_per_s


def test_cli_md_arrhenius_reports_table_and_fit(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sselab.cli.main import app

    structure = tmp_path / "Cu.extxyz"
    bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 2, 2)).write(structure)
    out = tmp_path / "cli-md"
    result = CliRunner().invoke(
        app,
        ["md-arrhenius", str(structure), "--cation", "Cu", "--potential", "emt", "--temperatures-k",
         "2500,3000,3500", "--steps", "150", "--timestep-fs", "2", "--equilibration-steps", "80",
         "--sample-every", "2", "--vacancy", "--seed", "4", "--out", str(out),
         "--db", str(tmp_path / "s.sqlite")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MD-Arrhenius Ea =" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "md-arrhenius"
    assert summary["results"]["fit"]["n_points"] == 3
    from sselab.store import open_store

    frame = open_store(str(tmp_path / "s.sqlite")).activation_energy_frame(method="MLMD")
    assert len(frame) == 1 and frame["formula"].iloc[0] == "Cu"
    assert frame["activation_energy_ev"].iloc[0] == pytest.approx(
        summary["results"]["fit"]["activation_energy_ev"]
    )


def test_cli_md_arrhenius_rejects_bad_temperatures(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sselab.cli.main import app

    structure = tmp_path / "Cu.extxyz"
    bulk("Cu", "fcc", a=3.61, cubic=True).write(structure)
    result = CliRunner().invoke(app, ["md-arrhenius", str(structure), "--temperatures-k", "600,hot"])
    assert result.exit_code != 0
    assert "temperatures-k" in result.output
