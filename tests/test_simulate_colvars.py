"""Collective variables: values, minimum image, PLUMED's rational switching function."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from sselab.errors import SimulationError
from sselab.simulate.metad.colvars import (
    CoordinationNumber,
    Distance,
    ProjectedDisplacement,
    displacement_2d,
    rational_switching,
)


def test_rational_switching_matches_plumed_definition() -> None:
    r = np.array([0.5, 1.0, 2.0, 2.5, 3.0, 4.0])
    s, _ = rational_switching(r, r0_a=2.5, nn=6, mm=12)
    x = r / 2.5
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (1 - x**6) / (1 - x**12)
    expected[3] = 0.5  # limit nn/mm at r = r0
    np.testing.assert_allclose(s, expected, rtol=1e-9)
    s0, _ = rational_switching(np.array([0.9]), r0_a=1.0, d0_a=1.0)
    assert s0[0] == 1.0  # r below d0


def test_switching_derivative_is_continuous_through_r0() -> None:
    r = np.array([2.5 - 1e-5, 2.5, 2.5 + 1e-5])
    _, ds = rational_switching(r, r0_a=2.5)
    assert ds == pytest.approx(ds[1], rel=1e-3)


def test_displacement_uses_minimum_image() -> None:
    atoms = Atoms("Li", positions=[[9.8, 0, 0]], cell=[10, 10, 10], pbc=True)
    cv = ProjectedDisplacement(0, (0.2, 0.0, 0.0), (1.0, 0.0, 0.0))
    assert cv.compute(atoms)[0] == pytest.approx(-0.4)


def test_displacement_is_continuous_beyond_half_a_cell() -> None:
    # the atom walks 0.2 Å per step over 9 Å of a 10 Å cell, wrapped back into the cell as MD codes do
    atoms = Atoms("Li", positions=[[0.2, 0, 0]], cell=[10, 10, 10], pbc=True)
    cv = ProjectedDisplacement(0, (0.2, 0.0, 0.0), (1.0, 0.0, 0.0))
    values = []
    for _ in range(46):
        values.append(cv.compute(atoms)[0])
        atoms.positions[0, 0] += 0.2
        atoms.wrap()
    assert np.all(np.diff(values) > 0.19)  # monotonic, no jump by -10 Å at 5 Å
    assert values[-1] == pytest.approx(9.0)
    # exact restart: a fresh instance given the saved unwrapped position continues the same track
    saved = cv.unwrapped_position()
    assert saved is not None
    resumed = ProjectedDisplacement(0, (0.2, 0.0, 0.0), (1.0, 0.0, 0.0))
    resumed.restore_unwrapped(saved)
    assert resumed.compute(atoms)[0] == cv.compute(atoms)[0] == pytest.approx(9.2)
    resumed.reset()  # forgetting the track gives the minimum image again
    assert resumed.compute(atoms)[0] == pytest.approx(-0.8)
    with pytest.raises(SimulationError, match="unwrapped position"):
        resumed.restore_unwrapped(np.array([np.nan, 0.0, 0.0]))


def test_metad_checkpoint_keeps_the_unwrapped_track() -> None:
    from ase.calculators.emt import EMT

    from sselab.simulate.metad.bias import WellTemperedMetaD
    from sselab.simulate.metad.tracking import cv_states, restore_cv_states

    atoms = Atoms("Cu", positions=[[0.2, 0, 0]], cell=[10, 10, 10], pbc=True)
    cv = ProjectedDisplacement(0, (0.2, 0.0, 0.0), (1.0, 0.0, 0.0), "x")
    metad = WellTemperedMetaD(EMT(), [cv], 0.01, [0.1], 10, 10.0, 300.0)
    for _ in range(30):
        atoms.positions[0, 0] += 0.2
        atoms.wrap()
        metad.compute_colvars(atoms)
    states = cv_states(metad)
    cv.reset()
    restore_cv_states(metad, states)
    assert metad.compute_colvars(atoms)[0][0] == pytest.approx(6.0)  # not the minimum image -4 Å


def test_displacement_2d_is_orthogonalised() -> None:
    d1, d2 = displacement_2d(0, (0, 0, 0), (1, 0, 0), (1, 1, 0))
    assert np.dot(d1.direction, d2.direction) == pytest.approx(0.0)
    with pytest.raises(SimulationError, match="parallel"):
        displacement_2d(0, (0, 0, 0), (1, 0, 0), (2, 0, 0))


def test_coordination_counts_close_neighbours() -> None:
    atoms = Atoms(
        "LiBBB", positions=[[5, 5, 5], [6.5, 5, 5], [5, 3.5, 5], [5, 5, 9.0]], cell=[20, 20, 20], pbc=True
    )
    cn = CoordinationNumber(0, (1, 2, 3), r0_a=2.5)
    value, gradient = cn.compute(atoms)
    assert 1.9 < value < 2.05
    assert gradient.shape == (4, 3) and np.allclose(gradient.sum(axis=0), 0.0)  # translation invariance


def test_distance_and_bad_indices() -> None:
    atoms = Atoms("LiB", positions=[[0, 0, 0], [0, 0, 9.5]], cell=[10, 10, 10], pbc=True)
    assert Distance(0, 1).compute(atoms)[0] == pytest.approx(0.5)
    with pytest.raises(SimulationError, match="outside the structure"):
        Distance(0, 5).compute(atoms)
    with pytest.raises(SimulationError, match="zero length"):
        ProjectedDisplacement(0, (0, 0, 0), (0, 0, 0))
