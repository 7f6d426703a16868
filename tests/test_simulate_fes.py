"""Free-energy surfaces (hills and reweighting) and barrier analysis on surfaces with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from sselab.errors import SimulationError
from sselab.simulate.metad.barriers import find_barriers, find_minima
from sselab.simulate.metad.fes import FES, free_energy_surface, reweight_fes
from sselab.simulate.metad.hills import HillSet
from sselab.simulate.metad.plumed import ColvarData
from sselab.simulate.metad.uncertainty import estimate_uncertainty


def test_fes_from_hills_uses_well_tempered_scaling() -> None:
    hills = HillSet(1)
    hills.add([0.0], [0.2], 0.1)
    for gamma, expected in ((10.0, 0.1 * 10 / 9), (float("inf"), 0.1)):
        fes = free_energy_surface(hills, gamma, [-2.0], [2.0], [400])
        assert np.ptp(fes.free_energy_ev) == pytest.approx(expected, rel=1e-3)
        assert fes.free_energy_ev[200] == pytest.approx(0.0)  # the hill marks the minimum of F = -γ/(γ-1) V


def _profile_1d(x: np.ndarray, intermediate_ev: float = 0.2) -> np.ndarray:
    # minima at 0 (0 eV), 1.5 (intermediate), 3 (0.05 eV); saddles 0.6 eV at 0.75 and 0.9 eV at 2.25
    nodes_x = np.array([0.0, 0.75, 1.5, 2.25, 3.0])
    nodes_f = np.array([0.0, 0.6, intermediate_ev, 0.9, 0.05])
    k = np.clip(np.searchsorted(nodes_x, x, side="right") - 1, 0, 3)
    t = np.clip((x - nodes_x[k]) / 0.75, 0, 1)
    f = nodes_f[k] + (nodes_f[k + 1] - nodes_f[k]) * (3 * t**2 - 2 * t**3)
    return f + 2.0 * np.clip(-x, 0, None) ** 2 + 2.0 * np.clip(x - 3, 0, None) ** 2


def test_two_step_profile_gives_ea1_and_ea2() -> None:
    x = np.linspace(-0.5, 3.5, 801)
    result = find_barriers(FES(("d",), (x,), _profile_1d(x), "hills"), start=[0.0])
    assert result.kind == "two-step"
    assert result.ea1_ev == pytest.approx(0.6, abs=1e-3)
    assert result.ea2_ev == pytest.approx(0.7, abs=1e-3)
    assert result.rate_determining_ev == pytest.approx(0.7, abs=1e-3)
    assert result.span_ev == pytest.approx(0.9, abs=1e-3)
    assert [m.position[0] for m in result.minima] == pytest.approx([0.0, 1.5, 3.0], abs=0.01)


def test_shallow_intermediate_is_not_a_step() -> None:
    x = np.linspace(-0.5, 3.5, 801)
    f = _profile_1d(x, intermediate_ev=0.57)  # 0.03 eV deep towards the first saddle
    result = find_barriers(FES(("d",), (x,), f, "hills"), start=[0.0], min_depth_ev=0.05)
    assert result.kind == "one-step"


def test_minimum_free_energy_path_on_2d_surface_finds_curved_saddle() -> None:
    x = np.linspace(-1, 3, 201)
    y = np.linspace(-1.5, 1.5, 151)
    gx, gy = np.meshgrid(x, y, indexing="ij")
    q = 1 - (gx - 1) ** 2
    f = 0.5 * q**2 + (gy - 0.5 * q) ** 2
    result = find_barriers(FES(("d1", "d2"), (x, y), f - f.min(), "hills"), start=[0.0, 0.0])
    assert result.kind == "one-step"
    assert result.barrier_ev == pytest.approx(0.5, abs=2e-3)
    assert result.saddles[0].position == pytest.approx((1.0, 0.5), abs=0.03)
    assert result.path[0] == pytest.approx([0.0, 0.0], abs=0.03)
    assert result.path[-1] == pytest.approx([2.0, 0.0], abs=0.03)


def test_single_basin_raises_clear_error() -> None:
    x = np.linspace(-1, 1, 101)
    with pytest.raises(SimulationError, match="not left its site"):
        find_barriers(FES(("d",), (x,), x**2, "hills"))
    assert len(find_minima(FES(("d",), (x,), x**2, "hills"))) == 1


def test_reweighting_recovers_a_boltzmann_distribution_without_bias() -> None:
    # with no hills the weights are uniform: F = -kT ln P of the samples
    rng = np.random.default_rng(0)
    kt = 8.617333e-5 * 300
    samples = rng.normal(0.0, np.sqrt(kt / 2.0), 200_000)  # harmonic F = x^2 (eV, Å)
    colvar = ColvarData(("x",), np.linspace(0, 10, samples.size), samples[:, None], np.zeros(samples.size))
    hills = HillSet(1)
    hills.add([5.0], [0.1], 1e-12, time_ps=100.0)
    fes = reweight_fes(colvar, hills, 300.0, 10.0, [-0.2], [0.2], 20, start_time_ps=0.0)
    centres = fes.axes[0]
    expected = centres**2 - (centres**2).min()
    np.testing.assert_allclose(fes.free_energy_ev, expected, atol=0.004)


def test_analysis_falls_back_to_hills_when_reweighting_misses_the_start_site() -> None:
    from sselab.simulate.metad.analysis import analyse_metadynamics

    hills = HillSet(1)
    for k, centre in enumerate((0.0, 2.0) * 20):  # F = -γ/(γ-1) V: minima at 0 and 2 Å
        hills.add([centre], [0.3], 0.025, time_ps=0.1 * (k + 1))
    rng = np.random.default_rng(0)
    n = 4000
    samples = 2.0 + 0.1 * rng.standard_normal(n)  # the ion sits at the end site only
    colvar = ColvarData(("x",), np.linspace(0, 4, n), samples[:, None], np.full(n, 0.5))
    analysis = analyse_metadynamics(hills, colvar, 300.0, 10.0, start=[0.0])
    assert analysis.details["fes_method"] == "hills"
    assert "start site" in analysis.details["errors_by_method"]["reweighting"]
    assert analysis.barriers is not None and analysis.barriers.minima[0].position[0] == pytest.approx(
        0.0, abs=0.05
    )


def _short_run_without_blocks() -> tuple[HillSet, ColvarData]:
    # hills fill the two sites early, later hills are negligible (no change over time), and the ion sits in
    # one site during the whole COLVAR (no block of the second half sees a barrier)
    hills = HillSet(1)
    for k, centre in enumerate((0.0, 2.0) * 10):
        hills.add([centre], [0.3], 0.025, time_ps=0.1 * (k + 1))
    for k in range(20):
        hills.add([1.0], [0.3], 1e-13, time_ps=2.0 + 0.1 * k)
    n = 200
    return hills, ColvarData(("x",), np.linspace(0, 4, n), np.full((n, 1), 2.0), np.zeros(n))


def test_uncertainty_is_none_without_blocks_or_change_over_time() -> None:
    hills, colvar = _short_run_without_blocks()
    barriers = find_barriers(free_energy_surface(hills, 10.0, bins=100), start=[0.0])
    uncertainty, details = estimate_uncertainty(hills, colvar, 300.0, 10.0, barriers, 100)
    assert details["block_barriers_ev"] == [] and len(details["barrier_vs_time_ev"]) == 5
    assert np.ptp(details["barrier_vs_time_ev"]) < 1e-9  # the spread that used to be returned (~1e-12 eV)
    assert uncertainty is None and details["uncertainty_source"] is None
    assert "did not change over time" in details["uncertainty_reason"]


def test_analysis_records_why_the_uncertainty_is_missing(tmp_path) -> None:
    import json

    from sselab.simulate.metad.analysis import MetaDAnalysis, analyse_metadynamics
    from sselab.simulate.runfolder import RunFolder

    hills, colvar = _short_run_without_blocks()
    folder = RunFolder.create(tmp_path)
    analysis = analyse_metadynamics(hills, colvar, 300.0, 10.0, 100, start=[0.0], folder=folder)
    assert analysis.barriers is not None and analysis.barriers.uncertainty_ev is None
    summary = folder.write_summary(analysis)
    stored = json.loads(folder.summary_path.read_text())
    assert stored == summary and stored["barriers"]["uncertainty_ev"] is None
    assert "run longer" in stored["uncertainty_reason"]
    back = MetaDAnalysis.from_dict(stored)
    assert back.as_dict() == MetaDAnalysis.from_dict(analysis.as_dict()).as_dict()
    assert (
        back.barriers is not None
        and back.barriers.rate_determining_ev == analysis.barriers.rate_determining_ev
    )
    assert np.array_equal(back.fes.free_energy_ev, analysis.fes.free_energy_ev)
