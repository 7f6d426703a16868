"""OLS statistics and the LinearEaModel estimator: recovery, leave-one-out, intervals, persistence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sselab.descriptors import composition_descriptor_frame
from sselab.descriptors.elements import DescriptorError
from sselab.errors import FitError
from sselab.models import LinearEaModel, fit_ols


def test_ols_leave_one_out_equals_refitting_without_each_row() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(12, 2))
    y = 0.3 * x[:, 0] - 0.7 * x[:, 1] + 1.2 + rng.normal(scale=0.1, size=12)
    fit = fit_ols(x, y)
    errors = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        design = np.column_stack([np.ones(keep.sum()), x[keep]])
        beta = np.linalg.lstsq(design, y[keep], rcond=None)[0]
        errors.append(y[i] - (beta[0] + x[i] @ beta[1:]))
    assert fit.loo_rmse == pytest.approx(np.sqrt(np.mean(np.square(errors))))
    residual = y - (fit.intercept + x @ np.array(fit.coef))
    r2 = 1 - residual @ residual / np.sum((y - y.mean()) ** 2)
    assert fit.r2 == pytest.approx(r2)
    assert fit.adj_r2 == pytest.approx(1 - (1 - r2) * 11 / 9)
    for (lo, hi), true in zip(fit.coef_ci95, (0.3, -0.7), strict=True):
        assert lo < true < hi


def test_ols_refuses_too_few_rows_and_constant_descriptors() -> None:
    with pytest.raises(FitError, match="too few"):
        fit_ols(np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(FitError, match="rank-deficient"):
        fit_ols(np.ones((5, 1)), np.arange(5.0))


def _frame() -> pd.DataFrame:
    formulas = [f"Mg(BH4)2·{n}NH3" for n in (1, 2, 3, 6)] + [f"ZnB12H12·{n}H2O" for n in (4, 6, 12)]
    desc = composition_descriptor_frame(formulas, "sum")
    ea = 0.01 * desc["X"] - 0.002 * desc["r_atom"] + 2.0  # exact line, known coefficients
    return pd.DataFrame({"formula": formulas, "activation_energy_ev": ea, "ea_id": range(1, 8)})


def test_model_recovers_a_known_line_from_formulas() -> None:
    model = LinearEaModel(descriptors=("X", "r_atom"), aggregation="sum", name="toy").fit(_frame())
    assert model.coef_ == pytest.approx([0.01, -0.002], abs=1e-9)
    assert model.intercept_ == pytest.approx(2.0, abs=1e-7)
    assert model.r2_ == pytest.approx(1.0)
    assert model.n_train_ == 7
    assert list(model.feature_names_in_) == ["X", "r_atom"]
    new = pd.DataFrame({"formula": ["Ca(BH4)2·6(CH3)2CHNH2"]})
    d = composition_descriptor_frame(list(new["formula"]), "sum")
    expected = 0.01 * d["X"].iloc[0] - 0.002 * d["r_atom"].iloc[0] + 2.0
    assert model.predict(new)[0] == pytest.approx(expected, abs=1e-6)
    assert model.get_params() == {
        "descriptors": ("X", "r_atom"),
        "aggregation": "sum",
        "name": "toy",
        "definitions": (),
    }


def test_model_round_trips_through_json_and_the_store(tmp_path) -> None:
    from sselab.store import open_store

    model = LinearEaModel(("X", "r_atom"), "sum", "toy").fit(_frame())
    again = LinearEaModel.load(model.save(tmp_path / "toy.json"))
    payload = json.loads((tmp_path / "toy.json").read_text())
    assert payload["metrics"]["n_train"] == 7 and len(payload["training_rows"]) == 7
    assert len(payload["coef_ci95"]) == 2
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    model.save_to_store(store)
    stored = LinearEaModel.load_from_store(store, "toy")
    frame = _frame()
    for other in (again, stored):
        assert other.predict(frame) == pytest.approx(model.predict(frame))
        assert other.r2_ == pytest.approx(model.r2_)


def test_fit_names_rows_with_missing_values() -> None:
    frame = _frame().assign(V=[1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    with pytest.raises(FitError, match=r"Mg\(BH4\)2·3NH3"):
        LinearEaModel(("V", "X")).fit(frame)


def test_structure_descriptor_cannot_come_from_a_formula() -> None:
    with pytest.raises(DescriptorError, match="'d'"):
        LinearEaModel(("d", "X")).fit(_frame())


def test_aggregation_mismatch_is_refused() -> None:
    frame = _frame()
    desc = composition_descriptor_frame(list(frame["formula"]), "mean")
    frame = frame.assign(X=desc["X"], r_atom=desc["r_atom"])
    frame.attrs["aggregation"] = "mean"
    with pytest.raises(DescriptorError, match="aggregation"):
        LinearEaModel(("X", "r_atom"), "sum").fit(frame)
    assert (
        LinearEaModel(("X", "r_atom"), "mean").fit(frame).r2_ < 1.0
    )  # the line was exact in the summed X only


def test_line_on_the_papers_axis_fits_only_slope_and_intercept(tmp_path) -> None:
    """``x_wang2025`` (−0.059·X + 0.0029·r_atom, Wang et al. 2025 Fig. 3b) as the one descriptor: a line."""
    frame = _frame()
    desc = composition_descriptor_frame(list(frame["formula"]), "sum")
    x = -0.059 * desc["X"] + 0.0029 * desc["r_atom"]  # computed here from X and r_atom, not by the package
    frame["activation_energy_ev"] = 1.5 * x + 0.8
    model = LinearEaModel(descriptors=("x_wang2025",), name="line").fit(frame)
    assert model.coef_ == pytest.approx([1.5]) and model.intercept_ == pytest.approx(0.8)
    assert model.r2_ == pytest.approx(1.0) and model.coef_ci95_.shape == (1, 2)
    new = pd.DataFrame({"formula": ["Zn(BH4)2·6(CH3)2CHNH2"]})
    d = composition_descriptor_frame(list(new["formula"]), "sum")
    assert model.predict(new)[0] == pytest.approx(1.5 * (-0.059 * d["X"][0] + 0.0029 * d["r_atom"][0]) + 0.8)
    again = LinearEaModel.load(model.save(tmp_path / "line.json"))
    assert again.predict(new) == pytest.approx(model.predict(new))
    assert list(again.training_rows_.columns[-1:]) == ["x_wang2025"]


def test_unknown_descriptor_lists_the_choices() -> None:
    with pytest.raises(DescriptorError, match="x_wang2025"):
        LinearEaModel(("x_paper",)).fit(_frame())
