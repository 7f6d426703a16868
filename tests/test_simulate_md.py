"""NVT MD: thermostats, checkpoints and exact resumption."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from sselab.errors import SimulationError
from sselab.simulate.analytic import DoubleWell2D, particle_in_box
from sselab.simulate.md import run_md


@pytest.mark.parametrize("thermostat", ["langevin", "nose-hoover"])
def test_md_resumes_exactly_from_checkpoint(tmp_path: Path, thermostat: str) -> None:
    def run(folder: Path, steps: int) -> np.ndarray:
        atoms = particle_in_box(n_particles=4)  # a stateless model: bit-for-bit reproducible forces
        run_md(atoms, DoubleWell2D(), 500.0, 2.0, steps, thermostat=thermostat, seed=3, run_dir=folder)
        return atoms.positions.copy()

    one_go = run(tmp_path / "a", 40)
    run(tmp_path / "b", 20)
    resumed = run(tmp_path / "b", 40)
    np.testing.assert_array_equal(one_go, resumed)


def test_md_writes_trajectory_and_heats_up(tmp_path: Path) -> None:
    from ase.io import read

    atoms = bulk("Cu", cubic=True).repeat(2)
    result = run_md(atoms, EMT(), 600.0, 2.0, 60, seed=1, trajectory=tmp_path / "md.traj", loginterval=10)
    assert result.steps_done == 60
    assert len(read(tmp_path / "md.traj", ":")) == 7
    assert 100 < result.final_temperature_k < 2000


def test_unknown_thermostat() -> None:
    with pytest.raises(SimulationError, match="thermostat"):
        run_md(bulk("Cu"), EMT(), 300.0, 1.0, 1, thermostat="berendsen")
