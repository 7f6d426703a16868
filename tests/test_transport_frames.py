"""Fits of a material's points from a conductivity table (the library side of ``sselab arrhenius``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sselab.errors import FitError
from sselab.transport import BOLTZMANN_EV_PER_K, ArrheniusFit, TwoSegmentFit
from sselab.transport.frames import fit_material, match_formula


def table() -> pd.DataFrame:
    temperature = np.linspace(300.0, 420.0, 7)
    rows = []
    for doi, ea in (("10.1/a", 0.40), ("10.1/b", 0.60)):
        sigma = 1e5 / temperature * np.exp(-ea / (BOLTZMANN_EV_PER_K * temperature))
        rows += [{"formula": "LiBH4-0.5NH3", "temperature_k": t, "conductivity_s_per_cm": s, "doi": doi,
                  "dataset": "demo"} for t, s in zip(temperature, sigma, strict=True)]  # fmt: skip
    rows.append({"formula": "Li3N", "temperature_k": 300.0, "conductivity_s_per_cm": 1e-3, "doi": None,
                 "dataset": "demo"})  # fmt: skip
    return pd.DataFrame(rows)


def test_one_fit_per_source_and_composition_match() -> None:
    fits, skipped = fit_material(table(), "LiBH4·1/2NH3")  # other spelling, same composition
    assert not skipped
    assert [f.doi for f in fits] == ["10.1/a", "10.1/b"]
    assert [round(f.fit.activation_energy_ev, 6) for f in fits] == [0.4, 0.6]
    assert all(isinstance(f.fit, ArrheniusFit) and f.dataset == "demo" for f in fits)


def test_pool_and_two_segment() -> None:
    fits, _ = fit_material(table(), "LiBH4-0.5NH3", pool=True)
    assert len(fits) == 1 and fits[0].fit.n_points == 14  # type: ignore[union-attr]
    fits, _ = fit_material(table(), "LiBH4-0.5NH3", two_phase=True, pool=True)
    assert isinstance(fits[0].fit, TwoSegmentFit)


def test_no_match_and_too_few_points() -> None:
    assert match_formula(table(), "NaBH4").empty
    with pytest.raises(FitError, match="no conductivity points for formula 'NaBH4'"):
        fit_material(table(), "NaBH4")
    with pytest.raises(FitError, match="1 point\\(s\\), a fit needs 3"):
        fit_material(table(), "Li3N")
    with pytest.raises(FitError, match="lacks column"):
        fit_material(pd.DataFrame({"formula": ["x"]}), "x")
