"""MD-Arrhenius (MD → MSD → D → Nernst–Einstein → Arrhenius) on a short EMT MD run, and its CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from sselab.simulate.diffusion import MDArrheniusResult, md_arrhenius


def _run(run_dir: Path, **changes):
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 2, 2))
    del atoms[0]
    # far above EMT copper's melting point: a liquid within a few hundred fs, so D > 0 at every temperature
    fields = {"temperatures_k": (2500.0, 3000.0, 3500.0), "steps": 300, "timestep_fs": 2.0, "seed": 4,
              "equilibration_steps": 100, "sample_every": 2, "diffusion_samples": 100, **changes}  # fmt: skip
    return atoms, md_arrhenius(atoms, EMT, "Cu", run_dir=run_dir, potential="emt", **fields)


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
    assert summary["temperatures_k"] == [2500.0, 3000.0, 3500.0]
    assert summary["settings"]["seed"] == 4
    back = MDArrheniusResult.from_dict(summary)
    assert back.as_dict() == MDArrheniusResult.from_dict(result.as_dict()).as_dict()
    assert back.fit is not None and back.fit.activation_energy_ev == pytest.approx(
        result.fit.activation_energy_ev
    )
    assert np.allclose(back.msd[0].msd_a2, result.msd[0].msd_a2) and back.converged is None
    for name in ("msd.png", "arrhenius.png"):
        assert (tmp_path / "md" / "figures" / name).stat().st_size > 1000
    assert (tmp_path / "md" / "outputs" / "T_2500K" / "msd_2500K.csv").exists()
    # D and its uncertainty from kinisi's posterior; the Ea uncertainty propagated from it
    assert all(
        0 < sd < d
        for d, sd in zip(result.diffusion_cm2_per_s, result.diffusion_stderr_cm2_per_s, strict=True)
    )
    assert len(result.posteriors) == 3 and result.fit.ci95_ev[0] < result.fit.activation_energy_ev
    # a second call with the same parameters reads the stored trajectories back instead of rerunning
    _, again = _run(tmp_path / "md")
    assert again.diffusion_cm2_per_s == result.diffusion_cm2_per_s


def test_md_arrhenius_rerun_with_other_parameters_in_the_same_folder_recomputes(tmp_path: Path) -> None:
    _, first = _run(tmp_path / "md", temperatures_k=(2500.0, 3000.0, 3500.0))
    cached = sorted((tmp_path / "md" / "outputs" / "T_3000K").glob("traj_*.npz"))
    _, other = _run(tmp_path / "md", seed=9, steps=260)
    assert other.settings.seed == 9 and other.settings.steps == 260
    assert len(sorted((tmp_path / "md" / "outputs" / "T_3000K").glob("traj_*.npz"))) == len(cached) + 1
    assert other.msd[1].lag_fs[-1] != first.msd[1].lag_fs[-1]  # new trajectories: other length and seed
    assert other.diffusion_cm2_per_s != first.diffusion_cm2_per_s


def test_md_arrhenius_refuses_changed_masses(tmp_path: Path) -> None:
    from sselab.errors import SettingsError

    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 2, 2))
    atoms.set_masses([80.0] * len(atoms))
    with pytest.raises(SettingsError, match="real masses"):
        md_arrhenius(atoms, EMT, "Cu", temperatures_k=(2500.0, 3000.0, 3500.0), steps=20, run_dir=tmp_path)


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
         "--sample-every", "2", "--vacancy", "--seed", "4", "--diffusion-samples", "100", "--out", str(out),
         "--db", str(tmp_path / "s.sqlite")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MD-Arrhenius Ea =" in result.output
    # no convergence criterion for MD-Arrhenius: refused by default, kept (labelled) on request
    assert "not stored: refused: convergence unknown" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "md-arrhenius"
    assert summary["fit"]["n_points"] == 3
    from sselab.store import open_store

    assert open_store(str(tmp_path / "s.sqlite")).activation_energy_frame(method="MLMD").empty
    again = CliRunner().invoke(
        app,
        ["md-arrhenius", str(structure), "--cation", "Cu", "--potential", "emt", "--temperatures-k",
         "2500,3000,3500", "--steps", "150", "--timestep-fs", "2", "--equilibration-steps", "80",
         "--sample-every", "2", "--vacancy", "--seed", "4", "--diffusion-samples", "100", "--out", str(out),
         "--db", str(tmp_path / "s.sqlite"), "--store-unconverged"],
    )  # fmt: skip
    assert again.exit_code == 0 and "stored activation energy" in again.output
    frame = open_store(str(tmp_path / "s.sqlite")).activation_energy_frame(method="MLMD")
    assert len(frame) == 1 and frame["formula"].iloc[0] == "Cu"
    assert frame["activation_energy_ev"].iloc[0] == pytest.approx(summary["fit"]["activation_energy_ev"])
    assert frame["converged"].iloc[0] is None and frame["protocol"].iloc[0] == "vacancy"


def test_cli_md_arrhenius_rejects_bad_temperatures(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sselab.cli.main import app

    structure = tmp_path / "Cu.extxyz"
    bulk("Cu", "fcc", a=3.61, cubic=True).write(structure)
    result = CliRunner().invoke(app, ["md-arrhenius", str(structure), "--temperatures-k", "600,hot"])
    assert result.exit_code == 2 and "--temperatures-k: expected numbers" in result.output
    result = CliRunner().invoke(app, ["md-arrhenius", str(structure), "--temperatures-k", "600,inf"])
    assert result.exit_code == 2 and "--temperatures-k" in result.output and "Traceback" not in result.output
