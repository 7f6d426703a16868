"""Arrhenius fits against analytic answers, coverage of the 95 % interval, and invariances."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sselab.errors import FitError
from sselab.transport import BOLTZMANN_EV_PER_K, ArrheniusFit, fit_arrhenius


def synthetic(temperature_k, ea_ev, prefactor, form="sigma_t"):
    y = prefactor * np.exp(-ea_ev / (BOLTZMANN_EV_PER_K * np.asarray(temperature_k)))
    return y / temperature_k if form == "sigma_t" else y


@pytest.mark.parametrize("form", ["sigma_t", "sigma"])
@pytest.mark.parametrize("ea_ev", [0.12, 0.5, 1.1])
def test_arrhenius_recovers_known_barrier_noise_free(form: str, ea_ev: float) -> None:
    temperature = np.linspace(280.0, 480.0, 9)
    fit = fit_arrhenius(temperature, synthetic(temperature, ea_ev, 3e4, form), form=form)
    assert abs(fit.activation_energy_ev - ea_ev) < 0.005
    assert fit.prefactor == pytest.approx(3e4, rel=1e-6)
    assert fit.prefactor_unit == ("S K/cm" if form == "sigma_t" else "S/cm")
    assert fit.r_squared == pytest.approx(1.0)
    assert (fit.n_points, fit.form, fit.temperature_range_k) == (9, form, (280.0, 480.0))
    assert fit.predict([300.0, 400.0]) == pytest.approx(synthetic(np.array([300.0, 400.0]), ea_ev, 3e4, form))
    json.dumps(fit.as_dict())


def test_perfect_three_point_fit_serialises_as_strict_json() -> None:
    temperature = np.array([300.0, 350.0, 400.0])
    fit = fit_arrhenius(temperature, synthetic(temperature, 0.3, 1.0))
    assert fit.n_points == 3
    assert ArrheniusFit.from_dict(json.loads(json.dumps(fit.as_dict(), allow_nan=False))) == fit


def test_ci95_covers_true_barrier_at_least_90_percent_of_200_noisy_sets() -> None:
    rng = np.random.default_rng(20250101)
    true_ea = 0.45
    temperature = np.linspace(300.0, 420.0, 8)
    covered = 0
    for _ in range(200):
        sigma = synthetic(temperature, true_ea, 1e5) * np.exp(rng.normal(0.0, 0.15, temperature.size))
        fit = fit_arrhenius(temperature, sigma)
        low, high = fit.ci95_ev
        assert low < fit.activation_energy_ev < high
        covered += low <= true_ea <= high
    print(f"95% interval covered the true Ea in {covered} of 200 noisy sets")
    assert covered >= 180


def test_weights_downweight_an_outlier() -> None:
    temperature = np.linspace(300.0, 400.0, 6)
    sigma = synthetic(temperature, 0.6, 1e5)
    sigma[2] *= 30.0  # one bad point
    plain = fit_arrhenius(temperature, sigma)
    weights = np.ones(6)
    weights[2] = 1e-6
    weighted = fit_arrhenius(temperature, sigma, weights=weights)
    assert weighted.weighted and not plain.weighted
    assert abs(weighted.activation_energy_ev - 0.6) < abs(plain.activation_energy_ev - 0.6)
    assert abs(weighted.activation_energy_ev - 0.6) < 1e-3


@pytest.mark.parametrize(
    ("temperature", "sigma", "message"),
    [
        ([300.0, 400.0], [1e-3, 1e-2], "at least 3 points"),
        ([300.0, 350.0, 400.0], [1e-3, 0.0, 1e-2], "conductivity_s_per_cm must be finite and positive"),
        ([300.0, -350.0, 400.0], [1e-3, 1e-3, 1e-2], "temperature_k must be finite and positive"),
        ([300.0, 300.0, 300.0], [1e-3, 2e-3, 1e-2], "same temperature"),
        ([300.0, 350.0], [1e-3, 2e-3, 1e-2], "has 2 values"),
        ([300.0, 350.0, 400.0], [1e-3, float("nan"), 1e-2], "point 1"),
    ],
)
def test_bad_points_raise_fit_error(temperature, sigma, message: str) -> None:
    with pytest.raises(FitError, match=message):
        fit_arrhenius(temperature, sigma)


def test_unknown_form_raises() -> None:
    with pytest.raises(FitError, match="unknown Arrhenius form"):
        fit_arrhenius([300.0, 350.0, 400.0], [1e-3, 2e-3, 3e-3], form="log")  # type: ignore[arg-type]


points = st.lists(
    st.tuples(st.floats(200.0, 900.0), st.floats(-3.0, 3.0)),
    min_size=3,
    max_size=12,
    unique_by=lambda p: p[0],
)


@settings(max_examples=80, deadline=None)
@given(
    points=points,
    ea=st.floats(0.05, 1.5),
    log_scale=st.floats(-10.0, 10.0),
    form=st.sampled_from(["sigma_t", "sigma"]),
)
def test_scaling_sigma_leaves_barrier_unchanged(points, ea: float, log_scale: float, form: str) -> None:
    temperature = np.array([t for t, _ in points])
    if np.ptp(temperature) < 1.0:
        return
    noise = np.array([n for _, n in points]) * 0.05
    sigma = synthetic(temperature, ea, 1e3, form) * np.exp(noise)
    base = fit_arrhenius(temperature, sigma, form=form)
    scaled = fit_arrhenius(temperature, sigma * np.exp(log_scale), form=form)
    assert scaled.activation_energy_ev == pytest.approx(base.activation_energy_ev, abs=1e-8)
    assert scaled.stderr_ev == pytest.approx(base.stderr_ev, rel=1e-6, abs=1e-12)
    assert scaled.ln_prefactor == pytest.approx(base.ln_prefactor + log_scale, abs=1e-6)
    order = np.argsort(-temperature)
    shuffled = fit_arrhenius(temperature[order], sigma[order], form=form)
    assert shuffled.activation_energy_ev == pytest.approx(base.activation_energy_ev, abs=1e-8)


@settings(max_examples=50, deadline=None)
@given(ea=st.floats(0.05, 1.5), t_low=st.floats(150.0, 600.0), span=st.floats(20.0, 400.0))
def test_noise_free_recovery_over_random_ranges(ea: float, t_low: float, span: float) -> None:
    temperature = np.linspace(t_low, t_low + span, 5)
    fit = fit_arrhenius(temperature, synthetic(temperature, ea, 10.0))
    assert abs(fit.activation_energy_ev - ea) < 0.005
