"""Stage helpers: parameter checks, structure entries, and idempotent writes of simulation results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sselab.errors import PipelineError, SettingsError
from sselab.pipeline.config import PipelineConfig
from sselab.pipeline.executor import JobExecutor
from sselab.pipeline.params import checked_params
from sselab.pipeline.runner import StageContext, validate_config
from sselab.pipeline.sim_stages import _structure_entry, import_individuals, metad_settings
from sselab.simulate.settings import MetaDSettings
from sselab.store import open_store
from sselab.structures.checkpoint import open_checkpoint
from sselab.structures.recipe import SearchSummary
from sselab.structures.settings import SearchSettings


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
    assert builtin["structure_provenance"] == "built-in"
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


def test_metad_stage_settings_come_from_the_settings_class_and_refuse_unknown_keys() -> None:
    own, settings = metad_settings("metad", {"steps": 40, "replicas": 2, "width_a": 0.3})
    assert own == {"structures": ["libh4-pnma"], "replicas": 2, "cation": None, "store_unconverged": False}
    assert settings == MetaDSettings(steps=40, width_a=0.3)
    with pytest.raises(
        SettingsError, match=r"\[stages\.metad\]: unknown setting\(s\) width for MetaDSettings"
    ):
        metad_settings("metad", {"width": 0.3})
    with pytest.raises(
        SettingsError, match=r"\[stages\.metad\]: height_ev: Input should be less than or equal to 1"
    ):
        metad_settings("metad", {"height_ev": 1e6})
    with pytest.raises(PipelineError, match="seed: set by"):
        metad_settings("metad", {"seed": 3})


def test_a_bad_profile_key_fails_before_any_stage_runs(tmp_path: Path) -> None:
    config = PipelineConfig(
        "bad", ("data", "metad"), {"metad": {"temprature_k": 500.0}}, out_dir=tmp_path, source="bad.toml"
    )
    with pytest.raises(
        PipelineError, match=r"bad.toml: \[stages\.metad\]: unknown setting\(s\) temprature_k"
    ):
        validate_config(config)


def test_search_individuals_are_imported_once_from_a_worker_checkpoint(tmp_path: Path) -> None:
    worker = open_checkpoint(tmp_path / "run" / "checkpoint.sqlite")
    worker.create_search_run("r", "LiBH4", {})
    for k in range(3):
        assert worker.add_search_individual("r", f"{k:05d}", "cif", -1.0 - k, 0, [], "random", True, {"k": k})
    assert not worker.add_search_individual("r", "00001", "cif", -9.0, 0, [], "random", True, {})
    summary = SearchSummary(
        "r", "LiBH4", 1, "Li", 6, SearchSettings(budget=3, population_size=2), 3, 0, 0, (), str(tmp_path),
        str(tmp_path / "c.png"), {},
    )  # fmt: skip
    search = {"summary": summary.as_dict(), "checkpoint": str(tmp_path / "run" / "checkpoint.sqlite")}
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    assert import_individuals(store, search) == 3
    assert import_individuals(store, search) == 0
    frame = store.search_individuals("r")
    assert list(frame["key"]) == ["00000", "00001", "00002"] and frame["extra"][2] == {"k": 2}


def test_the_insights_context_reads_the_open_store_without_rebuilding_its_url(tmp_path: Path) -> None:
    from sselab.assistant.registry import ToolContext
    from sselab.errors import StoreError

    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    context = ToolContext.from_store(store, out_dir=tmp_path / "insights")
    assert context.store.stats()["materials"] == 0
    with pytest.raises(StoreError, match="built from an open store and has no URL"):
        _ = context.store_url
    with pytest.raises(Exception, match=r"readonly|read-only"):  # the view cannot write
        context.store.save_model_fit("x", {})
    source = (Path(__file__).resolve().parents[1] / "src/sselab/pipeline/stages.py").read_text()
    assert "render_as_string" not in source
