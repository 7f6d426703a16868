"""Stage helpers: parameter checks, structure entries, and idempotent writes of simulation results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sselab.errors import PipelineError
from sselab.pipeline.executor import JobExecutor
from sselab.pipeline.jobs import JsonlCheckpoint
from sselab.pipeline.params import checked_params
from sselab.pipeline.runner import StageContext
from sselab.pipeline.sim_stages import _structure_entry, import_individuals, store_barrier
from sselab.store import open_store


def _context(tmp_path: Path, name: str, params: dict[str, Any]) -> StageContext:
    return StageContext(name, params, {}, None, tmp_path, 1, JobExecutor(n_workers=0))


def test_unknown_stage_parameter_is_named(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"\[stages\.metad\]: unknown parameter\(s\) \['step'\]"):
        checked_params(_context(tmp_path, "metad", {"step": 3}), {"steps": 300})
    assert checked_params(_context(tmp_path, "metad", {"steps": 3}), {"steps": 300, "pace": 10}) == {
        "steps": 3,
        "pace": 10,
    }


def test_structure_entries_builtin_file_and_errors(tmp_path: Path) -> None:
    builtin = _structure_entry("libh4-pnma", tmp_path, None)
    assert (builtin["cation"], builtin["material"], builtin["phase"]) == ("Li", "LiBH4", "low-T")
    assert Path(builtin["structure"]).is_file()
    cif = Path(builtin["structure"])
    entry = _structure_entry({"path": str(cif), "cation": "Li", "name": "mine"}, tmp_path, None)
    assert entry["name"] == "mine" and entry["material"] is None
    with pytest.raises(PipelineError, match="not found"):
        _structure_entry(str(tmp_path / "nope.cif"), tmp_path, "Li")
    with pytest.raises(PipelineError, match="migrating cation"):
        _structure_entry({"path": str(cif)}, tmp_path, None)
    with pytest.raises(PipelineError, match="unknown built-in"):
        _structure_entry({"name": "nacl"}, tmp_path, "Na")


def test_store_barrier_adds_each_run_folder_once(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    result = {
        "barrier_ev": 0.61,
        "uncertainty_ev": 0.05,
        "material": "LiBH4",
        "potential": "chgnet",
        "parameters": {"steps": 300},
        "run_folder": str(tmp_path / "run"),
        "temperature_k": 600.0,
    }
    first = store_barrier(store, result, "test")
    assert first is not None
    assert store_barrier(store, result, "test") is None
    assert store_barrier(store, {**result, "barrier_ev": None, "run_folder": "other"}, "test") is None
    frame = store.activation_energy_frame(method="MetaD")
    assert len(frame) == 1 and frame["activation_energy_ev"].iloc[0] == pytest.approx(0.61)


def test_search_individuals_are_imported_once_and_a_torn_line_is_ignored(tmp_path: Path) -> None:
    checkpoint = JsonlCheckpoint(tmp_path / "run" / "individuals.jsonl")
    checkpoint.create_search_run("r", "LiBH4", {})
    for k in range(3):
        assert checkpoint.add_search_individual(
            "r", f"{k:05d}", "cif", -1.0 - k, 0, [], "random", True, {"k": k}
        )
    assert not checkpoint.add_search_individual("r", "00001", "cif", -9.0, 0, [], "random", True, {})
    with checkpoint.path.open("a") as handle:  # what a kill in the middle of a write leaves
        handle.write('{"key": "00003", "cif": "ci')
    assert list(checkpoint.search_individuals("r")["key"]) == ["00000", "00001", "00002"]
    assert checkpoint.add_search_individual("r", "00003", "cif", -4.0, 1, ["00000"], "cut", True, {})
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    result = {
        "individuals_file": str(checkpoint.path),
        "run_name": "r",
        "formula": "LiBH4",
        "settings": {},
        "z": 1,
    }
    assert import_individuals(store, result) == 4
    assert import_individuals(store, result) == 0
    assert list(store.search_individuals("r")["key"]) == ["00000", "00001", "00002", "00003"]
