"""Prediction intervals (against statsmodels), coverage, extrapolation and flags of LinearEaModel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from sselab.models import LinearEaModel
from sselab.models.intervals import prediction_flags, rankable


def _frame(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"X": x, "activation_energy_ev": y, "formula": [f"f{i}" for i in range(len(x))]})


def test_interval_equals_statsmodels_observation_interval() -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(0.0, 10.0, 25)
    y = 0.3 + 0.05 * x + rng.normal(0.0, 0.1, 25)
    model = LinearEaModel(("X",), name="toy").fit(_frame(x, y))
    new = np.array([-2.0, 0.0, 5.0, 14.0])
    out = model.predict_interval(pd.DataFrame({"X": new}), confidence=0.9)
    reference = (
        sm.OLS(y, sm.add_constant(x)).fit().get_prediction(sm.add_constant(new)).summary_frame(alpha=0.1)
    )
    assert out["predicted_ea_ev"].to_numpy() == pytest.approx(reference["mean"].to_numpy())
    assert out["ea_lower_ev"].to_numpy() == pytest.approx(reference["obs_ci_lower"].to_numpy())
    assert out["ea_upper_ev"].to_numpy() == pytest.approx(reference["obs_ci_upper"].to_numpy())
    assert (
        out["extrapolated"].tolist()
        == ((new < x.min()) | (new > x.max())).tolist()
        == [True, True, False, True]
    )
    again = LinearEaModel.from_dict(model.to_dict()).predict_interval(
        pd.DataFrame({"X": new}), confidence=0.9
    )
    assert again["ea_upper_ev"].to_numpy() == pytest.approx(out["ea_upper_ev"].to_numpy())


def test_95_percent_intervals_cover_new_observations_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(11)
    hits = []
    for _ in range(400):
        x = rng.uniform(0.0, 1.0, 12)
        model = LinearEaModel(("X",)).fit(_frame(x, 1.0 + 0.5 * x + rng.normal(0.0, 0.2, 12)))
        x_new = rng.uniform(0.0, 1.0, 5)
        y_new = 1.0 + 0.5 * x_new + rng.normal(0.0, 0.2, 5)
        out = model.predict_interval(pd.DataFrame({"X": x_new}))
        hits.extend((out["ea_lower_ev"] <= y_new) & (y_new <= out["ea_upper_ev"]))
    assert np.mean(hits) == pytest.approx(0.95, abs=0.02)


def test_flags_of_negative_uncertain_and_extrapolated_predictions() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    model = LinearEaModel(("X",)).fit(_frame(x, np.array([0.1, 0.35, 0.45, 0.8, 0.9])))
    out = model.predict_interval(pd.DataFrame({"X": [-3.0, 0.5, 3.5]}))
    flags = out["flags"].tolist()
    assert flags[0] == "ea<=0;interval<0;extrapolated"
    assert "interval<0" in flags[1] and "extrapolated" not in flags[1]
    assert flags[2] == ""
    assert rankable(out["predicted_ea_ev"].to_numpy()).tolist() == [False, True, True]


def test_a_given_line_has_no_interval_and_an_unknown_range() -> None:
    line = LinearEaModel.from_coefficients(("X",), (0.1,), 0.2, name="typed")
    out = line.predict_interval(pd.DataFrame({"X": [1.0, -5.0]}))
    assert out["ea_lower_ev"].isna().all() and not out["extrapolated"].any()
    assert out["flags"].tolist() == ["no-interval;range-unknown", "ea<=0;no-interval;range-unknown"]
    assert line.origin == "given" and line.label == "coefficients given by the user"


def test_flag_table_covers_every_combination() -> None:
    ea = np.array([1.0, -1.0, 1.0, 1.0])
    lower = np.array([0.5, -2.0, -0.5, 0.5])
    outside = np.array([False, False, False, True])
    assert prediction_flags(ea, lower, outside, True, True).tolist() == [
        "", "ea<=0;interval<0", "interval<0", "extrapolated",
    ]  # fmt: skip
