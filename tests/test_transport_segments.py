"""Two-segment (phase transition) fits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sselab.errors import FitError
from sselab.transport import BOLTZMANN_EV_PER_K, TwoSegmentFit, fit_two_segment


def two_phase(temperature_k, transition_k=390.0):
    t = np.asarray(temperature_k, dtype=float)
    low = 1e6 / t * np.exp(-0.70 / (BOLTZMANN_EV_PER_K * t))
    high = 1e4 / t * np.exp(-0.30 / (BOLTZMANN_EV_PER_K * t))
    return np.where(t < transition_k, low, high)


def test_two_phase_synthetic_set_finds_the_breakpoint() -> None:
    temperature = np.linspace(300.0, 450.0, 16)  # 10 K steps; the transition lies between 380 and 390 K
    fit = fit_two_segment(temperature, two_phase(temperature, 385.0))
    assert fit.breakpoint_interval_k == (380.0, 390.0)
    assert 380.0 <= fit.breakpoint_k <= 390.0
    assert fit.low.activation_energy_ev == pytest.approx(0.70, abs=1e-6)
    assert fit.high.activation_energy_ev == pytest.approx(0.30, abs=1e-6)
    assert fit.break_supported and fit.delta_bic > 6 and fit.f_pvalue < 1e-6
    assert not fit.fixed and fit.n_candidates == 11
    assert fit.predict([320.0, 420.0]) == pytest.approx(two_phase([320.0, 420.0], 385.0))
    assert TwoSegmentFit.from_dict(json.loads(json.dumps(fit.as_dict(), allow_nan=False))) == fit


def test_noisy_two_phase_sets_find_the_transition() -> None:
    rng = np.random.default_rng(7)
    temperature = np.linspace(300.0, 450.0, 16)
    found = 0
    for _ in range(50):
        sigma = two_phase(temperature, 385.0) * np.exp(rng.normal(0.0, 0.1, temperature.size))
        fit = fit_two_segment(temperature, sigma)
        found += fit.break_supported and fit.breakpoint_interval_k == (380.0, 390.0)
    assert found >= 48


def test_single_line_data_rarely_claims_a_break() -> None:
    rng = np.random.default_rng(11)
    temperature = np.linspace(300.0, 450.0, 16)
    sigma0 = 1e5 / temperature * np.exp(-0.5 / (BOLTZMANN_EV_PER_K * temperature))
    claimed = sum(
        fit_two_segment(temperature, sigma0 * np.exp(rng.normal(0.0, 0.1, temperature.size))).break_supported
        for _ in range(100)
    )
    print(f"false breaks on one-line data: {claimed} of 100")
    assert claimed <= 10


def test_user_can_fix_the_breakpoint() -> None:
    temperature = np.linspace(300.0, 450.0, 16)
    fit = fit_two_segment(temperature, two_phase(temperature, 385.0), breakpoint_k=400.0)
    assert fit.fixed and fit.breakpoint_k == 400.0 and fit.n_candidates == 1
    assert fit.low.n_points == 10 and fit.high.n_points == 6
    assert fit.criterion == "fixed by the user"


def test_two_segment_errors() -> None:
    temperature = np.linspace(300.0, 400.0, 5)
    with pytest.raises(FitError, match="at least 6 points"):
        fit_two_segment(temperature, two_phase(temperature))
    temperature = np.linspace(300.0, 450.0, 16)
    with pytest.raises(FitError, match="leaves 1 points below"):
        fit_two_segment(temperature, two_phase(temperature), breakpoint_k=305.0)
    with pytest.raises(FitError, match="min_points"):
        fit_two_segment(temperature, two_phase(temperature), min_points=2)
