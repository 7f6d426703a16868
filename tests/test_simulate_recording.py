"""One recorder for every method: labels (protocol, converged, device, structure provenance) stored with the
barrier; impossible numbers never stored; unconverged ones only when asked, labelled; a rerun adds nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sselab.simulate.neb import NEBResult
from sselab.simulate.recording import MAX_PLAUSIBLE_BARRIER_EV, record_activation_energy
from sselab.simulate.results import StructureInfo
from sselab.simulate.settings import NEBSettings
from sselab.store import open_store


def _neb(tmp_path: Path, barrier_ev: float = 0.61, converged: bool = True) -> NEBResult:
    return NEBResult(
        barrier_ev=barrier_ev, reverse_barrier_ev=barrier_ev, energies_ev=(0.0, barrier_ev, 0.0), path=(),
        reaction_coordinate_a=(0.0, 1.0, 2.0), converged=converged, n_force_calls=30,
        settings=NEBSettings(potential="emt"), run_dir=tmp_path / "neb", convergence_reason="band forces",
        potential="emt", device="cpu",
        structure=StructureInfo("Cu.cif", "LiBH4", 95, "Li", "experimental", "a hop"),
    )  # fmt: skip


def test_a_converged_barrier_is_stored_once_with_how_it_was_obtained(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    first = record_activation_energy(store, _neb(tmp_path), phase="low-T")
    assert first.stored and first.ea_id is not None and first.reason == "stored"
    again = record_activation_energy(store, _neb(tmp_path))
    assert not again.stored and again.ea_id == first.ea_id and "already stored" in again.reason
    frame = store.activation_energy_frame(method="CI-NEB")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["formula"], row["phase"], row["activation_energy_ev"]) == ("LiBH4", "low-T", 0.61)
    assert (row["protocol"], bool(row["converged"]), row["device"]) == ("vacancy", True, "cpu")
    assert row["structure_provenance"] == "experimental" and row["convergence_reason"] == "band forces"
    assert row["run_folder"] == str((tmp_path / "neb").resolve()) and row["potential"] == "emt"
    runs = store.runs_frame(kind="neb")
    assert len(runs) == 1 and runs["summary"][0]["activation_energy"]["activation_energy_ev"] == 0.61


def test_an_unconverged_barrier_is_refused_unless_asked_for_and_then_labelled(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    result = _neb(tmp_path, converged=False)
    refused = record_activation_energy(store, result)
    assert not refused.stored and refused.reason.startswith("refused: not converged (band forces)")
    assert store.activation_energy_frame().empty and store.runs_frame().empty
    kept = record_activation_energy(store, result, store_unconverged=True)
    assert kept.stored and "unconverged" in kept.reason
    assert not bool(store.activation_energy_frame()["converged"].iloc[0])


@pytest.mark.parametrize(
    "barrier_ev", [float("nan"), float("inf"), -0.2, 0.0, MAX_PLAUSIBLE_BARRIER_EV + 1, 1e6]
)
def test_an_impossible_barrier_is_never_stored(tmp_path: Path, barrier_ev: float) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    outcome = record_activation_energy(store, _neb(tmp_path, barrier_ev), store_unconverged=True)
    assert not outcome.stored and outcome.reason.startswith("refused: the activation energy")
    assert store.activation_energy_frame().empty


def test_the_material_and_method_can_be_named_by_the_caller(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    result = replace(_neb(tmp_path), structure=None)
    assert "no material formula" in record_activation_energy(store, result).reason
    outcome = record_activation_energy(store, result, material="Mg(BH4)2·2NH3", method="MetaD", note="x")
    row = store.activation_energy_frame(method="MetaD").iloc[0]
    assert outcome.stored and row["formula"] == "Mg(BH4)2·2NH3" and row["neutral_molecule"] == "NH3"
    assert row["note"] == "x" and row["structure_provenance"] is None
