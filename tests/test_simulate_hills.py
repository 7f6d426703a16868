"""Hill sets, the bias grid, and PLUMED HILLS/COLVAR files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sselab.errors import DataImportError, SimulationError
from sselab.simulate.metad.hills import BiasGrid, HillSet
from sselab.simulate.metad.plumed import read_colvar, read_hills, write_hills


def _random_hills(ndim: int, grid: BiasGrid | None, n: int = 40, seed: int = 0) -> HillSet:
    rng = np.random.default_rng(seed)
    hills = HillSet(ndim, grid)
    for _ in range(n):
        hills.add(rng.uniform(-1, 1, ndim), rng.uniform(0.1, 0.3, ndim), rng.uniform(0.01, 0.05))
    return hills


@pytest.mark.parametrize("ndim,bins", [(1, (400,)), (2, (160, 160))])
def test_grid_interpolation_matches_exact_sum(ndim: int, bins: tuple[int, ...]) -> None:
    grid = BiasGrid((-2.0,) * ndim, (2.0,) * ndim, bins)
    hills = _random_hills(ndim, grid)
    rng = np.random.default_rng(1)
    points = rng.uniform(-1.5, 1.5, (50, ndim))
    grid_values, grid_grads = hills.bias_many(points)
    exact = [hills.exact_bias(p) for p in points]
    np.testing.assert_allclose(grid_values, [e[0] for e in exact], atol=1e-5)
    np.testing.assert_allclose(grid_grads, [e[1] for e in exact], atol=1e-3)


def test_outside_the_grid_falls_back_to_exact_sum() -> None:
    hills = _random_hills(1, BiasGrid((-0.5,), (0.5,), (50,)))
    value, grad = hills.bias([1.2])
    exact = hills.exact_bias([1.2])
    assert value == pytest.approx(exact[0]) and grad == pytest.approx(exact[1])


@settings(max_examples=25, deadline=None)
@given(
    gamma=st.floats(1.5, 50.0),
    heights=st.lists(st.floats(1e-4, 0.2), min_size=1, max_size=6),
)
def test_hills_file_round_trip(
    tmp_path_factory: pytest.TempPathFactory, gamma: float, heights: list[float]
) -> None:
    path = tmp_path_factory.mktemp("hills") / "HILLS"
    hills = HillSet(2)
    for k, h in enumerate(heights):
        hills.add([0.1 * k, -0.2 * k], [0.2, 0.3], h, time_ps=0.05 * (k + 1))
    write_hills(path, hills, ["d1", "d2"], gamma)
    back = read_hills(path)
    assert back.cv_names == ("d1", "d2")
    assert back.bias_factor == pytest.approx(gamma, rel=1e-5)
    np.testing.assert_allclose(back.heights_ev, heights, rtol=1e-9)
    np.testing.assert_allclose(back.centers, hills.centers, atol=1e-9)


def test_reads_a_plumed_written_hills_file(tmp_path: Path) -> None:
    # format of PLUMED 2.x MetaD output (kJ/mol, well-tempered heights scaled by γ/(γ-1))
    text = (
        "#! FIELDS time phi sigma_phi height biasf\n#! SET multivariate false\n#! SET kerneltype gaussian\n"
        "#! SET min_phi -pi\n#! SET max_phi pi\n"
        "     1.000 -1.40 0.35 1.333333333 4\n     2.000 -1.30 0.35 1.200000000 4\n"
    )
    path = tmp_path / "HILLS"
    path.write_text(text)
    hills = read_hills(path)
    assert hills.bias_factor == 4
    assert hills.heights_ev[0] == pytest.approx(1.333333333 * 3 / 4 / 96.4853, rel=1e-4)


def test_bad_hills_file_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "HILLS"
    path.write_text("#! FIELDS time x sigma_x height biasf\n0.1 0.0 0.1 1.0 10\n0.2 oops 0.1 1.0 10\n")
    with pytest.raises(DataImportError, match="row 3"):
        read_hills(path)
    with pytest.raises(DataImportError, match="not found"):
        read_colvar(tmp_path / "COLVAR")


def test_hill_widths_must_be_positive() -> None:
    with pytest.raises(SimulationError):
        HillSet(1).add([0.0], [0.0], 0.1)
