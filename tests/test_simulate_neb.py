"""CI-NEB of a vacancy hop: sselab's run_neb against a direct ASE NEB computed here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.mep import NEB
from ase.optimize import BFGS, FIRE

from sselab.errors import SimulationError
from sselab.simulate.neb import NEBResult, cation_hop_endpoints, run_neb


def _al_cell():
    return bulk("Al", "fcc", a=4.05, cubic=True).repeat((2, 2, 2))


def _direct_ase_barrier(n_images: int, fmax: float) -> float:
    """A vacancy hop in fcc Al (EMT) with ASE alone: remove atom 0, move its nearest neighbour in."""
    perfect = _al_cell()
    distances = perfect.get_distances(0, range(1, len(perfect)), mic=True)
    neighbour = 1 + int(np.argmin(distances))
    vector = perfect.get_distances(neighbour, [0], mic=True, vector=True)[0]
    initial = perfect.copy()
    del initial[0]
    final = initial.copy()
    final.positions[neighbour - 1] = perfect.positions[neighbour] + vector
    for image in (initial, final):
        image.calc = EMT()
        BFGS(image, logfile=None).run(fmax=fmax, steps=500)
    images = [initial] + [initial.copy() for _ in range(n_images)] + [final]
    for image in images[1:-1]:
        image.calc = EMT()
    band = NEB(images, climb=True, method="improvedtangent")
    band.interpolate(method="idpp", mic=True)
    FIRE(band, logfile=None).run(fmax=fmax, steps=500)
    energies = [image.get_potential_energy() for image in images]
    return max(energies) - energies[0]


def test_vacancy_hop_endpoints_move_one_atom() -> None:
    hop = cation_hop_endpoints(_al_cell(), "Al")
    assert len(hop.initial) == len(hop.final) == 31
    moved = np.linalg.norm(hop.final.positions - hop.initial.positions, axis=1)
    assert np.count_nonzero(moved > 1e-9) == 1
    assert moved[hop.moving_index] == pytest.approx(4.05 / np.sqrt(2), abs=1e-6)
    assert hop.hop_distance_a == pytest.approx(4.05 / np.sqrt(2), abs=1e-6)


def test_neb_matches_direct_ase_neb_within_10_mev(tmp_path: Path) -> None:
    hop = cation_hop_endpoints(_al_cell(), "Al")
    result = run_neb(hop.initial, hop.final, EMT, n_images=3, fmax=0.02, steps=500, run_dir=tmp_path / "neb")
    reference = _direct_ase_barrier(n_images=3, fmax=0.02)
    assert result.converged
    assert abs(result.barrier_ev - reference) < 0.01
    # symmetric hop in a perfect crystal: forward and reverse barriers agree, and it is a real barrier
    assert result.reverse_barrier_ev == pytest.approx(result.barrier_ev, abs=0.02)
    assert 0.2 < result.barrier_ev < 1.5
    assert len(result.path) == 5 and result.n_force_calls > 5
    summary = json.loads((tmp_path / "neb" / "summary.json").read_text())
    assert summary["barrier_ev"] == pytest.approx(result.barrier_ev)
    back = NEBResult.from_dict(summary)  # the whole band comes back from summary.json
    assert back.as_dict() == NEBResult.from_dict(result.as_dict()).as_dict()
    assert np.allclose(back.path[2].positions, result.path[2].positions)
    assert back.settings.fmax == 0.02 and back.converged
    assert (tmp_path / "neb" / "figures" / "neb_profile.png").stat().st_size > 1000
    assert (tmp_path / "neb" / "outputs" / "neb_path.extxyz").exists()


def test_neb_rejects_mismatched_images() -> None:
    hop = cation_hop_endpoints(_al_cell(), "Al")
    with pytest.raises(SimulationError, match="same atoms"):
        run_neb(hop.initial, hop.final[:-1], EMT)


def test_hop_needs_two_cations() -> None:
    with pytest.raises(SimulationError, match="at least two 'Li'"):
        cation_hop_endpoints(_al_cell(), "Li")


def test_cli_neb_writes_run_folder_and_prints_barrier(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sselab.cli.main import app

    structure = tmp_path / "Al.extxyz"
    _al_cell().write(structure)
    out = tmp_path / "cli-neb"
    db = tmp_path / "store.sqlite"
    result = CliRunner().invoke(
        app,
        ["neb", str(structure), "--cation", "Al", "--potential", "emt", "--images", "3", "--fmax", "0.05",
         "--out", str(out), "--db", str(db)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "CI-NEB barrier: forward" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "neb" and summary["converged"] and summary["settings"]["n_images"] == 3
    assert f"{summary['barrier_ev']:.3f}" in result.output
    from sselab.store import open_store

    frame = open_store(str(db)).activation_energy_frame(method="CI-NEB")
    assert len(frame) == 1
    assert frame["activation_energy_ev"].iloc[0] == pytest.approx(summary["barrier_ev"])
    row = frame.iloc[0]
    assert (row["potential"], row["protocol"], row["device"]) == ("emt", "vacancy", "cpu")
    assert bool(row["converged"]) and row["structure_provenance"] == "user" and row["formula"] == "Al"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "-1"], "--steps: Input should be greater than or equal to 1"),
        (["--fmax", "0"], "--fmax: Input should be greater than 0"),
        (["--images", "0"], "--n-images: Input should be greater than or equal to 1"),
        (["--cation", "Li"], "cation: no Li atom"),
    ],
)
def test_cli_neb_refuses_impossible_options_before_any_work(
    tmp_path: Path, args: list[str], message: str
) -> None:
    from typer.testing import CliRunner

    from sselab.cli.main import app

    structure = tmp_path / "Al.extxyz"
    _al_cell().write(structure)
    base = ["neb", str(structure), "--cation", "Al", "--potential", "emt", "--out", str(tmp_path / "run")]
    result = CliRunner().invoke(app, [*base, *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run" / "summary.json").exists()


def test_a_band_whose_maximum_is_an_end_point_is_not_a_barrier() -> None:
    from sselab.simulate.analytic import HarmonicWell1D, particle_in_box

    initial = particle_in_box()
    initial.positions[0, 0] += 0.8  # up the harmonic well: the band runs downhill to its bottom
    final = particle_in_box()
    result = run_neb(
        initial, final, HarmonicWell1D, n_images=3, fmax=0.05, steps=200, relax_endpoints=False, climb=False
    )
    assert result.converged is False
    assert "not an interior image" in str(result.convergence_reason)
    assert result.activation_energy().converged is False
