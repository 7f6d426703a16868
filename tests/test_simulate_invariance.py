"""Translation invariance on a real crystal: a host-relative bias exerts no net force, the crystal does not
slide, and a lab-frame bias (the old CV, thermostat without a fixed centre of mass) does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from sselab.simulate.metad.bias import WellTemperedMetaD
from sselab.simulate.metad.colvars import ProjectedDisplacement
from sselab.simulate.metad.engine import run_metadynamics
from sselab.simulate.metad.relative import HostDisplacement, SiteDistance
from sselab.simulate.neb import cation_hop_endpoints

RUN = {"temperature_k": 700.0, "timestep_fs": 2.0, "height_ev": 0.1, "pace": 5, "bias_factor": 30.0,
       "figures": False, "checkpoint_every": 10_000}  # fmt: skip


def _vacancy_cell(repeat: int):
    hop = cation_hop_endpoints(bulk("Cu", cubic=True).repeat(repeat), "Cu")
    direction = hop.final.positions[hop.moving_index] - hop.initial.positions[hop.moving_index]
    return hop.initial.copy(), hop.moving_index, direction


@pytest.mark.parametrize("kind", ["displacement", "site-distance"])
def test_host_relative_bias_exerts_no_net_force_on_a_real_crystal(kind: str) -> None:
    atoms, mover, direction = _vacancy_cell(3)  # 107 Cu atoms, EMT
    reference = atoms.copy()
    cv = (
        HostDisplacement(mover, reference, direction)
        if kind == "displacement"
        else SiteDistance(mover, reference)
    )
    metad = WellTemperedMetaD(EMT(), [cv], 0.1, [0.15], 1, 10, 700)
    for centre in (0.05, 0.2, 0.35):
        metad.hills.add([centre], [0.15], 0.1)
    atoms.rattle(0.05, seed=4)
    atoms.positions[mover] += 0.25 * direction / np.linalg.norm(direction)
    atoms.calc = metad
    atoms.get_forces()
    bias = metad.results["bias_forces"]
    assert np.abs(bias[mover]).max() > 0.05  # the bias does push the ion ...
    assert np.abs(bias.sum(axis=0)).max() < 1e-12  # ... and pulls the host back: no net force
    lab = ProjectedDisplacement(mover, tuple(reference.positions[mover]), tuple(direction))
    lab_metad = WellTemperedMetaD(EMT(), [lab], 0.1, [0.15], 1, 10, 700)
    lab_metad.hills.add([0.2], [0.15], 0.1)
    atoms.calc = lab_metad
    atoms.get_forces()
    assert np.abs(lab_metad.results["bias_forces"].sum(axis=0)).max() > 0.05  # the old CV: a net force


def test_the_crystal_does_not_drift_under_a_host_relative_bias(tmp_path: Path) -> None:
    atoms, mover, direction = _vacancy_cell(2)  # 31 atoms
    host_cv = HostDisplacement(mover, atoms.copy(), direction)
    held = run_metadynamics(atoms.copy(), EMT(), [host_cv], widths=[0.15], steps=800, seed=1,
                            run_dir=tmp_path / "host", **RUN)  # fmt: skip
    lab_cv = ProjectedDisplacement(mover, tuple(atoms.positions[mover]), tuple(direction))
    dragged = run_metadynamics(atoms.copy(), EMT(), [lab_cv], widths=[0.15], steps=800, seed=1,
                               run_dir=tmp_path / "lab", fix_center_of_mass=False, **RUN)  # fmt: skip
    assert held.max_host_drift_a is not None and dragged.max_host_drift_a is not None
    # FixCom holds the centre of mass; the host's centroid moves only by the ion's share (1/30 of its path)
    assert held.max_host_drift_a < 0.15
    assert dragged.max_host_drift_a > 3 * held.max_host_drift_a
