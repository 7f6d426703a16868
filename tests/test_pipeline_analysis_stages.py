"""Pipeline fit and screening stages: lines the paper's way, published beside fitted, no negative best."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sselab.pipeline.analysis_stages import fit_stage, screening_stage
from sselab.pipeline.executor import JobExecutor
from sselab.pipeline.runner import StageContext
from sselab.store import open_store


def _context(
    tmp_path: Path, store: Any, name: str, params: dict[str, Any], upstream: dict[str, Any]
) -> StageContext:
    out = tmp_path / name
    out.mkdir(parents=True, exist_ok=True)
    return StageContext(name, params, upstream, store, out, 1, JobExecutor(n_workers=0))


def test_quick_profile_fit_and_screening_report_models_honestly(tmp_path: Path, dataset_mirror: Path) -> None:
    from sselab.datasets import import_dataset
    from sselab.pipeline.config import load_config

    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    import_dataset("wang2025-ea", store, progress=False)
    profile = load_config("quick")
    fit_params = {**profile.params("fit"), "potential": "none"}
    fit = fit_stage(_context(tmp_path, store, "fit", fit_params, {}))
    assert {m["family"] for m in fit["models"]} == {"y1", "y2"}
    assert all(m["sources"] == {"experiment": m["n"]} for m in fit["models"])  # no converged computed Ea yet
    assert fit["published"] == {"y1": "wang2025-y1", "y2": "wang2025-y2"}
    assert [s["descriptor"] for s in fit["singles"]] == ["V", "X", "Z", "b_m", "d", "n", "r_atom", "r_ion"]
    assert Path(fit["figures"]["figure3b"]).stat().st_size > 10_000
    screening = screening_stage(
        _context(tmp_path, store, "screening", profile.params("screening"), {"fit": fit})
    )
    summary = screening["summary"]
    for route, info in screening["models"].items():
        assert info["model_name"] == f"pipeline:{route}" and info["kind"] == "fitted"
        assert re.search(rf"{route} \(pipeline:{route}: R² -?\d\.\d\d, N \d+, ±\d+\.\d\d eV\)", summary)
    for row in screening["top"]:  # what the stage reports as best candidates
        assert row["predicted_ea_ev"] > 0
        if row["ea_lower_ev"] is not None and row["ea_lower_ev"] < 0:
            assert "interval<0" in row["flags"]
    negatives = re.findall(r"best \S+ (-\d\.\d+) eV", summary)
    assert negatives == []
    assert "published (Wang et al. 2025): y1 Ca 0.68, Mg 0.57, Zn 0.51 eV" in summary
    assert screening["shortlist_from"] in ("fitted", "published") and screening["candidates"]
    runs = set(store.screening_runs_frame()["name"])
    assert {"pipeline:screening", "pipeline:screening:published", "wang2025-candidates"} <= runs


def test_screening_stage_refuses_an_unknown_parameter(tmp_path: Path) -> None:
    from sselab.errors import PipelineError

    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with pytest.raises(PipelineError, match=r"unknown parameter\(s\) \['rank'\]"):
        screening_stage(_context(tmp_path, store, "screening", {"rank": "upper"}, {"fit": {"models": []}}))
