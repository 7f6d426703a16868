"""Slow physics checks of metadynamics (opt-in:
``.venv/bin/pytest -m slow tests/test_simulate_metad_slow.py``).

- MetaD against an independent method on a real crystal: the EMT Cu vacancy hop (vacancy protocol, the
  recipe's preparation, the README's settings) for a shorter run of 15 000 steps (30 ps; 6.4 min on
  2026-12-01, one shared core): the host does not drift (< 0.5 Å), the ion crosses, and the barrier is
  within 0.15 eV of CI-NEB on the same cell. The full acceptance (within 0.10 eV, ≥ 10 transitions,
  ``converged`` true) is the benchmark's, ``benchmarks/bench_metad_vs_neb_cu.py``, which runs the same
  settings to convergence.
- The stated uncertainty covers the exact 0.5 eV barrier of the double well at 1σ for at least 60 % of
  8 seeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import read

from sselab.simulate.analytic import DoubleWell1D, particle_in_box
from sselab.simulate.metad.colvars import ProjectedDisplacement
from sselab.simulate.metad.engine import run_metadynamics
from sselab.simulate.metad.hills import BiasGrid
from sselab.simulate.neb import run_neb
from sselab.simulate.recipes import metad_of_structure

pytestmark = pytest.mark.slow

#: As the README's copper example and the benchmark, capped at 15 000 steps.
CU = {
    "potential": "emt", "protocol": "vacancy", "temperature_k": 700.0, "steps": 15_000,
    "chunk_steps": 5000, "timestep_fs": 2.0, "bias_factor": 8.0, "seed": 1,
}  # fmt: skip


def test_short_metad_of_the_emt_copper_vacancy_hop_agrees_with_ci_neb(tmp_path: Path) -> None:
    result = metad_of_structure(bulk("Cu", cubic=True), "Cu", run_dir=tmp_path / "metad", **CU)
    assert result.max_host_drift_a is not None and result.max_host_drift_a < 0.5
    assert result.convergence["transitions"] >= 2, result.convergence_reason
    assert result.barriers is not None, result.barrier_error
    reference = read(tmp_path / "metad" / "inputs" / "reference.extxyz")
    final = reference.copy()
    final.positions[int(result.parameters["cation_index"])] = result.parameters["target_site_a"]
    band = run_neb(reference, final, EMT, n_images=7, fmax=0.02, steps=500)
    assert band.converged
    assert result.reported_ev is not None
    assert abs(result.reported_ev - band.barrier_ev) <= 0.15


def test_stated_uncertainty_covers_the_exact_barrier_at_one_sigma(tmp_path: Path) -> None:
    covered, stated = 0, 0
    for seed in range(1, 9):
        atoms = particle_in_box(n_particles=16)
        origin = tuple(atoms.positions[0])
        cvs = [[ProjectedDisplacement(i, origin, (1.0, 0.0, 0.0), "x")] for i in range(16)]
        result = run_metadynamics(
            atoms, DoubleWell1D(barrier_ev=0.5), cvs, widths=[0.1], steps=2500, seed=seed,
            run_dir=tmp_path / str(seed), grid=BiasGrid((-1.0,), (3.0,), (400,)), start=[0.0], end=[2.0],
            target_tolerance=0.3, temperature_k=400.0, timestep_fs=2.0, height_ev=0.02, pace=25,
            bias_factor=15.0, figures=False, fix_center_of_mass=False,
        )  # fmt: skip
        b = result.barriers
        if b is not None and b.uncertainty_ev is not None:
            stated += 1
            covered += abs(b.effective_ev - 0.5) <= b.uncertainty_ev
    assert stated == 8
    assert covered / stated >= 0.6
    assert np.isfinite(covered)
