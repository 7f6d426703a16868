"""Free-energy surfaces (hills and reweighting) and barrier analysis on surfaces with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from ase import units

from sselab.errors import SimulationError
from sselab.simulate.analytic import TwoStepLandscape
from sselab.simulate.metad.analysis import MetaDAnalysis, analyse_metadynamics
from sselab.simulate.metad.barriers import energy_span, find_barriers, find_minima
from sselab.simulate.metad.fes import FES, free_energy_surface, reweight_fes
from sselab.simulate.metad.hills import HillSet
from sselab.simulate.metad.plumed import ColvarData
from sselab.simulate.runfolder import RunFolder


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


def test_two_step_profile_gives_ea1_ea2_and_the_span_as_effective_barrier() -> None:
    x = np.linspace(-0.5, 3.5, 801)
    result = find_barriers(FES(("d",), (x,), _profile_1d(x), "hills"), start=[0.0], end=[3.0])
    assert result.kind == "two-step"
    assert result.ea1_ev == pytest.approx(0.6, abs=1e-3)
    assert result.ea2_ev == pytest.approx(0.7, abs=1e-3)
    # the effective barrier of the sequence is the span (0.9 above the start), not max(Ea1, Ea2) = 0.7
    assert result.effective_ev == pytest.approx(0.9, abs=1e-3)
    assert result.rate_determining_ev == result.effective_ev
    assert result.plateau_ev == pytest.approx(0.05, abs=1e-3)
    assert [m.position[0] for m in result.minima] == pytest.approx([0.0, 1.5, 3.0], abs=0.01)


@pytest.mark.parametrize(
    ("intermediate_ev", "saddle_2_ev", "span_ev"), [(0.15, 0.65, 0.65), (0.30, 0.80, 0.80)]
)
def test_two_step_model_surfaces_report_the_energy_span(
    intermediate_ev: float, saddle_2_ev: float, span_ev: float
) -> None:
    # TwoStepLandscape: Ea1 = 0.40, Ea2 = 0.50 eV on both; the old code stored max(Ea1, Ea2) = 0.50
    model = TwoStepLandscape(e_intermediate=intermediate_ev, e_saddle_2=saddle_2_ev)
    u = np.linspace(-0.5, 2.5, 601)
    f, _, _ = model.profile(u, np.zeros_like(u))
    result = find_barriers(FES(("u",), (u,), f, "hills"), start=[0.0], end=[2.0], target_tolerance=0.2)
    assert result.kind == "two-step"
    assert result.ea1_ev == pytest.approx(0.40, abs=1e-3) and result.ea2_ev == pytest.approx(0.50, abs=1e-3)
    assert result.effective_ev == pytest.approx(span_ev, abs=1e-3)


def test_energy_span_uses_the_lowest_minimum_before_each_saddle() -> None:
    # a deep intermediate: the span is measured from it, not from the start
    assert energy_span([0.0, -0.3, 0.1], [0.2, 0.4]) == pytest.approx(0.7)
    assert energy_span([0.0, 0.2], [0.5]) == pytest.approx(0.5)


def test_end_site_must_lie_near_the_target() -> None:
    x = np.linspace(-0.5, 3.5, 801)
    fes = FES(("d",), (x,), _profile_1d(x), "hills")
    with pytest.raises(SimulationError, match="target site not reached"):
        find_barriers(fes, start=[0.0], end=[2.4], target_tolerance=0.3)  # minima at 1.5 and 3.0 only
    to_middle = find_barriers(fes, start=[0.0], end=[1.45], target_tolerance=0.3)
    assert to_middle.kind == "one-step" and to_middle.barrier_ev == pytest.approx(0.6, abs=1e-3)


def test_onward_hop_beyond_the_target_gives_the_intrinsic_barrier() -> None:
    x = np.linspace(-0.5, 3.5, 801)
    fes = FES(("r",), (x,), _profile_1d(x), "hills")
    # frenkel reading: target = the interstitial plateau at 1.5 (0.2 eV), onward hop over 0.9 to 3.0
    result = find_barriers(fes, start=[0.0], end=[1.5], target_tolerance=0.3, onward=True)
    assert result.plateau_ev == pytest.approx(0.2, abs=1e-3)
    assert result.onward_ev == pytest.approx(0.7, abs=1e-3)
    assert result.intrinsic_ev == pytest.approx(0.5 * 0.2 + 0.7, abs=1e-3)
    assert result.effective_ev == pytest.approx(0.9, abs=1e-3)


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
    with pytest.raises(SimulationError, match=r"no barrier: .* 1 site"):
        find_barriers(FES(("d",), (x,), x**2, "hills"))
    assert len(find_minima(FES(("d",), (x,), x**2, "hills"))) == 1


def test_a_minimum_on_the_edge_of_the_explored_region_is_not_a_site() -> None:
    x = np.linspace(0.0, 2.0, 201)
    f = (x - 0.5) ** 2  # decreasing towards nothing at the left edge? no: minimum at 0.5, and the right
    f = np.where(x > 1.6, f - 2.0 * (x - 1.6), f)  # edge dips where sampling stopped
    assert [round(m.position[0], 2) for m in find_minima(FES(("d",), (x,), f, "hills"), 0.05)] == [0.5]


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


def test_analysis_does_not_fall_back_to_the_reweighted_fes_when_the_hills_show_one_site() -> None:
    # the hills fill one well; the reweighted histogram has a noise dip elsewhere: no barrier
    hills = HillSet(1)
    for k in range(200):
        hills.add([0.0 + 0.05 * np.sin(k)], [0.2], 0.02, time_ps=0.01 * (k + 1))
    rng = np.random.default_rng(1)
    n = 4000
    samples = np.concatenate([0.2 * rng.standard_normal(n - 50), 0.9 + 0.01 * rng.standard_normal(50)])
    colvar = ColvarData(("x",), np.linspace(0, 2, n), samples[:, None], np.zeros(n))
    analysis = analyse_metadynamics(hills, colvar, 300.0, 10.0, start=[0.0], end=[0.9], target_tolerance=0.3)
    assert analysis.barriers is None and "no barrier" in str(analysis.barrier_error)
    assert "reweighting" not in analysis.details["barriers_by_method"]


def test_minimum_depth_is_at_least_three_kt() -> None:
    hills = HillSet(1)
    for k, centre in enumerate((0.0, 2.0) * 20):
        hills.add([centre], [0.3], 0.025, time_ps=0.1 * (k + 1))
    n = 400
    colvar = ColvarData(("x",), np.linspace(0, 4, n), np.zeros((n, 1)), np.zeros(n))
    analysis = analyse_metadynamics(hills, colvar, 600.0, 10.0, start=[0.0])
    assert analysis.details["min_depth_ev"] >= 3 * units.kB * 600.0 - 1e-12


def _two_sites() -> tuple[HillSet, ColvarData]:
    hills = HillSet(1)
    for k, centre in enumerate((0.0, 2.0) * 40):
        hills.add([centre], [0.3], 0.025, time_ps=0.05 * (k + 1))
    rng = np.random.default_rng(0)
    n = 4000
    samples = np.where(np.arange(n) % 400 < 200, 0.0, 2.0) + 0.15 * rng.standard_normal(n)
    return hills, ColvarData(("x",), np.linspace(0, 4, n), samples[:, None], np.zeros(n))


def test_single_walker_uncertainty_is_unknown_and_says_why(tmp_path) -> None:
    import json

    hills, colvar = _two_sites()
    folder = RunFolder.create(tmp_path)
    analysis = analyse_metadynamics(hills, colvar, 300.0, 10.0, 100, start=[0.0], end=[2.0], folder=folder)
    assert analysis.barriers is not None and analysis.barriers.uncertainty_ev is None
    assert "unknown" in str(analysis.uncertainty_reason) and "3 or more" in str(analysis.uncertainty_reason)
    summary = folder.write_summary(analysis)
    stored = json.loads(folder.summary_path.read_text())
    assert stored == summary and stored["barriers"]["uncertainty_ev"] is None
    back = MetaDAnalysis.from_dict(stored)
    assert back.as_dict() == MetaDAnalysis.from_dict(analysis.as_dict()).as_dict()
    assert back.barriers is not None and back.barriers.effective_ev == analysis.barriers.effective_ev
    assert np.array_equal(back.fes.free_energy_ev, analysis.fes.free_energy_ev)
