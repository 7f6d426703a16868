"""Method benchmark: computed vs experimental Ea matched by composition and phase, metrics, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sselab.models.method_benchmark import benchmark_methods
from sselab.store import open_store
from sselab.store.records import ActivationEnergyRecord, MaterialRecord

#: (formula, Ea eV, method, phase)
ROWS = [
    ("Mg(BH4)2·2NH3", 1.00, "experiment", "low-T"),
    ("Mg(BH4)2-2NH3", 1.10, "MetaD", "low-T"),  # other spelling, same material
    ("LiBH4", 0.69, "experiment", "low-T"),
    ("LiBH4", 0.53, "experiment", "high-T"),
    ("LiBH4", 0.60, "MetaD", None),  # two experimental phases: ambiguous, unmatched
    ("LiBH4", 0.80, "CI-NEB", "high-T"),
    ("NaBH4", 0.60, "experiment", None),
    ("NaBH4", 0.68, "experiment", None),  # averaged with the row above: 0.64
    ("NaBH4", 0.70, "MetaD", None),
    ("NaBH4", 0.50, "AIMD", None),
    ("ZnB12H12·6H2O", 0.98, "experiment", "low-T"),
    ("ZnB12H12·6H2O", 0.90, "MetaD", "low-T"),
    ("ZnB12H12·6H2O", 1.30, "CI-NEB", "low-T"),
    ("KB3H8", 0.40, "CI-NEB", None),  # no experiment
    ("Na2B12H12", 9.99, "experiment", None),  # flagged below: left out
    ("Na2B12H12", 0.50, "BVSE", None),
]


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'bench.sqlite'}")
    ids = [
        store.add_activation_energy(
            ActivationEnergyRecord(MaterialRecord.from_formula(f, dataset="fixture"), ea, method, phase=phase)
        )
        for f, ea, method, phase in ROWS
    ]
    store.flag_activation_energy(ids[14], "implausible value in the fixture")
    return store


def _by_hand(experiment: list[float], computed: list[float]) -> tuple[float, float, float]:
    y, f = np.array(experiment), np.array(computed)
    r2 = 1 - np.sum((f - y) ** 2) / np.sum((y - y.mean()) ** 2)
    return r2, np.mean(np.abs(f - y)), np.sqrt(np.mean((f - y) ** 2))


def test_metrics_per_method_match_a_hand_computation(store) -> None:
    result = benchmark_methods(store.activation_energy_frame())
    metrics = result.metrics.set_index("method")
    assert set(metrics.index) == {"MetaD", "CI-NEB", "AIMD"}
    r2, mae, rmse = _by_hand([1.00, 0.64, 0.98], [1.10, 0.70, 0.90])
    assert metrics.loc["MetaD", "n"] == 3
    assert list(metrics.loc["MetaD", ["r2", "mae_ev", "rmse_ev"]]) == pytest.approx([r2, mae, rmse])
    r2, mae, rmse = _by_hand([0.53, 0.98], [0.80, 1.30])
    assert list(metrics.loc["CI-NEB", ["n", "r2", "mae_ev", "rmse_ev"]]) == pytest.approx([2, r2, mae, rmse])
    assert metrics.loc["AIMD", "mae_ev"] == pytest.approx(0.14)
    unmatched = result.unmatched.set_index("formula")
    assert "phase" in str(unmatched.loc["LiBH4", "reason"])
    assert "no experiment" in str(unmatched.loc["KB3H8", "reason"])
    assert "Na2B12H12" in set(result.unmatched["formula"])  # its only experiment is flagged


def test_benchmark_cli_prints_metrics_and_writes_the_parity_plot(store, tmp_path: Path) -> None:
    from sselab.cli.main import app

    out = tmp_path / "bench"
    run = CliRunner().invoke(app, ["benchmark", "--db", store.url, "--out", str(out)], env={"COLUMNS": "150"})
    assert run.exit_code == 0, run.output
    assert "MetaD" in run.output and "CI-NEB" in run.output and "mae_ev" in run.output
    assert (out / "parity.png").stat().st_size > 10_000
    assert (out / "metrics.csv").read_text().count("\n") == 4


@pytest.mark.parametrize("dtype", ["string", "object", "str"])
def test_computed_row_without_phase_matches_the_single_experimental_phase(dtype: str) -> None:
    """Under pandas 3 a missing phase reads as NaN or pd.NA; it means "no phase", not a phase named 'nan'."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "formula": ["ZnB12H12·6H2O", "ZnB12H12·6H2O", "LiBH4", "LiBH4", "LiBH4"],
            "method": ["experiment", "MetaD", "experiment", "experiment", "MetaD"],
            "phase": ["low-T", None, "low-T", "high-T", np.nan],
            "activation_energy_ev": [0.98, 0.90, 0.69, 0.53, 0.60],
        }
    ).astype({"phase": dtype})
    assert frame["phase"].isna().sum() == 2
    result = benchmark_methods(frame)
    assert list(result.pairs["formula"]) == ["ZnB12H12·6H2O"]
    assert result.pairs["phase"].iloc[0] is None and result.pairs["experiment_ev"].iloc[0] == 0.98
    reason = str(result.unmatched.set_index("formula").loc["LiBH4", "reason"])
    assert reason.startswith("phase not given") and "nan" not in reason.lower()
    assert result.unmatched["phase"].iloc[0] is None


def test_computed_row_without_phase_from_the_store(store) -> None:
    store.add_activation_energy(
        ActivationEnergyRecord(MaterialRecord.from_formula("ZnB12H12·6H2O", dataset="fixture"), 1.0, "AIMD")
    )
    pairs = benchmark_methods(store.activation_energy_frame()).pairs
    aimd = pairs[(pairs["method"] == "AIMD") & (pairs["formula"] == "ZnB12H12·6H2O")]
    assert len(aimd) == 1 and aimd["experiment_ev"].iloc[0] == pytest.approx(0.98)


def test_a_finished_run_without_a_barrier_counts_as_excluded() -> None:
    """A MetaD run that found no barrier (no value, not converged) counts as excluded, never in N."""
    import pandas as pd

    from sselab.models.method_benchmark import hydride_benchmark

    frame = pd.DataFrame(
        {
            "name": ["a", "b", "c"], "formula": ["LiBH4", "NaBH4", "LiAlH4"], "phase": "low-T",
            "provenance": "experimental", "method": "metad", "protocol": "frenkel", "potential": "chgnet",
            "converged": [True, False, False], "ea_ev": [0.5, 0.3, np.nan],
            "experimental_ea_ev": [0.6, 0.6, 0.4], "doi": None, "status": "ok",
        }
    )  # fmt: skip
    row = hydride_benchmark(frame).metrics.iloc[0]
    assert int(row["n"]) == 1
    assert int(row["n_unconverged_excluded"]) == 2  # the 0.3 eV run and the one with no value
