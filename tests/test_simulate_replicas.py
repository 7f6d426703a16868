"""Replicas stored as ONE result (mean ± sd/√n, unknown below three), and which stored rows the method
benchmark may use (converged, not a smoke test, a protocol that measures what experiment measures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sselab.simulate.metad.analysis import MetaDAnalysis
from sselab.simulate.metad.barriers import find_barriers
from sselab.simulate.metad.fes import FES
from sselab.simulate.metad.replicas import MetaDReplicaSet, combine_barriers
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.protocols import benchmark_eligibility, is_smoke_test
from sselab.simulate.recording import record_activation_energy
from sselab.simulate.results import StructureInfo
from sselab.simulate.settings import MetaDSettings
from sselab.store import open_store


def _replica(tmp_path: Path, k: int, barrier_ev: float, converged: bool = True, **settings) -> MetaDResult:
    x = np.linspace(-0.5, 2.5, 301)
    fes = FES(("d1",), (x,), barrier_ev * (1 - (x - 1) ** 2) ** 2, "hills")
    barriers = find_barriers(fes, start=[0.0], end=[2.0], target_tolerance=0.3)
    return MetaDResult(
        settings=MetaDSettings(potential="emt", protocol="paper", temperature_k=350.0, seed=k, **settings),
        run_dir=tmp_path / "set" / f"replica-{k}", analysis=MetaDAnalysis(fes, barriers, None, {}),
        steps_done=1000, n_hills=50, wall_time_s=1.0, cv_names=("d1",), widths=(0.1,), start=(0.0,),
        end=(2.0,), potential="emt", structure=StructureInfo("x.cif", "LiBH4", 288, "Li", "built-in"),
        converged=converged, convergence_reason="stopping rule" if converged else "2 transitions (need 10)",
    )  # fmt: skip


def test_replica_barriers_combine_as_mean_and_standard_error() -> None:
    mean, error = combine_barriers([0.50, 0.52, 0.48, 0.51])
    assert mean == pytest.approx(0.5025)
    assert error == pytest.approx(np.std([0.50, 0.52, 0.48, 0.51], ddof=1) / 2.0)
    assert combine_barriers([0.5, 0.6]) == (pytest.approx(0.55), None)  # below three: unknown


def test_replicas_are_stored_as_one_row_with_their_standard_error(tmp_path: Path) -> None:
    values = [0.50, 0.52, 0.48, 0.51]
    replicas = [_replica(tmp_path, k, v) for k, v in enumerate(values)]
    combined = MetaDReplicaSet.from_replicas(replicas, tmp_path / "set")
    assert combined.converged and combined.barriers_ev() == pytest.approx(values, abs=2e-3)
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    outcome = record_activation_energy(store, combined, phase="low-T")
    frame = store.activation_energy_frame(method="MetaD")
    assert outcome.stored and len(frame) == 1
    row = frame.iloc[0]
    assert row["activation_energy_ev"] == pytest.approx(np.mean(values), abs=2e-3)
    assert row["uncertainty_ev"] == pytest.approx(np.std(values, ddof=1) / 2.0, abs=2e-3)
    assert row["run_folder"] == str((tmp_path / "set").resolve()) and row["protocol"] == "paper"
    assert benchmark_eligibility(row.to_dict()).eligible
    back = MetaDReplicaSet.from_dict(combined.as_dict())
    assert back.as_dict() == combined.as_dict()


def test_a_set_with_an_unconverged_replica_is_not_converged_and_refused(tmp_path: Path) -> None:
    replicas = [
        _replica(tmp_path, 0, 0.5),
        _replica(tmp_path, 1, 0.5, converged=False),
        _replica(tmp_path, 2, 0.5),
    ]
    combined = MetaDReplicaSet.from_replicas(replicas, tmp_path / "set")
    assert not combined.converged and "2 of 3 replicas converged" in combined.convergence_reason
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert not record_activation_energy(store, combined).stored
    kept = record_activation_energy(store, combined, store_unconverged=True)
    row = store.activation_energy_frame(method="MetaD").iloc[0]
    assert kept.stored and not benchmark_eligibility(row.to_dict()).eligible


def test_smoke_tests_never_enter_the_benchmark(tmp_path: Path) -> None:
    smoke = _replica(tmp_path, 0, 0.5, smoke_test=True)
    estimate = smoke.activation_energy()
    assert estimate is not None and estimate.note.startswith("smoke test")
    row = {"method": "MetaD", "protocol": "paper", "converged": True, "note": estimate.note}
    assert is_smoke_test(row) and not benchmark_eligibility(row).eligible
    params = {
        "method": "MetaD",
        "protocol": "frenkel",
        "converged": True,
        "parameters": '{"smoke_test": true}',
    }
    assert "smoke test" in benchmark_eligibility(params).reason


@pytest.mark.parametrize(
    ("row", "eligible", "reason"),
    [
        ({"method": "composite", "protocol": "composite", "converged": True}, True, "intrinsic Ea"),
        ({"method": "composite", "protocol": "composite", "converged": False,
          "convergence_reason": "Schottky relaxation not converged"}, False, "Schottky"),
        ({"method": "MetaD", "protocol": "vacancy", "converged": True}, False, "migration only"),
        ({"method": "CI-NEB", "protocol": "vacancy", "converged": None}, False, "convergence unknown"),
        ({"method": "MetaD", "protocol": None, "converged": True}, False, "no protocol"),
        ({"method": "experiment", "protocol": None, "converged": None}, False, "reference"),
    ],
)  # fmt: skip
def test_benchmark_eligibility_is_a_function_of_the_stored_row(
    row: dict, eligible: bool, reason: str
) -> None:
    verdict = benchmark_eligibility(row)
    assert verdict.eligible is eligible and reason in verdict.reason
    if row["protocol"] == "vacancy" and row["converged"]:
        assert benchmark_eligibility(row, migration_only_ok=True).eligible
